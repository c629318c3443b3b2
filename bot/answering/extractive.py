"""The default answerer: quote the one or two sentences that answer best, or abstain.

Each sentence of the retrieved passages is scored against the question with the
sentence vectors computed at index time (no embedding per question besides the
query's own) and the idf-weighted share of the question's terms it contains. The
evidence must also fit what the question asks for (a number for "how many", a date
for "when", a place for "where"...; see ANSWER_TYPES), and every name in the question
must occur in the articles. Below the calibrated threshold the bot says the article
doesn't say.

`select` is the evidence gate of every backend (the pipeline refuses without calling a
model when it abstains); `ExtractiveAnswerer` answers with the evidence itself.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..core.answerer import Draft
from ..retrieve.followup import entities
from ..text.words import STOPWORDS, stem, terms, words
from .answer_types import KIND_PHRASES, answer_type, fits_type
from .citations import compose
from .guards import gives_instructions

# Weights of the sentence score; the passage-level part lets a sentence borrow the
# context of the paragraph it sits in ("he said" after the quote that names him).
W_SENTENCE, W_PASSAGE, W_LEXICAL = 0.5, 0.2, 0.3
# Calibrated on the dev set (docs/evaluation.md, "The refusal threshold"): the
# middle of the widest range of thresholds that refuses the most unanswerable
# questions while false refusals of answerable ones stay at or under 5%
# (0.17-0.23 over the 117 questions of tests/eval/article.jsonl: 76% refused, 3.4-4.5%
# false refusals; `python -m bot eval` prints this rule's pick).
ABSTAIN_THRESHOLD = 0.20
MAX_WORDS = 60
SECOND_MARGIN = 0.15  # a second sentence must score at least this close to the best
MIN_GAIN = 0.25  # ... and cover this share of the question's term weight that the first lacks
W_ENTITY = 0.4  # how much a sentence loses for each of the question's names it lacks
VARIANT_PREFIX = 6  # name words sharing this many first letters are one name (Ukraine / Ukrainian)


def _names_in(word: str, text_words: set[str]) -> bool:
    """Is the name word in the text, itself or as a variant sharing its first six letters
    (Ukrainian / Ukraine, Russian / Russia, Zelensky / Zelenskyy)?"""
    prefix = word[:VARIANT_PREFIX]
    return word in text_words or (len(word) >= VARIANT_PREFIX and any(w.startswith(prefix) for w in text_words))


def entity_coverage(entities: list[str], sentence: str, passage: str | None) -> float:
    """Share of the question's names in the sentence (half credit: elsewhere in its passage)."""
    if not entities:
        return 1.0
    sent, pas = set(words(sentence)), set(words(passage or ""))
    got = 0.0
    for e in entities:
        ws = [w for w in words(e) if w not in STOPWORDS]
        if ws and all(_names_in(w, sent) for w in ws):
            got += 1.0
        elif ws and all(_names_in(w, pas) for w in ws):
            got += 0.5
    return got / len(entities)


@dataclass(frozen=True)
class Scored:
    chunk_id: str
    index: int  # sentence number inside the chunk
    start: int  # absolute span in the article text
    end: int
    score: float
    vector: np.ndarray
    terms: frozenset = frozenset()  # the question's terms this sentence contains


@dataclass(frozen=True)
class Extract:
    """The chosen sentences, best first, or an abstention with its reason."""

    sentences: tuple[Scored, ...]
    confidence: float
    reason: str | None = None  # why it abstained

    @property
    def abstained(self) -> bool:
        return not self.sentences


def _question_names(question: str) -> list[str]:
    return entities(re.sub(r"(^|[.!?]\s+)([A-Z][a-z]+)", lambda m: m[1] + m[2].lower(), question))


def _has_prefix(vocabulary, prefix: str) -> bool:
    """Is some word of the vocabulary a continuation of `prefix`? A binary search over the
    sorted words, so the cost does not grow with the size of the archive."""
    ordered = _sorted_words(vocabulary)
    i = bisect.bisect_left(ordered, prefix)
    return i < len(ordered) and ordered[i].startswith(prefix)


@lru_cache(maxsize=4)
def _sorted_words(vocabulary: frozenset) -> tuple[str, ...]:
    return tuple(sorted(vocabulary))


# A nationality or regional adjective before a common noun ("the European country",
# "American and Russian presidents") describes the thing asked about; it names nothing.
_DESCRIPTOR = re.compile(r"\b([A-Z][a-z]+(?:an|ese|ish))\s+(?=[a-z])")


def descriptors(question: str) -> set[str]:
    """The question's descriptors.

    >>> sorted(descriptors("Did the American and Russian presidents meet Orbán?"))
    ['American', 'Russian']
    """
    return {m[1] for m in _DESCRIPTOR.finditer(question)}


def unknown_names(question: str, vocabulary: frozenset[str]) -> list[str]:
    """Capitalised words of the question that no article contains (a name the text never
    uses). A descriptor the articles lack ("European") leaves the question to the scoring."""
    missing = []
    skip = descriptors(question)
    for entity in _question_names(question):
        if entity in skip:
            continue
        for w in words(entity):
            if len(w) < 3 or w in STOPWORDS or w in vocabulary:
                continue
            if len(w) >= VARIANT_PREFIX and _has_prefix(vocabulary, w[:VARIANT_PREFIX]):
                continue  # a spelling variant: Zelensky / Zelenskyy
            missing.append(w)
    return missing


