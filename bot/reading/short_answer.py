"""The short answer: the entity of the expected type in the chosen sentence, not a word of
the question, nearest the question's matched words ("How far is Budapest from Kyiv?" ->
"about 995 miles"). None for why/how/quote questions or when nothing fits."""

from __future__ import annotations

from ..text.nlp import Sentence
from .features import _answer_entities
from .question import TYPE_LABELS, QuestionInfo

CURRENCY = "£$€¥"


def short_answer(q: QuestionInfo, s: Sentence) -> str | None:
    ents = _answer_entities(q, s)
    if not ents:
        return None
    order = list(TYPE_LABELS.get(q.answer_type, ()))
    # label preference follows the type's own order (who -> PERSON before ORG before NORP)
    pref = {
        "PERSON": ["PERSON", "ORG", "NORP"],
        "ORG": ["ORG", "NORP", "PERSON"],
        "DATE": ["DATE", "TIME"],
        "PLACE": ["GPE", "LOC", "FAC"],
        "AMOUNT": ["MONEY", "QUANTITY", "PERCENT", "CARDINAL"],
        "COUNT": ["CARDINAL", "QUANTITY", "PERCENT", "MONEY"],
    }.get(q.answer_type, order)
    # (start, end) of each matched word, the end approximated by its lemma's length
    matched = [(p, p + len(lem)) for lem, p in zip(s.lemmas, s.lemma_starts) if lem in q.focus and lem != q.head]
    head_pos = [p for lem, p in zip(s.lemmas, s.lemma_starts) if q.head and lem == q.head]

    # A noun phrase whose head (its last word, in English) is a matched word describes the
    # thing asked about ("US" in "US President Donald Trump" when the question names Trump);
    # its other entities come last. "LSE chief executive Clara Furse" is headed by the answer.
    describing = [(a, b) for _, a, b in s.noun_chunks if any(a <= p and b - 2 <= q <= b for p, q in matched)]

    def key(e):
        in_phrase = any(a <= e.start and e.end <= b for a, b in describing)
        label_rank = pref.index(e.label) if e.label in pref else len(pref)
        # the gap between the entity and the nearest matched word, on either side of it
        dist = min((max(e.start - b, a - e.end, 0) for a, b in matched), default=0)
        head_bonus = 0 if any(e.start <= p <= e.end + 25 for p in head_pos) else 1
        return (head_bonus, in_phrase, label_rank, dist)

    best = min(ents, key=key)
    a, b = best.start - s.start, best.end - s.start
    if a > 0 and s.text[a - 1] in CURRENCY:  # spaCy leaves "£" outside "1.5bn"
        a -= 1
    return s.text[a:b]
