"""The articles folder as an operator leaves it (issue 17, points 5 and 6): a file that
cannot be read as an article is skipped with a warning naming it while the others serve;
two files whose names differ only in case are not one article quoting the other; a
symbolic link put in the folder is skipped, never followed.

Most tests are one or two `python -m bot` processes over a private folder and index.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from run_bot import SEED_ARTICLES, bot, warnings_free

from bot.ingest.folder import read_articles

RANGE = "What is the range of a Tomahawk missile?"
BRIDGE = (
    "Harbour Bridge Reopens After Two-Year Repair\n\nThe Harbour Bridge reopened to traffic on Monday morning "
    "after a two-year repair that cost the city 48 million euros, officials said.\n\nEngineers replaced all 212 "
    "steel cables and resurfaced the deck, which had been closed since a storm damaged its northern tower.\n"
)
LIBRARY = (
    "Library Extends Opening Hours\n\nThe central library will stay open until 10 pm on weekdays from October, "
    "the council announced on Friday.\n\nStudents asked for longer hours during exam season, and a petition "
    "gathered 4,200 signatures.\n"
)


@pytest.fixture
def articles(tmp_path) -> Path:
    folder = tmp_path / "articles"
    shutil.copytree(SEED_ARTICLES, folder)
    return folder


@pytest.mark.slow
def test_unreadable_files_are_skipped_with_a_warning_and_the_others_serve(articles, tmp_path):
    (articles / "cafe.txt").write_bytes("Caf\u00e9 Owners Protest\n\nThe caf\u00e9s closed early.\n".encode("latin-1"))
    (articles / "empty.txt").write_bytes(b"")
    (articles / "blank.txt").write_text("  \n\n\t\n", encoding="utf-8")
    (tmp_path / "library.txt").write_text(LIBRARY, encoding="utf-8")

    added = bot("add", tmp_path / "library.txt", "--no-index", articles=articles, timeout=60)
    assert "Traceback" not in added.stderr, added.stderr
    assert added.returncode == 0, added.stdout + added.stderr
    assert any(x.startswith("added") and "library" in x for x in added.stdout.splitlines())

    r = bot("ask", RANGE, "--json", articles=articles, index=tmp_path / "chroma")
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["citations"][0]["paragraph"] == 10
    warnings = warnings_free(r.stderr)
    for name, fix in (("cafe.txt", "UTF-8"), ("empty.txt", "empty"), ("blank.txt", "empty")):
        (line,) = [x for x in warnings if name in x]
        assert fix in line and "skipp" in line.lower() and " - " in line, line
    assert all(p.exists() for p in (articles / "cafe.txt", articles / "empty.txt"))  # nothing of the user's deleted


@pytest.mark.slow
def test_names_that_differ_only_in_case_are_not_one_article(articles, tmp_path):
    (articles / "x.txt").write_text(BRIDGE, encoding="utf-8")
    (articles / "x.TXT").write_text(LIBRARY, encoding="utf-8")
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(
        json.dumps({"id": "bridge", "user_input": "How much did the bridge repair cost?"})
        + "\n"
        + json.dumps({"id": "library", "user_input": "How many signatures did the petition gather?"})
        + "\n",
        encoding="utf-8",
    )
    r = bot("ask", "--batch", src, "--out", out, articles=articles, index=tmp_path / "chroma")
    assert "Traceback" not in r.stderr, r.stderr
    texts = {"Harbour Bridge Reopens After Two-Year Repair": BRIDGE, "Library Extends Opening Hours": LIBRARY}
    seed_text = next(SEED_ARTICLES.glob("*.txt")).read_text(encoding="utf-8")
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in records] == ["bridge", "library"]
    for record in records:
        assert "error" not in record, record
        for c in record["citations"]:
            # Every quote comes from the article whose title it is shown under.
            source = texts.get(c["article_title"], seed_text)
            assert " ".join(c["quote"].split()) in " ".join(source.split()), (c["article_title"], c["quote"])
    # One of the two is skipped, and the warning names both files.
    (line,) = [x for x in warnings_free(r.stderr) if "x.txt" in x and "x.TXT" in x]
    assert "same id" in line and " - " in line


def test_a_symbolic_link_in_the_folder_is_skipped_with_a_warning_not_followed(articles, tmp_path, caplog):
    secret = tmp_path / "private" / "passwd"
    secret.parent.mkdir()
    secret.write_text("Password hashes\n\nroot:$6$s3cr3t-hash:19000:0:99999:7:::\n", encoding="utf-8")
    (articles / "passwd.txt").symlink_to(secret)  # put there by hand, not by `bot add`
    (articles / "bridge.txt").symlink_to(tmp_path / "nowhere.txt")  # dangling
    (tmp_path / "library.txt").write_text(LIBRARY, encoding="utf-8")
    (articles / "library.txt").symlink_to(tmp_path / "library.txt")  # even one to a real article
    with caplog.at_level(logging.WARNING):
        served = read_articles(articles)
    assert sorted(a.id for a in served) == sorted(p.stem for p in SEED_ARTICLES.glob("*.txt"))
    assert not any("s3cr3t" in a.text for a in served)
    for name in ("passwd.txt", "bridge.txt", "library.txt"):
        (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"skipped {name}:")]
        assert "symbolic link" in line and " - " in line, line