def select(question: str, qvec: np.ndarray, docs, index, threshold: float = ABSTAIN_THRESHOLD) -> Extract:
    """Score every sentence of the retrieved passages and pick the answer."""
    if gives_instructions(question):
        return Extract((), 0.0, "the message gives the bot instructions instead of asking about the article")
    missing = unknown_names(question, index.vocabulary)
    if missing:  # named as the question writes them: "FIFA World Cup", not "fifa, world, cup"
        shown = [e for e in _question_names(question) if set(words(e)) & set(missing)] or missing
        return Extract((), 0.0, f"the articles never mention {_either(shown)}")
    if not docs:
        return Extract((), 0.0, "no passage matched")
    kind = answer_type(question)
    names = _question_names(question)
    # What a typed answer must be about: the names, less descriptors when there are others
    # ("Where will Rubio meet the Russian advisers?" is about Rubio, not anything Russian).
    core = [n for n in names if n not in descriptors(question)] or names
    qterms = set(terms(question))
    weights = {t: index.lexical.idf(t) for t in qterms}
    total = sum(weights.values()) or 1.0
    vectors = index.sentence_vectors([d.id for d in docs])
    scored: list[Scored] = []
    off_topic = False  # a sentence of the right type was about something else
    for doc in docs:
        chunk = index.chunks[doc.id]
        # The title and section heading frame every paragraph under them ("the conflict"
        # is the one the title names): a typed answer may take a name from there, at half
        # credit. Not the metadata's: "It was published on …" is about the article itself.
        frame = "" if chunk.is_metadata else f"{index.articles[chunk.article_id].title}\n{chunk.section or ''}"
        passage_sim = float(doc.metadata["dense_score"]) if doc.metadata.get("dense_score") else 0.0
        sims = vectors[doc.id] @ qvec
        for i, (s, e) in enumerate(chunk.sentences):
            text = index.articles[chunk.article_id].text[s:e]
            if not fits_type(kind, text, question):
                continue
            present = {stem(w) for w in words(text)}
            lexical = sum(w for t, w in weights.items() if t in present) / total
            score = W_SENTENCE * float(sims[i]) + W_PASSAGE * passage_sim + W_LEXICAL * lexical
            # A typed answer (a number, a date, a place) must be about the thing named: the
            # sentence or its frame must name at least one of the question's names. Every
            # answer loses weight for each name missing from the sentence (half if it is in
            # the frame of a typed answer, or in the passage of another).
            coverage = entity_coverage(names, text, frame if kind else chunk.text)
            if kind and entity_coverage(core, text, frame) == 0:
                off_topic = True
                continue
            score *= 1 - W_ENTITY * (1 - coverage)
            scored.append(Scored(doc.id, i, s, e, score, vectors[doc.id][i], frozenset(qterms & present)))
    if not scored:
        about = f" for {' or '.join(core)}" if off_topic else ""
        return Extract((), 0.0, f"no passage states {KIND_PHRASES[kind]}{about}")  # type: ignore[index]  # untyped: every sentence fits
    scored.sort(key=lambda x: -x.score)
    best = scored[0]
    if best.score < threshold:
        return Extract((), best.score, "the evidence is too weak")
    chosen = [best]
    covered = set(best.terms)
    text_of = lambda c: index.articles[index.chunks[c.chunk_id].article_id].text[c.start : c.end]  # noqa: E731
    # A second sentence only when it answers a part of the question the first leaves
    # out (its terms carry at least MIN_GAIN of the question's weight) and scores near it.
    for other in scored[1:]:
        if other.score < best.score - SECOND_MARGIN:
            break
        gain = sum(weights[t] for t in other.terms - covered) / total
        n_words = len(text_of(best).split()) + len(text_of(other).split())
        if gain >= MIN_GAIN and float(other.vector @ best.vector) < 0.9 and n_words <= MAX_WORDS:
            chosen.append(other)
            break
    return Extract(tuple(_with_antecedent(c, index) for c in chosen), best.score)


def _either(names: list[str]) -> str:
    """['A'] -> 'A'; ['A', 'B', 'C'] -> 'A, B or C'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


_DANGLING = re.compile(
    r"^\W*(?:he|she|they|it|this|that|these|those)\b|[,\"”]\s*(?:he|she|they) (?:said|added|says)\b", re.I
)


def _with_antecedent(s: Scored, index) -> Scored:
    """A sentence that leans on the one before ("…," she said.) is quoted with it, so
    the answer says who; only within the same passage."""
    chunk = index.chunks[s.chunk_id]
    text = index.articles[chunk.article_id].text
    # The article-details passage says "It was published on …" of the article itself.
    if s.index == 0 or chunk.is_metadata or not _DANGLING.search(text[s.start : s.end]):
        return s
    prev_start, _ = chunk.sentences[s.index - 1]
    if len(text[prev_start : s.end].split()) > MAX_WORDS:
        return s
    return Scored(s.chunk_id, s.index - 1, prev_start, s.end, s.score, s.vector, s.terms)


class ExtractiveAnswerer:
    """The default `Answerer` (BOT_LLM=extractive): the chosen sentences, quoted with [n] markers.

    It needs no model and keeps no state per question, so an attempt is the answerer itself.
    """

    name = "extractive"
    streams = False  # the answer is ready at once; the pipeline streams it word by word
    notice = None

    @property
    def latency(self) -> dict:
        return {}

    def describe(self) -> str:
        return self.name

    def open(self) -> ExtractiveAnswerer:
        return self

    def search_query(self, question: str, history: list[dict], query: str, people: set[str]) -> str | None:
        return None  # the rule-based rewrite is the query

    def answer(self, query: str, docs: list, evidence: Extract, index) -> Iterator[str | Draft]:
        yield self.draft(evidence, index)

    def draft(self, evidence: Extract, index) -> Draft:
        """The chosen sentences with their [n] markers and citations."""
        response, citations = compose(evidence, index)
        return Draft(response, citations, backend=self.name)
