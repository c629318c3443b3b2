"""A full disk never destroys the last complete index.

The index lives on a small tmpfs (a real filesystem that runs out of space), filled up
but for a few kilobytes; an added article's build then fails. Before: the message advised
`index --rebuild`, which took the store for damaged, wiped it and crashed ("Error in
compaction"), leaving no build at all. Now every command says the disk is full and what to
do, the complete build keeps answering, and the build succeeds once space is freed.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from run_bot import SEED_ARTICLES, bot, said

RANGE = "What is the range of a Tomahawk missile?"


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({r.stderr.strip()}): needs root, as in CI")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave_kb: int = 100) -> Path:
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, free - leave_kb * 1024))
    return filler


@pytest.mark.slow
def test_a_full_disk_keeps_the_last_complete_index_and_says_so(small_disk, tmp_path):
    articles, index = tmp_path / "articles", small_disk / "chroma"
    shutil.copytree(SEED_ARTICLES, articles)
    assert bot("index", articles=articles, index=index).returncode == 0
    filler = fill(small_disk)
    corpus = sorted((Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bbc" / "politics").glob("*.txt"))
    big = "\n\n".join(p.read_text(encoding="utf-8") for p in corpus[:12]) or ("A long report. " * 3000)
    (articles / "big-report.txt").write_text(big, encoding="utf-8")

    for command in (["index"], ["index", "--rebuild"], ["ask", RANGE]):
        r = bot(*command, articles=articles, index=index)
        assert r.returncode != 0, command
        message = said(r)
        assert "Traceback" not in message and "--rebuild" not in message, message
        assert "is full" in message and "free some space" in message, message

    (articles / "big-report.txt").unlink()  # the articles the complete build holds: it answers
    asked = bot("ask", RANGE, articles=articles, index=index)
    assert asked.returncode == 0 and "995 miles" in asked.stdout, said(asked)

    filler.unlink()
    (articles / "big-report.txt").write_text(big, encoding="utf-8")
    built = bot("index", articles=articles, index=index)
    assert built.returncode == 0, said(built)
    assert "2 article(s)" in built.stdout
