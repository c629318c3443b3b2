"""The short answer: the reader's span, shaped by the question's type, and offered only where
the ranker's choice of sentence makes it right more often than not."""

from __future__ import annotations

import pytest

from bot.reading import short_answer as sa
from bot.reading.passages import Read, window
from bot.reading.question import analyse
from bot.text.nlp import parse_article

TEXT = "Deutsche Boerse boss Werner Seifert met the exchange's owners in London on Friday to discuss a bid of £1.5bn."


@pytest.fixture(scope="module")
def sentence():
    (s,) = parse_article(TEXT, [(0, len(TEXT))])
    return s


def _pointing_at(s, words: str) -> tuple:
    """The sentence's window and a reading whose best span is `words`."""
    w = window([s], 0)
    a = w.text.index(words)
    return w, Read(z=1.0, gap=2.0, spans=[(a, a + len(words), 9.0)])


def test_an_entity_of_the_asked_kind_is_the_short_answer(sentence):
    w, r = _pointing_at(sentence, "Werner Seifert")
    assert sa.short_answer(analyse("Who met the owners?"), sentence, w, r, confidence=0.9) == "Werner Seifert"


def test_no_entity_below_its_bar(sentence):
    w, r = _pointing_at(sentence, "Werner Seifert")
    q = analyse("Who met the owners?")
    assert sa.short_answer(q, sentence, w, r, confidence=sa.BAR_ENTITY) == "Werner Seifert"
    assert sa.short_answer(q, sentence, w, r, confidence=sa.BAR_ENTITY - 0.01) is None


def test_an_open_span_needs_the_higher_bar(sentence):
    w, r = _pointing_at(sentence, "a bid of £1.5bn")
    q = analyse("What did they discuss?")
    assert sa.BAR_SPAN > sa.BAR_ENTITY
    assert sa.short_answer(q, sentence, w, r, confidence=sa.BAR_SPAN) == "a bid of £1.5bn"
    assert sa.short_answer(q, sentence, w, r, confidence=sa.BAR_SPAN - 0.01) is None


def test_no_entity_stands_in_where_the_reader_points_at_none_of_the_kind(sentence):
    w, r = _pointing_at(sentence, "the exchange's owners")  # no date in the span
    q = analyse("When did they meet?")
    assert q.answer_type == "DATE" and "Friday" in sentence.text
    assert sa.short_answer(q, sentence, w, r, confidence=1.0) is None
