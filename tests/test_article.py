"""Cleaning raw scraped news text into an `Article`: boilerplate out, metadata in, spans exact."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import paragraph_text

from bot.text.article import clean_line, load_article, load_articles, parse_article

SEED_ARTICLES = Path(__file__).resolve().parent.parent / "index" / "articles"
SEED_PATH = next(SEED_ARTICLES.glob("*.txt"))
TITLE = "Trump And Putin Set To Meet For Second Time In Hungary To Discuss Ukraine Peace Deal"


@pytest.fixture(scope="module")
def article():
    return load_article(SEED_PATH)


def body(article) -> str:
    """The cleaned text without the ¶0 metadata header."""
    return article.text[article.paragraphs[1].start :]


# --- boilerplate ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "furniture",
    [
        "Advertisement",
        "Follow : Google News Icon",
        "Google News Icon",
        "| Image: AP",
        "Image: AP",
        "Published By",
        "Published On",
        "Abhishek Tiwari",
        "05:22 IST",
        "Updated 17 October",
    ],
)
def test_boilerplate_is_not_in_the_body(article, furniture):
    assert furniture not in body(article)


def test_the_repeated_headline_is_gone(article):
    # The scrape prints the headline three times (title, image alt, caption); it is the
    # article's title once, in the header, and never a body paragraph.
    assert article.text.count(TITLE) == 1
    assert article.text.startswith(TITLE + ".")
    assert all(TITLE not in paragraph_text(article, p.number) for p in article.paragraphs[1:])


def test_the_body_ends_with_the_last_paragraph(article):
    assert article.text.endswith(
        '"We should be prepared that this war is not going to come to an end anytime soon, unfortunately," she said.'
    )


def test_no_advertisement_paragraph_among_thirteen(article):
    assert [p.number for p in article.paragraphs] == list(range(13))
    assert all(paragraph_text(article, p.number).strip() != "Advertisement" for p in article.paragraphs)


# --- metadata ------------------------------------------------------------------------


def test_metadata(article):
    assert article.id == SEED_PATH.stem
    assert article.title == TITLE
    assert article.author == "Abhishek Tiwari"
    assert article.published == "17 October 2025 at 05:22 IST"
    assert article.updated == "17 October 2025 at 05:22 IST"
    assert article.dateline == "Washington"
    assert article.summary == (
        "Trump and Putin to meet in Hungary to discuss Ukraine conflict, amid reports of new Russia sanctions "
        "and US consideration of selling long-range missiles to Ukraine."
    )
    assert len(article.source_sha256) == 64 and len(article.content_hash) == 64


def test_the_metadata_header_is_paragraph_zero(article):
    header = paragraph_text(article, 0)
    assert article.paragraphs[0].start == 0
    for fact in (TITLE, article.summary, "Abhishek Tiwari", "17 October 2025 at 05:22 IST", "datelined Washington"):
        assert fact in header


def test_the_dateline_is_moved_out_of_the_first_paragraph(article):
    assert paragraph_text(article, 1).startswith("US President Donald Trump has announced")
    assert "Washington:" not in article.text


# --- sections and paragraphs ---------------------------------------------------------


@pytest.mark.parametrize(
    "numbers, section",
    [
        (range(1, 7), None),
        (range(7, 11), "Ukraine's Plea For Support, Tomahawk Missile"),
        (range(11, 13), "New Russia Sanctions on the Horizon"),
    ],
)
def test_section_headings_belong_to_the_paragraphs_under_them(article, numbers, section):
    assert [article.paragraphs[n].section for n in numbers] == [section] * len(numbers)


@pytest.mark.parametrize(
    "heading", ["Ukraine's Plea For Support, Tomahawk Missile", "New Russia Sanctions on the Horizon"]
)
def test_section_headings_are_not_paragraphs(article, heading):
    assert heading not in article.text
    assert all(paragraph_text(article, p.number) != heading for p in article.paragraphs)


def test_paragraph_spans_map_to_exact_text(article):
    raw = SEED_PATH.read_text(encoding="utf-8")
    previous_end = -1
    for p in article.paragraphs:
        text = article.text[p.start : p.end]
        assert text == text.strip() and text and "\n" not in text
        assert p.start > previous_end
        previous_end = p.end
        if p.number >= 2:  # body paragraphs are the raw lines, cleaned (nbsp gone)
            assert text in raw.replace("\u00a0", "")
    assert article.paragraphs[-1].end == len(article.text)
    # Paragraphs are separated by exactly one blank line.
    gaps = [article.text[a.end : b.start] for a, b in zip(article.paragraphs, article.paragraphs[1:])]
    assert set(gaps) == {"\n\n"}


def test_paragraph_ten_is_the_range_paragraph(article):
    assert paragraph_text(article, 10).startswith("The Tomahawk missile, with a range of around 995 miles")


def test_no_nbsp_or_double_spaces(article):
    assert "\u00a0" not in article.text
    assert "  " not in article.text


# --- synthetic raw texts -------------------------------------------------------------


def test_a_byline_gives_the_author():
    a = parse_article("Big News Today\nBy Jane Doe\nLONDON: The cat sat on the mat.\nIt was happy.\n", "x")
    assert a.author == "Jane Doe"
    assert a.dateline == "LONDON"
    assert [paragraph_text(a, n) for n in (1, 2)] == ["The cat sat on the mat.", "It was happy."]
    assert all(p.section is None for p in a.paragraphs)
    assert "By Jane Doe" not in a.text
    assert "written by its author, Jane Doe." in paragraph_text(a, 0)


def test_published_by_wins_over_a_later_byline():
    a = parse_article("Title\nPublished By : Ann Lee\nBody text one.\nBy Bob Roe\n", "x")
    assert a.author == "Ann Lee"


def test_no_metadata_at_all():
    a = parse_article("Plain Title\n\nA first paragraph of text.\n\nA second paragraph here.", "plain")
    assert (a.id, a.title, a.author, a.published, a.updated, a.dateline, a.summary) == (
        "plain",
        "Plain Title",
        None,
        None,
        None,
        None,
        None,
    )
    assert a.text == "Plain Title.\n\nA first paragraph of text.\n\nA second paragraph here."
    assert [(p.number, paragraph_text(a, p.number)) for p in a.paragraphs] == [
        (0, "Plain Title."),
        (1, "A first paragraph of text."),
        (2, "A second paragraph here."),
    ]


def test_unicode_and_nbsp_are_normalised():
    raw = "Caf\u0065\u0301 Story\nZelenskyy\u00a0met  Trump\u2009in Kyiv\u00a0\u2014 and left 🚀.\u200b\n"
    a = parse_article(raw, "u")
    assert a.title == "Café Story"  # NFC: one code point for é
    assert paragraph_text(a, 1) == "Zelenskyy met Trump in Kyiv — and left 🚀."


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("", ""),
        ("a", "a"),
        ("a\u00a0 b  ", "a b"),
        ("\tx\u2003y", "x y"),
        ("e\u0301", "é"),
        ("ünï", "ünï"),
        ("Zelen\u00adskyy", "Zelenskyy"),
        ("\ufeffTitle", "Title"),
        ("a\u200bb", "ab"),
    ],
)
def test_clean_line(raw, clean):
    assert clean_line(raw) == clean


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "ADVERTISEMENT",
        "Follow : Google News Icon",
        "Some caption | Image: AP",
        "Photo credit: Reuters",
        "Share this article",
        "Also read: another story",
    ],
)
def test_each_kind_of_furniture_is_dropped_from_a_synthetic_article(line):
    a = parse_article(f"A Title\nFirst paragraph of the story.\nSecond paragraph.\n{line}\nThird paragraph.", "x")
    assert [paragraph_text(a, p.number) for p in a.paragraphs[1:]] == [
        "First paragraph of the story.",
        "Second paragraph.",
        "Third paragraph.",
    ]
    assert line not in a.text


def test_furniture_right_after_the_title_makes_the_line_before_it_the_summary():
    a = parse_article("A Title\nThe standfirst of the story.\nAdvertisement\nThe first paragraph.", "x")
    assert a.summary == "The standfirst of the story."
    assert a.text == "A Title. The standfirst of the story.\n\nThe first paragraph."


def test_soft_hyphens_do_not_split_words():
    a = parse_article("A Title\nZelen\u00adskyy met Trump in Kyiv.\nThen he left.", "x")
    assert paragraph_text(a, 1) == "Zelenskyy met Trump in Kyiv."


def test_crlf_line_endings():
    a = parse_article("A Title\r\n\r\nOne paragraph.\r\n\r\nAnother one.\r\n", "x")
    assert a.text == "A Title.\n\nOne paragraph.\n\nAnother one."


def test_articles_are_loaded_in_name_order(tmp_path):
    (tmp_path / "b.txt").write_text("Second Title\nBody of b.")
    (tmp_path / "a.TXT").write_text("First Title\nBody of a.")
    assert [a.id for a in load_articles(tmp_path)] == ["a", "b"]


@pytest.mark.parametrize(
    "line",
    [
        "Updated figures show the economy grew by five percent.",
        "Reported by local media, the strike hit a power plant in the night.",
        "Reported by our correspondents in the field today.",
        "Published on: the same day as the summit",
    ],
)
def test_body_sentences_that_start_like_metadata_stay_text(line):
    a = parse_article(f"A Title\nFirst paragraph here.\n{line}\nLast paragraph.", "x")
    assert (a.author, a.updated, a.published) == (None, None, None)
    assert paragraph_text(a, 2) == line


@pytest.mark.parametrize(
    "line, field, value",
    [
        ("Published By : Jane Doe Jr.", "author", "Jane Doe Jr."),
        ("Written by Jane Doe (Reuters)", "author", "Jane Doe (Reuters)"),
        ("Updated: 3 May 2024 at 10:00 UTC", "updated", "3 May 2024 at 10:00 UTC"),
        ("Last updated on 3 May 2024", "updated", "3 May 2024"),
        ("Published On: 1 May 2024 at 09:30 IST", "published", "1 May 2024 at 09:30 IST"),
    ],
)
def test_metadata_lines(line, field, value):
    a = parse_article(f"A Title\nFirst paragraph here.\n{line}\nLast paragraph.", "x")
    assert getattr(a, field) == value
    assert line not in a.text and len(a.paragraphs) == 3
