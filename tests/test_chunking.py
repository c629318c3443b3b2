"""Article -> chunks of whole sentences: exact spans, quotations kept whole, stable ids."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from conftest import paragraph_text

from bot.store.chunking import MAX_CHUNK_WORDS, chunk_article, chunk_id, split_sentences
from bot.text.article import load_article, parse_article

SEED_PATH = next((Path(__file__).resolve().parent.parent / "index" / "articles").glob("*.txt"))


@pytest.fixture(scope="module")
def article():
    return load_article(SEED_PATH)


@pytest.fixture(scope="module")
def chunks(article):
    return chunk_article(article)


def sentences_of(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


# --- spans ---------------------------------------------------------------------------


def test_every_chunk_span_maps_back_to_the_exact_text(article, chunks):
    assert chunks
    for c in chunks:
        assert article.text[c.start : c.end] == c.text
        assert c.span == (c.start, c.end)
        assert c.text == c.text.strip()


def test_a_chunk_shares_its_articles_text_rather_than_holding_a_copy(article, chunks):
    assert all(c.source is article.text for c in chunks)  # one string per article in memory
    assert all(c.sentence_texts() == [c.text[s - c.start : e - c.start] for s, e in c.sentences] for c in chunks)
    assert "source" not in repr(chunks[0])  # the whole article is not printed with each chunk


def test_one_chunk_per_paragraph_in_order(article, chunks):
    # No seed paragraph is longer than MAX_CHUNK_WORDS, so each is one chunk.
    assert [c.paragraph for c in chunks] == [p.number for p in article.paragraphs]
    for c in chunks:
        p = article.paragraphs[c.paragraph]
        assert (c.start, c.end) == (p.start, p.end)
        assert c.section == p.section
        assert c.article_id == article.id
        assert c.is_metadata == (c.paragraph == 0)


def test_sentence_spans_lie_inside_the_chunk_and_cover_its_words(article, chunks):
    for c in chunks:
        spans = list(c.sentences)
        assert spans[0][0] == c.start and spans[-1][1] == c.end
        for (s, e), (s2, _) in zip(spans, spans[1:]):
            assert c.start <= s < e <= s2 <= c.end
            assert article.text[e:s2].isspace()  # only whitespace between sentences
        texts = c.sentence_texts()
        assert texts == [article.text[s:e] for s, e in spans]
        assert all(t == t.strip() and t for t in texts)
        assert " ".join(texts).split() == c.text.split()  # every word in exactly one sentence


def test_the_trump_quote_in_paragraph_nine_is_one_sentence(chunks):
    (nine,) = [c for c in chunks if c.paragraph == 9]
    assert len(nine.sentences) == 1
    (sentence,) = nine.sentence_texts()
    assert sentence.startswith('"I might have to speak to Russia')
    assert sentence.endswith('because Tomahawks are a new step of aggression," Trump said.')


@pytest.mark.parametrize(
    "paragraph, first_words",
    [
        (3, ["Trump and Putin previously", "Despite this,", "The Russian President's foreign affairs"]),
        (5, ["The US move", "Zelenskyy has expressed hope", '"The language of strength']),
        (10, ["The Tomahawk missile,", "However, analyst Mark Montgomery", "The US has already approved"]),
        (12, ["Experts like Maria Snegovaya", '"We should be prepared']),
    ],
)
def test_seed_sentences(chunks, paragraph, first_words):
    (chunk,) = [c for c in chunks if c.paragraph == paragraph]
    texts = chunk.sentence_texts()
    assert len(texts) == len(first_words)
    assert all(t.startswith(w) for t, w in zip(texts, first_words))


def test_the_header_sentences(chunks):
    assert chunks[0].sentence_texts()[2:] == [
        "The article was written by its author, Abhishek Tiwari.",
        "It was published on 17 October 2025 at 05:22 IST.",
        "It was last updated on 17 October 2025 at 05:22 IST.",
        "It is datelined Washington.",
    ]


# --- ids -----------------------------------------------------------------------------


def test_ids_are_stable_across_runs(article, chunks):
    again = chunk_article(load_article(SEED_PATH))
    assert [c.id for c in again] == [c.id for c in chunks]
    assert len({c.id for c in chunks}) == len(chunks)
    assert all(re.fullmatch(r"[0-9a-f]{24}", c.id) for c in chunks)


def test_ids_derive_from_content_hash_and_span(article, chunks):
    # The recipe, spelled out here: sha256 of "<sha256 of the cleaned text>:<start>:<end>", 24 hex digits.
    text_hash = hashlib.sha256(article.text.encode()).hexdigest()
    for c in chunks:
        assert c.id == hashlib.sha256(f"{text_hash}:{c.start}:{c.end}".encode()).hexdigest()[:24]
    # ... and one id pinned, so that a change to the recipe (which orphans every index) is seen.
    ninth = next(c for c in chunks if c.paragraph == 9)
    assert (ninth.start, ninth.end, ninth.id) == (3232, 3539, "c8a8d63103c703bc1714cc42")
    assert chunk_id(text_hash, ninth.start, ninth.end) == ninth.id


def test_ids_change_when_the_text_changes(tmp_path, chunks):
    raw = SEED_PATH.read_text(encoding="utf-8").replace("995 miles", "1,000 miles")
    changed = chunk_article(parse_article(raw, SEED_PATH.stem))
    assert len(changed) == len(chunks)
    assert not {c.id for c in changed} & {c.id for c in chunks}


def test_ids_do_not_depend_on_the_file_name(chunks):
    raw = SEED_PATH.read_text(encoding="utf-8")
    renamed = chunk_article(parse_article(raw, "another-name"))
    assert [c.id for c in renamed] == [c.id for c in chunks]
    assert {c.article_id for c in renamed} == {"another-name"}


# --- long paragraphs -----------------------------------------------------------------


def long_article(n_sentences: int, words_per_sentence: int = 9):
    sentences = [
        f"Sentence number {i} " + " ".join(["word"] * (words_per_sentence - 4)) + " here." for i in range(n_sentences)
    ]
    return parse_article("A Long Story\n" + " ".join(sentences) + "\nA short closing paragraph.", "long")


def test_a_long_paragraph_is_split_at_sentence_boundaries():
    a = long_article(39)  # 351 words in paragraph 1: 13 sentences (117 words) per chunk
    chunks = chunk_article(a)
    body = [c for c in chunks if c.paragraph == 1]
    assert [len(c.sentences) for c in body] == [13, 13, 13]
    for c in body:
        assert len(c.text.split()) <= MAX_CHUNK_WORDS
        assert a.text[c.start : c.end] == c.text
        assert c.text.startswith("Sentence number") and c.text.endswith("here.")
    # Together they are the paragraph, with nothing lost or repeated.
    p = a.paragraphs[1]
    assert body[0].start == p.start and body[-1].end == p.end
    assert " ".join(c.text for c in body) == paragraph_text(a, 1)
    assert [c.paragraph for c in chunks] == [0, 1, 1, 1, 2]
    assert len({c.id for c in chunks}) == len(chunks)


@pytest.mark.parametrize("max_words", [9, 10, 17, 18, 30, 1000])
def test_chunks_fill_up_to_max_words(max_words):
    a = long_article(12)
    body = [c for c in chunk_article(a, max_words=max_words) if c.paragraph == 1]
    per_chunk = max(1, max_words // 9)
    assert [len(c.sentences) for c in body][:-1] == [per_chunk] * (len(body) - 1)
    assert sum(len(c.sentences) for c in body) == 12


def test_a_sentence_longer_than_the_limit_is_kept_whole():
    a = parse_article("Title\n" + " ".join(["word"] * 50) + ". Short one.", "x")
    body = [c for c in chunk_article(a, max_words=20) if c.paragraph == 1]
    assert [len(c.text.split()) for c in body] == [50, 2]


# --- split_sentences -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", []),
        ("   ", []),
        ("Hello", ["Hello"]),
        ("Hello.", ["Hello."]),
        ("Hello.  ", ["Hello."]),
        ("One. Two. Three.", ["One.", "Two.", "Three."]),
        ("Is it? Yes! Fine.", ["Is it?", "Yes!", "Fine."]),
        ("End?! Next.", ["End?!", "Next."]),
        # Ellipses: a sentence ends only when a capital follows.
        ("Wait... What now?", ["Wait...", "What now?"]),
        ("Wait… then more.", ["Wait… then more."]),
        ("I don't think so…..I think I might.", ["I don't think so…..I think I might."]),
        # Abbreviations.
        ("The U.S. and the U.K. agreed. Then it ended.", ["The U.S. and the U.K. agreed.", "Then it ended."]),
        ("The U.S. Army left. Next.", ["The U.S. Army left.", "Next."]),
        ("Mr. Smith went. Dr. Jones came.", ["Mr. Smith went.", "Dr. Jones came."]),
        ("Sen. John Thune spoke. Gen. Lee too.", ["Sen. John Thune spoke.", "Gen. Lee too."]),
        ("J. R. Smith spoke. Ok.", ["J. R. Smith spoke.", "Ok."]),
        ("e.g. this. And that.", ["e.g. this.", "And that."]),
        ("No. 5 won. Sept. 5 came.", ["No. 5 won.", "Sept. 5 came."]),
        ("Up 3.5 percent. Next.", ["Up 3.5 percent.", "Next."]),
        ("It cost $3.50 in 2025. Then 995 miles.", ["It cost $3.50 in 2025.", "Then 995 miles."]),
        ("a. b. c.", ["a. b. c."]),  # no capital after the dots: one sentence
        # Quotations.
        ('He left. "Stay. Please," she said. Done.', ["He left.", '"Stay. Please," she said.', "Done."]),
        ("He said “Stop. Now.” Then left.", ["He said “Stop. Now.”", "Then left."]),
        ("He said: ‘Go.’ Then left.", ["He said: ‘Go.’", "Then left."]),
        ('"Why?" he asked. Then.', ['"Why?" he asked.', "Then."]),
        ('He said, "I told him ‘no.’ Then I left." Fine.', ['He said, "I told him ‘no.’ Then I left."', "Fine."]),
        ("‘Putin’s call,’ he said. Next.", ["‘Putin’s call,’ he said.", "Next."]),
        ("He said (quietly.) Then.", ["He said (quietly.)", "Then."]),
        # Unicode.
        ("Zelenskyy’s view. Ça va? Ja.", ["Zelenskyy’s view.", "Ça va?", "Ja."]),
        ("Ünïcödé wörds. Ölig.", ["Ünïcödé wörds.", "Ölig."]),
        ("Rocket 🚀 launched. Émile waved.", ["Rocket 🚀 launched.", "Émile waved."]),
        ("日本語の文。次の文。", ["日本語の文。次の文。"]),
    ],
)
def test_split_sentences(text, expected):
    assert sentences_of(text) == expected


@pytest.mark.parametrize("offset", [0, 1, 1000])
def test_split_sentences_offset(offset):
    text = "One two. Three four."
    assert split_sentences(text, offset) == [(offset + 0, offset + 8), (offset + 9, offset + 20)]


def test_split_sentences_doctest_example():
    assert split_sentences('He left. "Stay. Please," she said. Done.') == [(0, 8), (9, 34), (35, 40)]
