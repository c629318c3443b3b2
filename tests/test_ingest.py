"""Adding articles: HTML, Markdown and plain text into the articles folder; bad sources
refused one by one. URLs: tests/test_fetch.py."""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from conftest import paragraph_text

from bot.app.cli import main
from bot.ingest.folder import origins, read_articles, save_origins
from bot.ingest.sources import add, remove, slug, url_id
from bot.text.article import load_articles

SEED = next((Path(__file__).resolve().parent.parent / "index" / "articles").glob("*.txt"))

NEWS_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Harbour Bridge Reopens After Two-Year Repair | The Coastal Herald</title>
<meta name="author" content="Maria Lindqvist">
<meta property="article:published_time" content="2025-11-03T08:30:00+00:00">
<meta property="og:title" content="Harbour Bridge Reopens After Two-Year Repair">
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></nav></header>
<div class="ad-banner">ADVERTISEMENT: Buy cheap flights now! Click here for amazing deals.</div>
<main><article>
<h1>Harbour Bridge Reopens After Two-Year Repair</h1>
<p class="byline">By <span class="author">Maria Lindqvist</span> · <time datetime="2025-11-03">3 November 2025</time></p>
<p>The Harbour Bridge reopened to traffic on Monday morning after a two-year repair that cost the city
48 million euros, officials said.</p>
<p>Engineers replaced all 212 steel cables and resurfaced the deck, which had been closed since a storm
damaged its northern tower in October 2023.</p>
<div class="advert">Sponsored: The best mattresses of 2025, ranked by our experts.</div>
<h2>Commuters relieved</h2>
<p>About 35,000 vehicles crossed the bridge each day before it closed, and commuters have since faced
detours of up to forty minutes.</p>
<p>"It feels like getting an hour of my life back every day," said Tomas Berg, a nurse who drives from
the northern suburbs.</p>
<p>The mayor, Helena Strand, said a second lane for cyclists would open in the spring.</p>
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/a">Celebrity chef opens new restaurant</a></li>
<li><a href="/b">Ten tips for a better sleep</a></li></ul></aside>
<footer><p>© 2025 The Coastal Herald. All rights reserved. Privacy policy · Cookie settings</p></footer>
</body></html>
"""

MARKDOWN = """---
title: Library Extends Opening Hours
author: Priya Raman
date: 2025-09-14
---

# Library Extends Opening Hours

The central library will stay open until **10 pm** on weekdays from October, the council announced on *Friday*.

## Why now

