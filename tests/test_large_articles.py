"""An article too long to index is refused up front with what to do, never built for
minutes while every question waits (a 2 MB page of 31,657 paragraphs took 20 minutes and
3.65 GB). Under the cap, indexing time and memory grow linearly (docs/benchmarks.md)."""

from __future__ import annotations

import logging
import shutil
import threading
import time

import pytest
from conftest import qa_over
from run_bot import SEED_ARTICLES

from bot.ingest.folder import read_articles
from bot.ingest.sources import add
from bot.store.health import current_mark
from bot.text.article import MAX_ARTICLE_CHARS

PARAGRAPH = "The council said the new bridge would open in the spring after years of delays and rising costs.\n\n"


def long_text(chars: int) -> str:
    return "A very long report\n\n" + PARAGRAPH * (chars // len(PARAGRAPH) + 1)


def test_add_refuses_an_article_over_the_cap_at_once_and_keeps_the_others(tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(SEED_ARTICLES, articles)
    big = tmp_path / "report.txt"
    big.write_text(long_text(2_000_000), encoding="utf-8")
    started = time.monotonic()
    (out,) = add([str(big)], articles)
    assert time.monotonic() - started < 30  # refused before any parse or index (minutes otherwise)
    assert out.status == "refused"
    assert f"more than the {MAX_ARTICLE_CHARS:,}" in out.detail and "split it into parts" in out.detail
    assert sorted(p.name for p in articles.iterdir()) == sorted(p.name for p in SEED_ARTICLES.iterdir())


def test_an_article_under_the_cap_is_added(tmp_path):
    articles = tmp_path / "articles"
    articles.mkdir()
    fits = tmp_path / "report.txt"
    fits.write_text(long_text(MAX_ARTICLE_CHARS - 5_000), encoding="utf-8")
    (out,) = add([str(fits)], articles)
    assert out.status == "added", out.detail


def test_a_too_long_file_put_in_the_folder_is_skipped_with_a_warning(tmp_path, caplog):
    articles = tmp_path / "articles"
    shutil.copytree(SEED_ARTICLES, articles)
    (articles / "dump.txt").write_text(long_text(MAX_ARTICLE_CHARS + 1_000), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        loaded = read_articles(articles)
    assert [a.id for a in loaded] == [p.stem for p in sorted(SEED_ARTICLES.glob("*.txt"))]
    assert "skipped dump.txt" in caplog.text and "split it into parts" in caplog.text


def test_questions_are_answered_from_the_open_build_while_a_long_article_builds(tmp_path, embedder):
    shutil.copytree(SEED_ARTICLES, tmp_path / "articles")
    qa = qa_over(tmp_path, embedder)
    qa.index(progress=False)
    before = current_mark(tmp_path / "chroma")
    (tmp_path / "articles" / "report.txt").write_text(long_text(MAX_ARTICLE_CHARS - 5_000), encoding="utf-8")
    builder = threading.Thread(target=lambda: qa.index(progress=False))
    builder.start()
    try:
        while not qa._lock.locked():  # the builder holds the build lock
            if not builder.is_alive():
                pytest.fail("the build ended before a question could be asked during it")
            time.sleep(0.01)
        answer = qa.ask("What is the range of a Tomahawk missile?")
        built_meanwhile = current_mark(tmp_path / "chroma") != before
    finally:
        builder.join()
    assert "995 miles" in answer.response
    assert not built_meanwhile  # answered while the new build was still being written, not after it
    assert "report" in qa.index().articles  # and the new build is then served
