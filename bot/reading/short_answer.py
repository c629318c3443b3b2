"""The short answer: the joint reader's best answer span inside the quoted sentence that
fits the question's type ("How far is Budapest from Kyiv?" -> "about 995 miles").

The type constrains the span: a question that expects a kind of entity (a "who" is a
person or an organisation, never a nationality; "how much does it cost" is money) takes
the entity of that kind (not the question's own words) that the best short span points at,
whole; a question that expects a reason, a manner or a quote gets none (the sentence is
the answer); an open "what" (or "who is <a name>?") takes the best short span. Where the
reader found no span of the expected kind, there is none.

A short answer is offered only where it is right more often than not: the sentence it comes
from must be the ranker's choice with probability at least BAR_ENTITY (an entity of the
expected kind) or BAR_SPAN (an open span). Measured on the 1,430 written questions of the 110
training articles the joint reader never saw (609 short answers, 72.2% right; the share right
by the ranker's probability, in bins of 0.1):

| ranker's probability | < 0.3 | 0.3-0.4 | 0.4-0.5 | 0.5-0.6 | 0.6-0.7 | 0.7-0.8 | 0.8-0.9 | >= 0.9 |
|---|---|---|---|---|---|---|---|---|
| entity of the expected kind | 1/6 | 2/6 | 6/12 | 11/17 | 8/13 | 20/27 | 64/73 | 209/235 |
| open span | 1/11 | 3/4 | 5/19 | 6/17 | 11/22 | 17/31 | 23/39 | 48/60 |

Where it points at none, the typed entity nearest the question's words was right for 5 of
17, so none is offered. With the bars, 529
short answers, 78.8% right, on 59.5% of the answered answerable questions (68.5% without).
The ranker and refusal were fitted on these articles' questions (the joint reader was not),
so its probabilities there are surer than on new articles; bbc-dev and a fresh blind set are
the held-out check (docs/method.md).
"""

from __future__ import annotations

import re

from ..text.nlp import Sentence
from .features import SHORT_WORDS, _answer_entities, answer_words
from .passages import Read, Window
from .question import TYPE_LABELS, QuestionInfo

CURRENCY = "£$€¥"
NO_SHORT = ("REASON", "MANNER", "QUOTE")
PICK = 3  # the reader's best short spans an entity may be pointed at by
BAR_ENTITY = 0.4  # the ranker's probability of the sentence below which an entity is withheld
BAR_SPAN = 0.6  # the same for an open span (see the module's docstring)


def _own_words(q: QuestionInfo, text: str) -> bool:
    """Whether a span says only what the question already says."""
    ws = answer_words(text)
    return not ws or all(w in q.words for w in ws)


# General English: a word that says a figure is approximate or a bound belongs to the answer
# ("around 995 miles", "more than 300"); spaCy often leaves it outside the entity.
_APPROX = re.compile(
    r"(?i)(?:\b(?:around|about|nearly|almost|roughly|some|approximately|up to|more than|less than|fewer than|over|under|at least|at most)\s+)$"
)


def _with_currency(s: Sentence, a: int, b: int) -> str:
    """The span's text, in whole words (a span may end inside one: "$717" of "$717m",
    "apologis" of "apologised"), with the currency sign and the approximator before it.

    >>> s = Sentence(0, 100, 150, "Donors promised about $717m; he apologised.", 1, False)
    >>> _with_currency(s, 123, 126), _with_currency(s, 132, 140)  # "717", "apologis"
    ('about $717m', 'apologised')
    """
    text, lo = s.text, s.start
    while a < b < lo + len(text) and text[b - lo - 1].isalnum() and text[b - lo].isalnum():
        b += 1
    while lo < a < b and text[a - lo].isalnum() and text[a - lo - 1].isalnum():
        a -= 1
    if a > s.start and s.text[a - s.start - 1] in CURRENCY:  # spaCy leaves "£" outside "1.5bn"
        a -= 1
    first = s.text[a - s.start : a - s.start + 1]
    if first.isdigit() or (first and first in CURRENCY):
        before = _APPROX.search(s.text[: a - s.start])
        if before:
            a = s.start + before.start()
    return s.text[a - s.start : b - s.start].strip(" ,;:")


def spans_in(s: Sentence, w: Window, r: Read) -> list[tuple[int, int, float]]:
    """The reader's spans that lie inside sentence `s`, as article offsets, best first."""
    if s.index not in w.sentences:
        return []
    lo, hi = w.span_in(s.index)
    return [(s.start + a - lo, s.start + b - lo, score) for a, b, score in r.spans if lo <= a and b <= hi]


def short_answer(q: QuestionInfo, s: Sentence, w: Window | None, r: Read | None, confidence: float) -> str | None:
    """The short answer in sentence `s`, which the ranker chose with probability `confidence`."""
    if q.answer_type in NO_SHORT or confidence < BAR_ENTITY:
        return None
    spans = spans_in(s, w, r) if w is not None and r is not None else []
    spans = [(a, b, score) for a, b, score in spans if len(s.text[a - s.start : b - s.start].split()) <= SHORT_WORDS]
    if TYPE_LABELS.get(q.answer_type):
        ents = _answer_entities(q, s)  # of the expected kind, not the question's own words
        pointed = [(rank, e) for rank, (a, b, _) in enumerate(spans[:PICK]) for e in ents if e.start < b and a < e.end]
        if pointed:  # the entity a span points at, whole ("around 995 miles", "£1.5bn")
            described = _described(q, s)
            rank, best = min(
                pointed, key=lambda re: (not any(a <= re[1].start and re[1].end <= b for a, b in described), re[0])
            )
            return _with_currency(s, best.start, best.end)
        return None
    # The refusal has judged that the article answers: the reader's best short span.
    if r is not None and confidence >= BAR_SPAN:
        for a, b, _ in spans[:1]:
            text = _with_currency(s, a, b)
            if not _own_words(q, text):
                return text
    return None


def _described(q: QuestionInfo, s: Sentence) -> list[tuple[int, int]]:
    """The sentence's noun phrases that hold one of the question's words: "LSE chief
    executive Clara Furse" answers "Who is the chief executive of the LSE?"."""
    matched = [p for lem, p in zip(s.lemmas, s.lemma_starts) if lem in q.focus]
    return [(a, b) for _, a, b in s.noun_chunks if any(a <= p < b for p in matched)]