Students asked for [longer hours](https://example.org/hours) during exam season, and a petition gathered 4,200 signatures.

- The change costs 180,000 pounds a year.
- It will be reviewed after twelve months.
"""


@pytest.fixture
def sources(tmp_path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "harbour-bridge.html").write_text(NEWS_PAGE, encoding="utf-8")
    (folder / "library.md").write_text(MARKDOWN, encoding="utf-8")
    shutil.copy(SEED, folder / SEED.name)
    return folder


def test_news_page_keeps_the_article_and_its_metadata_and_drops_the_furniture(sources, tmp_path):
    out = add([str(sources / "harbour-bridge.html")], tmp_path / "articles")
    assert [(o.status, o.article_id) for o in out] == [("added", "harbour-bridge")]
    (article,) = load_articles(tmp_path / "articles")
    assert article.title == "Harbour Bridge Reopens After Two-Year Repair"
    assert article.author == "Maria Lindqvist"
    assert article.published == "3 November 2025"
    assert "48 million euros" in paragraph_text(article, 1)
    assert [p.section for p in article.paragraphs][-1] == "Commuters relieved"
    for furniture in ("Weather", "cheap flights", "mattresses", "Most read", "Celebrity chef", "All rights reserved"):
        assert furniture not in article.text


def test_markdown_front_matter_gives_the_metadata_and_markup_is_dropped(sources, tmp_path):
    add([str(sources / "library.md")], tmp_path / "articles")
    (article,) = load_articles(tmp_path / "articles")
    assert (article.id, article.title, article.author, article.published) == (
        "library",
        "Library Extends Opening Hours",
        "Priya Raman",
        "14 September 2025",
    )
    assert "until 10 pm on weekdays" in article.text
    assert "**" not in article.text and "](" not in article.text and "\n- " not in article.text
    assert article.text.count("Library Extends Opening Hours") == 1  # the H1 is the title, not a paragraph
    assert "180,000 pounds" in article.text


def test_markdown_without_front_matter_takes_its_title_from_the_first_heading(tmp_path):
    (tmp_path / "n.md").write_text("# Port Strike Ends\n\nDockers returned to work on Tuesday after a deal.\n")
    add([str(tmp_path / "n.md")], tmp_path / "articles")
    (article,) = load_articles(tmp_path / "articles")
    assert article.title == "Port Strike Ends"
    assert paragraph_text(article, 1) == "Dockers returned to work on Tuesday after a deal."


def test_an_html_page_in_the_charset_it_declares_is_decoded(tmp_path):
    page = (
        "<html><head><meta charset='iso-8859-1'><title>Caf\u00e9 Closes</title></head><body><article>"
        "<h1>Caf\u00e9 Closes</h1><p>The caf\u00e9 in the old town closed on Monday after forty years, its owner "
        "said.</p><p>Regulars gathered outside the caf\u00e9 to say goodbye.</p></article></body></html>"
    )
    (tmp_path / "cafe.html").write_bytes(page.encode("latin-1"))
    add([str(tmp_path / "cafe.html")], tmp_path / "articles")
    (article,) = load_articles(tmp_path / "articles")
    assert article.title == "Caf\u00e9 Closes" and "The caf\u00e9 in the old town" in article.text


def test_the_seed_text_is_kept_as_written_so_its_chunk_ids_do_not_change(sources, tmp_path):
    add([str(sources / SEED.name)], tmp_path / "articles")
    assert (tmp_path / "articles" / SEED.name).read_text().rstrip() == SEED.read_text().rstrip()
    (article,) = load_articles(tmp_path / "articles")
    (seed,) = load_articles(SEED.parent)
    assert article.content_hash == seed.content_hash


BAD = {
    "binary.txt": (bytes(range(256)) * 20, "it is binary data, not text"),
    "scan.pdf": (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        "it is a PDF; only .txt, .md and .html articles can be added",
    ),
    "photo.html": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "it is a PNG image, not text"),
    "empty.txt": (b"", "the file is empty - put the article's text in it"),
    "blank.md": (b"  \n\n \t\n", "the file is empty - put the article's text in it"),
    "huge.txt": (b"word " * (1_100_000), "5.5 MB is too large for one article (limit 5 MB)"),
    "latin1.txt": (
        "Caf\u00e9 owners protest.\n\nThe caf\u00e9s closed early.".encode("latin-1"),
        "not UTF-8 text (byte 3 is 0xe9; unknown encoding) - save it as UTF-8 and add it again",
    ),
    "notes.docx": (b"just some words", "only .txt, .md and .html articles can be added"),
    "untitled.md": (b"Some text without any heading at all.\n", "it has no title - start it with a '# Title' line"),
    "menu.html": (b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "no article text found in the page"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_file_is_refused_with_a_clear_line_and_the_good_ones_are_still_added(name, sources, tmp_path):
    data, message = BAD[name]
    (sources / name).write_bytes(data)
    out = add(
        [str(sources / "library.md"), str(sources / name), str(sources / "harbour-bridge.html")], tmp_path / "articles"
    )
    assert [o.status for o in out] == ["added", "refused", "added"]
    assert out[1].line.startswith(f"refused   {sources / name}: ")
    assert message in out[1].detail
    assert sorted(a.id for a in load_articles(tmp_path / "articles")) == ["harbour-bridge", "library"]


def test_a_folder_adds_every_article_in_it_and_refuses_the_rest_one_by_one(sources, tmp_path):
    (sources / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    (sources / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    out = add([str(sources)], tmp_path / "articles")
    assert {Path(o.source).name: o.status for o in out} == {
        "harbour-bridge.html": "added",
        "library.md": "added",
        SEED.name: "added",
        "logo.png": "refused",
    }
    assert len(load_articles(tmp_path / "articles")) == 3


def test_adding_is_incremental_unchanged_skipped_changed_replaced(sources, tmp_path):
    articles = tmp_path / "articles"
    add([str(sources)], articles)
    again = add([str(sources)], articles)
    assert {o.status for o in again} == {"unchanged"}
    page = sources / "harbour-bridge.html"
    page.write_text(NEWS_PAGE.replace("48 million euros", "52 million euros"), encoding="utf-8")
    out = add([str(page), str(sources / "library.md")], articles)
    assert [o.status for o in out] == ["replaced", "unchanged"]
    assert "52 million euros" in (articles / "harbour-bridge.txt").read_text()
    assert len(list(articles.glob("*"))) == 3  # no temporary files left behind


def test_the_same_text_under_another_name_is_not_added_twice(sources, tmp_path):
    add([str(sources / "library.md")], tmp_path / "articles")
    shutil.copy(sources / "library.md", tmp_path / "library-copy.md")
    (out,) = add([str(tmp_path / "library-copy.md")], tmp_path / "articles")
    assert (out.status, out.article_id) == ("unchanged", "library")


def test_remove_drops_the_article_and_names_the_ids_when_one_is_unknown(sources, tmp_path):
    articles = tmp_path / "articles"
    add([str(sources)], articles)
    out = remove(["library", "nope"], articles)
    assert [o.status for o in out] == ["removed", "refused"]
    assert "no article with that id - the ids are the file names: " in out[1].detail
    assert "harbour-bridge" in out[1].detail
    assert sorted(p.stem for p in articles.glob("*.txt")) == sorted(["harbour-bridge", SEED.stem])


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Trump & Putin.HTML", "trump-putin-html"),
        ("é", "e"),
        ("a" * 100, "a" * 80),
        ("Zoë Straße — Œuvre", "zoe-strasse-oeuvre"),
        ("!!!", "article"),
    ],
)
def test_slug(name, expected):
    assert slug(name) == expected


NON_LATIN = [
    "Новости",
    "Спорт",
    "北京新闻",
    "上海新闻",
    "Ειδήσεις",
    "أخبار",
    "חדשות",
    "🙂",
    "😀",
    "2025 Новости",
    "2025 Спорт",
]


def test_names_without_a_latin_spelling_get_distinct_stable_ids():
    ids = [slug(name) for name in NON_LATIN]
    assert len(set(ids)) == len(ids), ids
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", x) and len(x) <= 80 for x in ids), ids
    assert [slug(name) for name in NON_LATIN] == ids  # the same name, the same id
    assert slug("НОВОСТИ") == slug("новости") == ids[0]  # ids ignore case
    assert slug(unicodedata.normalize("NFD", "Ειδήσεις")) == ids[4]  # and how the name is composed


def test_two_non_latin_file_names_are_two_articles_and_an_update_replaces_its_own(tmp_path):
    articles = tmp_path / "articles"
    for name, text in (
        ("Новости.txt", "Harbour Bridge Reopens\n\nIt reopened on Monday.\n"),
        ("Спорт.txt", "Port Strike Ends\n\nDockers returned to work.\n"),
    ):
        (tmp_path / name).write_text(text, encoding="utf-8")
    first = add([str(tmp_path / "Новости.txt")], articles)
    second = add([str(tmp_path / "Спорт.txt")], articles)  # another add: no id taken in this run
    assert [o.status for o in first + second] == ["added", "added"], [o.line for o in first + second]
    assert first[0].article_id != second[0].article_id
    (tmp_path / "Новости.txt").write_text("Harbour Bridge Reopens\n\nIt reopened on Sunday.\n", encoding="utf-8")
    (again,) = add([str(tmp_path / "Новости.txt")], articles)
    assert (again.status, again.article_id) == ("replaced", first[0].article_id)
    assert sorted(a.title for a in load_articles(articles)) == ["Harbour Bridge Reopens", "Port Strike Ends"]


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://x.org/news/2025/harbour-bridge.html", "harbour-bridge"),
        ("https://x.org/news/port-strike/index.html", "port-strike"),
        ("https://x.org/story/123456", "story"),
        ("https://www.x.org/", "www-x-org"),
    ],
)
def test_url_id(url, expected):
    assert url_id(url) == expected


# --- where an article came from: only a web page gives it a URL to link to -------------


@pytest.mark.parametrize(
    "origin, url",
    [
        ("https://herald.example/news/bridge.html?id=7", "https://herald.example/news/bridge.html?id=7"),
        ("HTTP://herald.example/a", "http://herald.example/a"),
        ("https://reader:secret@herald.example/a", "https://herald.example/a"),  # never shows a password
        ('https://herald.example/a"><b>x</b>', 'https://herald.example/a"><b>x</b>'),  # escaped when shown
        ("/home/me/harbour-bridge.html", None),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>x</script>", None),
        ("ftp://herald.example/a", None),
        ("https:///a", None),
        ("https://herald.example/a b", None),
        ("https://herald.example:99999/a", None),
        (["https://herald.example/a"], None),
    ],
)
def test_an_article_gets_the_url_of_the_web_page_it_came_from_only(origin, url, sources, tmp_path):
    articles = tmp_path / "articles"
    add([str(sources / "harbour-bridge.html"), str(sources / "library.md")], articles)
    save_origins(articles, origins(articles) | {"harbour-bridge": origin})  # as a URL add (test_fetch.py) records it
    by_id = {a.id: a for a in read_articles(articles)}
    assert by_id["harbour-bridge"].url == url
    assert by_id["library"].url is None  # added from a file


def test_articles_are_read_without_urls_when_the_record_is_unreadable(sources, tmp_path):
    articles = tmp_path / "articles"
    add([str(sources / "harbour-bridge.html")], articles)
    (tmp_path / ".articles.sources.json").write_text("{not json", encoding="utf-8")
    assert [(a.id, a.url) for a in read_articles(articles)] == [("harbour-bridge", None)]


def test_cli_add_prints_a_line_per_source_and_fails_when_one_was_refused(sources, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BOT_ARTICLES_DIR", str(tmp_path / "articles"))
    (sources / "empty.txt").write_bytes(b"")
    assert main(["add", str(sources), "--no-index"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert f"refused   {sources / 'empty.txt'}: the file is empty - put the article's text in it" in lines
    assert sum(line.startswith("added") for line in lines) == 3
    assert main(["remove", "library", "--no-index"]) == 0
    assert capsys.readouterr().out == "removed   library -> library\n"


# --- several articles: citations name the right one; --article limits the search -----------


def test_with_two_articles_answers_cite_the_right_one_and_article_limits_the_search(sources, make_settings, embedder):
    from bot.answering.pipeline import ArticleQA

    settings = make_settings()
    assert [o.status for o in add([str(sources / "harbour-bridge.html")], settings.articles_dir)] == ["added"]
    page = "https://herald.example/news/harbour-bridge.html"
    save_origins(settings.articles_dir, origins(settings.articles_dir) | {"harbour-bridge": page})  # as from a URL
    qa = ArticleQA(settings)
    qa.embedder = embedder
    assert sorted(qa.index(progress=False).articles) == sorted(["harbour-bridge", SEED.stem])
    assert {a.id: a.url for a in qa.index().articles.values()} == {"harbour-bridge": page, SEED.stem: None}

    bridge = qa.ask("How much did the bridge repair cost?")
    assert not bridge.abstained and "48 million euros" in bridge.response
    assert {(c.article_id, c.article_title, c.published) for c in bridge.citations} == {
        ("harbour-bridge", "Harbour Bridge Reopens After Two-Year Repair", "3 November 2025")
    }

    tomahawk = qa.ask("What is the range of a Tomahawk missile?")
    assert not tomahawk.abstained
    assert {c.article_id for c in tomahawk.citations} == {SEED.stem}
    assert tomahawk.citations[0].published == "17 October 2025 at 05:22 IST"

    limited = qa.ask("What is the range of a Tomahawk missile?", article_id="harbour-bridge")
    assert all(
        cid in qa.index().chunks and qa.index().chunks[cid].article_id == "harbour-bridge"
        for cid in limited.retrieved_context_ids
    )
    assert limited.abstained and limited.citations == ()  # the bridge article states no missile range
