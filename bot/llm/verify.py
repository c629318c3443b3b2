"""Citation verification: every sentence the user sees is backed by the passage it cites.

The model is given passages numbered [1]..[k]. Each sentence of its reply is checked
on its own, so that verified sentences can be streamed while the rest is still coming:

- a marker must name a passage that was given ([7] of 4 passages removes the sentence);
- the sentence must be lexically supported by the passages it cites (`unsupported`, which
  the evaluation uses too): at least SUPPORT_THRESHOLD of its content terms (stemmed, stop
  words and words about the article itself left out) occur in them, every number it
  states occurs there too, and so do most terms of each of its longer clauses;
- its meaning must be the passage's (`changed_meaning`): no negation or refusal the passage
  lacks and none of the passage's own dropped, no count, unit or period it never uses, no
  name it never mentions, no roles swapped (who did what to whom, by spaCy's parse), and no
  short invented tail (", so Russia lost");
- a sentence without a marker is kept only if one passage supports it, which it then cites;
- given the question, a sentence must share a term with it or with a sentence already kept
  (small models like to quote the byline, which is supported but answers nothing);
- anything else is removed, with the reason.

Kept markers are renumbered in order of first use, like the extractive answers, and each
citation carries the passage sentence(s) that support it as its quote.

Why 0.6: measured on the dev set (tests/eval/article.jsonl) with claims written the way
a model answers, the question restated with its reference answer ("Where did Trump and
Putin meet before: In Alaska, in August."). 90% of them reach 0.6 against their gold
passage (median 0.80); against the best other passage of the article 20% do, nearly all
of them passages that repeat the same fact. Invented sentences that borrow a name ("The
population of Hungary is approximately 3.1 million") score far lower (1/6 here), and the
number rule removes an invented figure whatever its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core.answer import MARKER, Citation
from ..store.chunking import split_sentences
from ..text.words import terms, words
from .meaning import (
    changed_meaning,
    claim_terms,
    strip_markers,
    support,
)

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MARKER_LIST = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})+)\]")
# Markers after a sentence's stop(s), and the quote or bracket closing it, cite that sentence.
_MARKERS_AFTER_STOP = re.compile(r"([.!?…]+[\"”’')\]]*)((?:\s*\[\d{1,3}\])+)")
SUPPORT_THRESHOLD = 0.6
# A clause of three or more content terms must be supported on its own, at this lower bar:
# a well-supported sentence must not carry an invented claim on its tail ("Trump and Putin
# will meet in Budapest, which means Ukraine already won the war").
CLAUSE_THRESHOLD = 0.5
CLAUSE_MIN_TERMS = 3
_CLAUSE = re.compile(
    r"[,;:]\s+|\s+[-–—]\s+|\s+(?:and|but|so|which|because|while|whereas|meaning|thus|therefore|hence)\s+", re.I
)


def markers_before_stop(text: str) -> str:
    """Markers after a sentence's end moved before it, so that they stay with the sentence.

    >>> markers_before_stop('It is in Budapest. [1] [2] He said “soon.” [3] Wait… [4]')
    'It is in Budapest [1] [2]. He said “soon [3].” Wait [4]…'
    """
    return _MARKERS_AFTER_STOP.sub(lambda m: f"{m[2]}{m[1]}", text)


def normalize_markers(text: str) -> str:
    """Markers before the full stop, one number per bracket.

    >>> normalize_markers("It is in Budapest. [1] [2] Yes, see [1, 3].")
    'It is in Budapest [1] [2]. Yes, see [1][3].'
    """
    return markers_before_stop(_MARKER_LIST.sub(lambda m: "".join(f"[{n.strip()}]" for n in m[1].split(",")), text))


def numbers(text: str) -> set[str]:
    """Numbers as written, separators dropped: numbers('3,350 ERAMs, 2.5 km, [4]') -> {'3350', '2.5'}."""
    return {n.replace(",", "") for n in _NUMBER.findall(strip_markers(text))}


def unsupported_clause(sentence: str, passage: str) -> str | None:
    """The first clause of the sentence that the passage does not support, or None.

    >>> unsupported_clause("Putin called Trump, which means Ukraine won the war [1].", "Putin called Trump on Thursday.")
    'which means Ukraine won the war'
    >>> unsupported_clause("Putin called Trump on Thursday [1].", "Putin called Trump on Thursday.") is None
    True
    """
    present = set(terms(passage))
    for n, clause in enumerate(_CLAUSE.split(strip_markers(sentence).rstrip(".!?"))):
        claim = claim_terms(clause)
        share = len(claim & present) / len(claim) if claim else 1.0
        if len(claim) >= CLAUSE_MIN_TERMS and share < CLAUSE_THRESHOLD:
            return clause.strip()
        if n > 0 and len(claim) == 2 and share < 1.0:  # a short tail: "..., so Russia lost"
            return clause.strip()
    return None


def missing_numbers(sentence: str, passages: list[str]) -> set[str]:
    """Numbers in the sentence that none of the passages states."""
    present = set().union(*(numbers(p) for p in passages)) if passages else set()
    return numbers(sentence) - present


def unsupported(sentence: str, passages: list[str], threshold: float = SUPPORT_THRESHOLD) -> str | None:
    """Why the passages do not support the sentence (one asserting nothing included), or None:
    the one test of support, of the verifier and of the evaluation (bot.evaluation.metrics).

    >>> unsupported("Putin called Trump on Thursday [1].", ["Putin called Trump on Thursday."]) is None
    True
    >>> unsupported("Putin called Trump 3 times [1].", ["Putin called Trump on Thursday."])
    'the cited passage(s) do not state 3'
    """
    if not claim_terms(sentence):
        return "it asserts nothing"
    joined = " ".join(passages)
    score = support(sentence, joined)
    if score < threshold:
        return f"only {score:.0%} of its terms are in the cited passage(s)"
    lacking = missing_numbers(sentence, passages)
    if lacking:
        return f"the cited passage(s) do not state {', '.join(sorted(lacking))}"
    clause = unsupported_clause(sentence, joined)
    if clause:
        return f"the cited passage(s) do not support “{clause}”"
    return changed_meaning(sentence, joined)


def quote_span(sentence: str, passage: str) -> tuple[int, int]:
    """The span of the passage sentence(s) that best support the claim: the best sentence,
    extended to the next or previous one when it alone covers under 80% of what the
    passage covers and the neighbour adds terms it lacks."""
    spans = split_sentences(passage) or [(0, len(passage))]
    claim = claim_terms(sentence)
    covered = [claim & set(terms(passage[s:e])) for s, e in spans]
    best = max(range(len(spans)), key=lambda i: (len(covered[i]), -i))
    start, end = spans[best]
    if len(covered[best]) >= 0.8 * len(set().union(*covered)):
        return start, end
    for j in (best + 1, best - 1):
        if 0 <= j < len(spans) and covered[j] - covered[best]:
            start, end = min(start, spans[j][0]), max(end, spans[j][1])
            break
    return start, end


@dataclass(frozen=True)
class Passage:
    """One numbered passage as the model saw it, with what the citation needs."""

    text: str
    chunk_id: str = ""
    article_id: str = ""
    article_title: str = ""
    paragraph: int = 0
    published: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Cited:
    marker: int  # the renumbered marker the user sees
    passage: int  # 0-based index into the given passages
    quote_span: tuple[int, int]
    score: float


@dataclass(frozen=True)
class Verdict:
    text: str | None  # the sentence as shown to the user (markers renumbered), or None: removed
    reason: str | None = None  # why it was removed


@dataclass
class Checker:
    """Checks reply sentences one at a time against the passages given to the model."""

    passages: list[Passage]
    threshold: float = SUPPORT_THRESHOLD
    question: str = ""  # when given, a sentence must also address it (see `check`)
    cited: dict[int, Cited] = field(default_factory=dict)  # passage index -> citation
    removed: list[tuple[str, str]] = field(default_factory=list)  # (sentence, reason)
    _said: set = field(default_factory=set)  # the terms of the sentences kept so far

    def check(self, sentence: str) -> Verdict:
        sentence = " ".join(sentence.split())
        given = [int(m) for m in MARKER.findall(sentence)]
        claim = claim_terms(sentence)
        if not claim:  # "Sure." or a refusal: dropped, but not counted as an unsupported claim
            return Verdict(None, "it asserts nothing")
        if says_no_answer(sentence):  # a refusal, not a claim: generate decides what it means
            return Verdict(None, "it says the passages do not answer")
        tokens = words(strip_markers(sentence))
        if len(tokens) >= 12 and len(set(tokens)) < 0.5 * len(tokens):  # a small model stuck in a loop
            return self._remove(sentence, "it repeats itself")
        if self._said and claim <= self._said:  # says again what a kept sentence said
            return Verdict(None, "it repeats a kept sentence")
        asked = claim_terms(self.question)
        if asked and not claim & (asked | self._said):
            # True but beside the point ("The article was written by ...") is not an answer:
            # a sentence must share a term with the question or with a sentence already kept.
            return self._remove(sentence, "it does not address the question")
        bad = sorted({n for n in given if not 1 <= n <= len(self.passages)})
        if bad:
            return self._remove(sentence, f"it cites [{bad[0]}] but only {len(self.passages)} passages were given")
        idx = sorted({n - 1 for n in given})
        if not idx:  # no marker: the one passage that supports it best, if any
            scores = [(support(sentence, p.text), i) for i, p in enumerate(self.passages)]
            best, i = max(scores, default=(0.0, -1), key=lambda s: (s[0], -s[1]))
            if best < self.threshold:
                return self._remove(sentence, "it has no citation and no passage supports it")
            idx = [i]
        reason = unsupported(sentence, [self.passages[i].text for i in idx], self.threshold)
        if reason:
            return self._remove(sentence, reason)
        # Keep the markers whose passage contributes to the claim; renumber in order of first use.
        useful = [i for i in idx if claim & set(terms(self.passages[i].text))] or idx[:1]
        for i in useful:
            if i not in self.cited:
                span = quote_span(sentence, self.passages[i].text)
                self.cited[i] = Cited(len(self.cited) + 1, i, span, round(support(sentence, self.passages[i].text), 4))
        self._said |= claim
        body = strip_markers(sentence)
        end = body[-1] if body[-1:] in (".", "!", "?") else ""
        body = body[: len(body) - len(end)].rstrip()
        marks = "".join(f"[{self.cited[i].marker}]" for i in useful)
        return Verdict(f"{body} {marks}{end}")

    def _remove(self, sentence: str, reason: str) -> Verdict:
        self.removed.append((sentence, reason))
        return Verdict(None, reason)

    def citations(self) -> tuple:
        """The `Citation`s of the kept sentences, in marker order."""
        out = []
        for c in sorted(self.cited.values(), key=lambda c: c.marker):
            p = self.passages[c.passage]
            s, e = c.quote_span
            out.append(
                Citation(
                    marker=c.marker,
                    chunk_id=p.chunk_id,
                    article_id=p.article_id,
                    article_title=p.article_title,
                    paragraph=p.paragraph,
                    quote=p.text[s:e].strip(),
                    text=p.text,
                    score=c.score,
                    quote_span=(s, e),
                    published=p.published,
                    url=p.url,
                )
            )
        return tuple(out)


def sentences(text: str) -> list[str]:
    """A reply split into sentences, markers kept with the sentence they close."""
    text = normalize_markers(text)
    return [text[s:e] for s, e in split_sentences(text)] or ([text.strip()] if text.strip() else [])


_NO_ANSWER = re.compile(
    r"\b(?:does|do|did|is|are)(?: not|n['’]t) (?:provide|give|say|mention|state|contain|include|specify|tell|answer|"
    r"have|know)\b|\bno (?:information|mention|details?|answer)\b|\bnot (?:mentioned|stated|specified|provided)\b",
    re.I,
)


def says_no_answer(sentence: str) -> bool:
    """'The article does not provide any information about X' - a refusal in other words,
    which lexical support cannot check (it repeats the question's terms)."""
    return _NO_ANSWER.search(sentence) is not None


def is_refusal(text: str, refusal: str) -> bool:
    """Did the model refuse: the refusal sentence (and essentially nothing else), or only
    sentences saying the passages lack the answer?"""
    said = words(strip_markers(text))
    target = words(refusal)
    if said and said[: len(target)] == target and len(said) <= len(target) + 12:
        return True
    parts = sentences(text)
    return bool(parts) and all(says_no_answer(s) for s in parts)
