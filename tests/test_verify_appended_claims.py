"""Verification (issue 17, point 7): a sentence the passage supports must not carry an
unsupported claim on its tail ("…, which means Ukraine already won the war [1]").

Kept apart from test_verify.py: it imports the verifier itself, whose module path may move.
"""

from __future__ import annotations

import pytest

from bot.llm.verify import Checker, Passage, sentences

BUDAPEST = (
    "US President Donald Trump has announced a second meeting with Russian President Vladimir Putin, "
    "set to take place in Hungary's Budapest, in a bid to end the ongoing war in Ukraine. Trump made the "
    "announcement after holding a two-hour-long phone call with Putin on Thursday."
)
PASSAGES = [Passage(BUDAPEST, chunk_id="c1", article_id="a", article_title="T", paragraph=1)]
QUESTION = "Where will Trump and Putin meet?"


def verify(text: str, passages: list[Passage], question: str):
    """(kept text, citations, removed (sentence, reason) pairs), as the LLM answerer checks a reply."""
    checker = Checker(passages, question=question)
    kept = [v.text for v in map(checker.check, sentences(text)) if v.text]
    return " ".join(kept), checker.citations(), checker.removed


SUPPORTED = "Trump announced a second meeting with Russian President Vladimir Putin in Hungary's Budapest"


@pytest.mark.parametrize(
    "tail",
    [
        ", which means Ukraine already won the war",
        ", which proves that Russia surrendered unconditionally",
        " and sanctions against Moscow were lifted yesterday",
    ],
)
def test_an_unsupported_claim_appended_to_a_supported_sentence_is_removed(tail):
    kept, citations, removed = verify(f"{SUPPORTED}{tail} [1].", PASSAGES, question=QUESTION)
    assert tail.split()[-1] not in kept
    assert removed and removed[0][0].startswith(SUPPORTED)


@pytest.mark.parametrize(
    "sentence",
    [
        f"{SUPPORTED} [1].",
        f"{SUPPORTED}, in a bid to end the ongoing war in Ukraine [1].",
        "Trump and Putin will meet in Budapest, after a two-hour-long phone call on Thursday [1].",
    ],
)
def test_a_sentence_whose_every_clause_is_supported_is_kept(sentence):
    kept, citations, removed = verify(sentence, PASSAGES, question=QUESTION)
    assert kept.endswith("[1].") and removed == []
    assert citations[0].quote in BUDAPEST


TOMAHAWK = (
    "The Tomahawk has a range of about 995 miles (1,600km), which would put Moscow within reach of Ukraine. "
    "Russia has warned the US against sending them."
)
TOMAHAWK_PASSAGES = [Passage(TOMAHAWK, chunk_id="c2", article_id="a", article_title="T", paragraph=2)]


@pytest.mark.parametrize(
    "claim",
    [
        "The Tomahawk has a range of about 995 miles, so Russia lost [1].",  # a short appended clause
        "The Tomahawk has a range of about 995 miles; Zelenskyy resigned [1].",
        "The Tomahawk never had a range of 995 miles [1].",  # a negation
        "The Tomahawk has a range of about 995 kilometres [1].",  # a swapped unit
        "The US has warned Russia against sending Tomahawks [1].",  # swapped roles
        "The Tomahawk has a range of about 995 miles a month [1].",  # a period the passage never gives
    ],
)
def test_a_claim_whose_meaning_the_passage_does_not_carry_is_removed(claim):
    kept, _, removed = verify(claim, TOMAHAWK_PASSAGES, question="What range does the Tomahawk have?")
    assert kept == "" and removed, (kept, removed)


@pytest.mark.parametrize(
    "claim",
    [
        "The Tomahawk has a range of about 995 miles [1].",
        "Its range is about 1,600km, which would put Moscow within reach of Ukraine [1].",
        "Russia has warned the US against sending Tomahawks, which have a range of about 995 miles [1].",
    ],
)
def test_a_claim_the_passage_carries_is_kept(claim):
    kept, _, removed = verify(claim, TOMAHAWK_PASSAGES, question="What range does the Tomahawk have?")
    assert kept and not removed, removed
