"""The default answerer: quote the one or two sentences that answer best, or abstain.

Each sentence of the retrieved passages is scored against the question with the
sentence vectors computed at index time (no embedding per question besides the
query's own) and the idf-weighted share of the question's terms it contains. The
evidence must also fit what the question asks for (a number for "how many", a date
for "when", a person for "who"...), and every name in the question must occur in
the articles. Below the calibrated threshold the bot says the article doesn't say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .lexical import STOPWORDS, stem, terms, words

# Weights of the sentence score; the passage-level part lets a sentence borrow the
# context of the paragraph it sits in ("he said" after the quote that names him).
W_SENTENCE, W_PASSAGE, W_LEXICAL = 0.5, 0.2, 0.3
# Calibrated on the dev set's unanswerable questions (README, "How the refusal
# threshold was chosen"): the lowest threshold keeping false refusals of answerable
# questions at or under 5%.
ABSTAIN_THRESHOLD = 0.40
MAX_WORDS = 60
SECOND_MARGIN = 0.06  # a second sentence is added only when it scores this close to the best

_NUMBER = r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?|millions?|billions?|first|second|third|once|twice)\b"
_DATE = (r"\b(?:\d{4}|\d{1,2}:\d{2}|january|february|march|april|may|june|july|august|september|october|november|"
         r"december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tomorrow|tonight|"
         r"week|weeks|month|months|year|years|date|ago|soon|later|earlier|recently|upcoming|next|last|previously|time)\b")
ANSWER_TYPES = {
    # type: (question pattern, evidence pattern)
    "money": (r"\b(?:cost|costs|price|priced|pay|paid|spend|spent|worth|budget|dollars?)\b",
              r"[$€£]|\b(?:dollars?|euros?|pounds?|cost|costs|price|worth|budget|paid|funding)\b"),
    "distance": (r"^how far\b|\bdistance\b|\bhow long is (?:the|its) range\b",
                 r"\b\d[\d,.]*\s*(?:miles?|km|kilomet\w+|met(?:er|re)s?|feet)\b|\brange\b"),
    "count": (r"^how many\b|^how much\b|\bwhat (?:number|percentage|share)\b", _NUMBER),
    "duration": (r"^how long\b", r"\b(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b"),
    "date": (r"^when\b|\bwhat (?:day|date|time|year|month)\b|\bwhich (?:day|date|year|month)\b|\bon what date\b", _DATE),
}


def answer_type(question: str) -> str | None:
    """'How far can it fly?' -> 'distance'; None when the question asks for no special type."""
    q = question.lower().strip()
    for name, (pattern, _) in ANSWER_TYPES.items():
        if re.search(pattern, q):
            return name
    return None


def fits_type(kind: str | None, sentence: str) -> bool:
    return kind is None or re.search(ANSWER_TYPES[kind][1], sentence, re.I) is not None


@dataclass(frozen=True)
class Scored:
    chunk_id: str
    index: int  # sentence number inside the chunk
    start: int  # absolute span in the article text
    end: int
    score: float
    vector: np.ndarray


@dataclass(frozen=True)
class Extract:
    """The chosen sentences, best first, or an abstention with its reason."""

    sentences: tuple[Scored, ...]
    confidence: float
    reason: str | None = None  # why it abstained

    @property
    def abstained(self) -> bool:
        return not self.sentences


def unknown_names(question: str, vocabulary: set[str]) -> list[str]:
    """Capitalised words of the question that no article contains (a name the text never uses)."""
    from .query import entities

    missing = []
    # The first word of a sentence is capitalised whatever it is ("Ignore ...").
    question = re.sub(r"(^|[.!?]\s+)([A-Z][a-z]+)", lambda m: m[1] + m[2].lower(), question)
    for entity in entities(question):
        for w in words(entity):
            if len(w) < 3 or w in STOPWORDS or w in vocabulary:
                continue
            if len(w) >= 6 and any(v.startswith(w[:6]) for v in vocabulary):
                continue  # a spelling variant: Zelensky / Zelenskyy
            missing.append(w)
    return missing


def select(question: str, qvec: np.ndarray, docs, index, threshold: float = ABSTAIN_THRESHOLD) -> Extract:
    """Score every sentence of the retrieved passages and pick the answer."""
    missing = unknown_names(question, index.vocabulary)
    if missing:
        return Extract((), 0.0, f"the articles never mention {', '.join(missing)}")
    if not docs:
        return Extract((), 0.0, "no passage matched")
    kind = answer_type(question)
    qterms = set(terms(question))
    weights = {t: index.lexical.idf(t) for t in qterms}
    total = sum(weights.values()) or 1.0
    vectors = index.sentence_vectors([d.id for d in docs])
    scored: list[Scored] = []
    for doc in docs:
        chunk = index.chunks[doc.id]
        passage_sim = float(doc.metadata["dense_score"]) if doc.metadata.get("dense_score") else 0.0
        sims = vectors[doc.id] @ qvec
        for i, (s, e) in enumerate(chunk.sentences):
            text = index.articles[chunk.article_id].text[s:e]
            if not fits_type(kind, text):
                continue
            present = {stem(w) for w in words(text)}
            lexical = sum(w for t, w in weights.items() if t in present) / total
            score = W_SENTENCE * float(sims[i]) + W_PASSAGE * passage_sim + W_LEXICAL * lexical
            scored.append(Scored(doc.id, i, s, e, score, vectors[doc.id][i]))
    if not scored:
        return Extract((), 0.0, f"no passage states a {kind}")
    scored.sort(key=lambda x: -x.score)
    best = scored[0]
    if best.score < threshold:
        return Extract((), best.score, "the evidence is too weak")
    chosen = [best]
    for other in scored[1:]:
        if other.score < best.score - SECOND_MARGIN:
            break
        n_words = sum(len(index.articles[index.chunks[c.chunk_id].article_id].text[c.start:c.end].split()) for c in chosen)
        extra = len(index.articles[index.chunks[other.chunk_id].article_id].text[other.start:other.end].split())
        if float(other.vector @ best.vector) < 0.8 and n_words + extra <= MAX_WORDS:
            chosen.append(other)
            break
    return Extract(tuple(chosen), best.score)
