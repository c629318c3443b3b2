"""Recovery with the bot's own commands (issue 17, points 4 and 7): `index --rebuild`
recovers a store damaged inside chroma.sqlite3 and keeps the articles; a read-only index
folder is reported as such, never as corrupt, and nothing in it is deleted; builds that
are dropped take their vector folders with them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from run_bot import SEED_ARTICLES, bot, warnings_free

RANGE = "What is the range of a Tomahawk missile?"
SEGMENT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PAGE = 4096


def damage(database: Path) -> None:
    """Overwrite parts of every third page from the 40th on: the file still opens, but
    Chroma's log and tables inside it are broken."""
    garbage = bytes((i * 37 + 11) % 256 for i in range(1500))
    with open(database, "r+b") as f:
        for page in range(40, os.path.getsize(database) // PAGE, 3):
            f.seek(page * PAGE + 100)
            f.write(garbage)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file's bytes (None for a folder), by path inside `folder`."""
    return {str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes() for p in sorted(folder.rglob("*"))}


@pytest.fixture
def store(tmp_path) -> tuple[Path, Path]:
    """A private copy of the seed articles, indexed by `python -m bot index`."""
    articles = tmp_path / "articles"
    shutil.copytree(SEED_ARTICLES, articles)
    built = bot("index", articles=articles, index=tmp_path / "chroma")
    assert built.returncode == 0, built.stderr
    return articles, tmp_path / "chroma"


@pytest.mark.slow
def test_a_store_damaged_inside_its_database_is_recovered_by_rebuild(store):
    articles, index = store
    before = snapshot(articles)
    damage(index / "chroma.sqlite3")

    broken = bot("ask", RANGE, articles=articles, index=index)
    assert "Traceback" not in broken.stderr, broken.stderr[-3000:]
    if broken.returncode:  # it may or may not answer from the damaged store, but it must say what to do
        assert "python -m bot index --rebuild" in warnings_free(broken.stderr)[-1]

    rebuilt = bot("index", "--rebuild", articles=articles, index=index)
    assert "Traceback" not in rebuilt.stderr, rebuilt.stderr[-3000:]
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
    assert rebuilt.stdout.startswith(f"Index ready at {index}: 1 article(s), 13 passages")

    asked = bot("ask", RANGE, "--json", articles=articles, index=index)
    assert asked.returncode == 0, asked.stderr[-3000:]
    assert json.loads(asked.stdout)["citations"][0]["paragraph"] == 10
    assert snapshot(articles) == before  # the articles are kept as they were

    again = bot("index", "--rebuild", articles=articles, index=index)  # and a second rebuild works too
    assert again.returncode == 0, again.stderr[-3000:]


@pytest.fixture
def readable_dir():
    """A folder another user can read: pytest's own temporary folders are private to root."""
    path = Path(tempfile.mkdtemp(prefix="bot-ro-"))
    path.chmod(0o755)
    yield path
    for p in [path, *path.rglob("*")]:
        if not p.is_symlink():
            p.chmod(0o777 if p.is_dir() else 0o666)
    shutil.rmtree(path)


@pytest.mark.slow
def test_a_read_only_index_is_reported_as_read_only_and_left_alone(readable_dir):
    articles, index, home = readable_dir / "articles", readable_dir / "chroma", readable_dir / "home"
    shutil.copytree(SEED_ARTICLES, articles)
    built = bot("index", articles=articles, index=index)
    assert built.returncode == 0, built.stderr
    home.mkdir(mode=0o777)
    home.chmod(0o777)
    for p in [articles, *articles.iterdir(), index, *index.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)  # others may read; only the owner may write
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: no user to whom the folder is read-only")
        runner = dict(as_nobody=True)  # root writes anywhere: run as `nobody`, for whom the folder is read-only
    else:
        runner = {}
        for p in [index, *index.rglob("*")]:
            p.chmod(0o555 if p.is_dir() else 0o444)
    before = snapshot(index)

    for command in (["ask", RANGE], ["index", "--rebuild"]):
        r = bot(*command, articles=articles, index=index, HOME=home, **runner)
        assert "Traceback" not in r.stderr, r.stderr[-3000:]
        assert r.returncode != 0
        message = warnings_free(r.stderr)[-1]
        assert "not writable" in message and str(index) in message and " - " in message, message
        assert "corrupt" not in message
        assert snapshot(index) == before  # nothing deleted, nothing changed


@pytest.mark.slow
def test_dropped_builds_take_their_vector_folders_with_them(store, tmp_path):
    articles, index = store
    (tmp_path / "library.md").write_text(
        "# Library Extends Opening Hours\n\nThe central library will stay open until 10 pm on weekdays from October.\n",
        encoding="utf-8",
    )
    for command in (["add", tmp_path / "library.md"], ["remove", "library"], ["index", "--rebuild"]):
        r = bot(*command, articles=articles, index=index)
        assert r.returncode == 0, r.stdout + r.stderr
    # Four builds were made; one is current, and it has one vector folder.
    assert len([p for p in index.iterdir() if p.is_dir() and SEGMENT.fullmatch(p.name)]) == 1
