"""Features of each (question, candidate sentence) pair, for the ranker and the refusal.

The strongest signals check that the asked slot is filled: an entity of the expected
type that is not a word of the question, near the question's matched words; for "how
many/much X" the asked noun X next to the number; for "how long" a duration.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..text.nlp import Entity, Sentence
from ..text.words import STOPWORDS
from .analysis import ArticleAnalysis as ArticleIndex
from .candidates import Retrieval
from .question import HOW_ADJ_TYPES, WH, QuestionInfo
from .tokens import maxsim

TYPE_GROUPS = {
    "PERSON": "who",
    "ORG": "who",
    "NORP": "who",
    "DATE": "date",
    "PLACE": "place",
    "COUNT": "number",
    "AMOUNT": "number",
    "MONEY": "number",
    "PERCENT": "number",
    "DISTANCE": "number",
    "AGE": "number",
    "ORDINAL": "number",
    "DURATION": "duration",
    "REASON": "reason",
    "MANNER": "manner",
    "QUOTE": "quote",
    "OTHER": "other",
}
GROUPS = ("who", "date", "place", "number", "duration", "reason", "manner", "quote", "other")
# General English: time units and the words that make a time expression a point, not a span.
_UNITS = re.compile(
    r"(?i)\b(second|minute|hour|day|night|week|fortnight|month|year|decade|century|centuries|season)s?\b"
)
_POINT = re.compile(r"(?i)^(last|next|this|that|earlier|later|early|late|the end|end|on|in|by|since|until)\b")
_REASON_CUES = frozenset(["because", "since", "due", "reason", "after", "as", "so", "why", "cause", "result", "lead"])

NAMES = (
    [
        "cos",
        "cos_margin",
        "cos_rank",
        "bm25",
        "bm25_margin",
        "bm25_rank",
        "fused_rank",
        "maxsim",
        "maxsim_margin",
        "cov",
        "cov_missing",
        "cov_nb",
        "cov_gain_nb",
        "names_sent",
        "names_article",
        "unmatched_names",
        "typed",
        "type_present",
        "type_count",
        "type_nb",
        "slot_near",
        "head_near",
        "duration_ok",
        "speaker_match",
        "quote_sent",
        "reason_cue",
        "headline",
        "length",
        "position",
        "followup",
        "entity_overlap",
        "absent_article",
        "absent_article_n",
        "worst_word",
        "worst_word_nb",
        "low_words",
        "names_nb",
    ]
    + [f"g_{g}" for g in GROUPS]
    + ["typed_x_slot", "quote_x_quote", "quote_x_speaker"]
)


def is_duration(e: Entity) -> bool:
    """ "three weeks", "a year", "decades" - not "last week" or "in 2005"."""
    return bool(_UNITS.search(e.text)) and not _POINT.match(e.text.strip())


SHORT_WORDS = 8  # a span of the reader's up to this many words can be a short answer


def answer_words(text: str) -> list[str]:
    """The words of an answer as compared with the question's: lower-cased, articles out.

    >>> answer_words("The £1.5bn offer")
    ['£1.5bn', 'offer']
    """
    return [w for w in re.findall(r"[\w'’.£$%-]+", text.lower()) if w not in ("the", "a", "an")]


def _answer_entities(q: QuestionInfo, s: Sentence) -> list[Entity]:
    """Entities of the expected type whose words are not all words of the question."""
    out = []
    for e in s.entities:
        if e.label not in q.labels:
            continue
        toks = answer_words(e.text)
        if toks and all(w in q.words for w in toks):
            continue
        if q.answer_type == "DURATION" and not is_duration(e):
            continue
        out.append(e)
    return out


def coverage(q: QuestionInfo, lemmas: set[str], index: ArticleIndex) -> tuple[float, int]:
    """idf-weighted share of focus lemmas present, and how many are missing."""
    if not q.focus:
        return 0.0, 0
    w = [index.idf(t) for t in q.focus]
    hit = [wi for t, wi in zip(q.focus, w) if t in lemmas]
    return sum(hit) / (sum(w) + 1e-9), len(q.focus) - len(hit)


def _slot(q: QuestionInfo, s: Sentence, ents: list[Entity]) -> tuple[float, float]:
    """(closeness of an answer entity to a matched focus word, asked head noun next to it)."""
    matched = [p for lem, p in zip(s.lemmas, s.lemma_starts) if lem in q.focus and lem != q.head]
    best_near, head_near = 0.0, 0.0
    for e in ents:
        if matched:
            d = min(min(abs(p - e.start), abs(p - e.end)) for p in matched)
            best_near = max(best_near, math.exp(-d / 40.0))
        if q.head:
            for lem, p in zip(s.lemmas, s.lemma_starts):
                if lem == q.head and (e.start <= p <= e.end + 25):
                    head_near = 1.0
    return best_near, head_near


def name_in(name: str, text: str) -> bool:
    """A question name in a text: "germans" matches "German", "boerse's" matches "Boerse"."""
    if name in text:
        return True
    words = name.split()
    return all(re.search(r"\b" + re.escape(w[:-1] if w.endswith("s") and len(w) > 3 else w), text) for w in words)


def content_pieces(pieces: list[str]) -> np.ndarray:
    """Mask of the question's word pieces that carry content (not stop/wh/asking words)."""
    return np.array(
        [p.lstrip("#").isalnum() and p not in STOPWORDS and p not in WH and p not in HOW_ADJ_TYPES for p in pieces],
        dtype=bool,
    )


def word_match(q_tokens: np.ndarray, s_tokens: np.ndarray) -> np.ndarray:
    """Per question token, its best cosine with any token of the sentence."""
    if len(q_tokens) == 0 or len(s_tokens) == 0:
        return np.zeros(len(q_tokens))
    return (q_tokens @ s_tokens.T).max(axis=1)


def featurize(
    q: QuestionInfo, index: ArticleIndex, ret: Retrieval, q_tokens: np.ndarray, pieces: list[str]
) -> np.ndarray:
    """One row per candidate, columns as NAMES."""
    mask = content_pieces(pieces)
    qc = q_tokens[mask] if mask.any() else q_tokens
    absent = [t for t in q.focus if t not in index.words]
    absent_w = sum(index.idf(t) for t in absent) / (sum(index.idf(t) for t in q.focus) + 1e-9) if q.focus else 0.0
    sents = index.sentences
    n = len(sents)
    cmax, bmax = float(ret.cos.max()), float(ret.bm25.max())
    ms = [maxsim(q_tokens, index.token_vectors(c.sentence)) for c in ret.candidates]
    msmax = max(ms) if ms else 0.0
    art_lower = index.text.lower()
    names_article = sum(name_in(nm, art_lower) for nm in q.names) / len(q.names) if q.names else 1.0
    unmatched = sum(not name_in(nm, art_lower) for nm in q.names)
    group = TYPE_GROUPS.get(q.answer_type, "other")
    rows = []
    for c, msim in zip(ret.candidates, ms):
        s = sents[c.sentence]
        low = s.text.lower()
        lem = set(s.lemmas)
        nb = set(lem)
        for j in (c.sentence - 1, c.sentence + 1):
            if 0 <= j < n and not sents[j].headline:
                nb.update(sents[j].lemmas)
        cov, missing = coverage(q, lem, index)
        cov_nb, _ = coverage(q, nb, index)
        ents = _answer_entities(q, s)
        nb_ents = [e for j in (c.sentence - 1, c.sentence + 1) if 0 <= j < n for e in _answer_entities(q, sents[j])]
        near, head_near = _slot(q, s, ents)
        names_sent = sum(name_in(nm, low) for nm in q.names) / len(q.names) if q.names else 0.0
        speaker = any(any(nm in sp.lower() or sp.lower() in nm for nm in q.names) for sp in s.speakers)
        q_ents = set(q.names)
        ent_overlap = sum(e.text.lower() in q_ents for e in s.entities)
        wm = word_match(qc, index.token_vectors(c.sentence))
        nb_tok = [index.token_vectors(j) for j in (c.sentence - 1, c.sentence, c.sentence + 1) if 0 <= j < n]
        wm_nb = word_match(qc, np.concatenate(nb_tok))
        nb_low = " ".join(sents[j].text.lower() for j in (c.sentence - 1, c.sentence, c.sentence + 1) if 0 <= j < n)
        names_nb = sum(name_in(nm, nb_low) for nm in q.names) / len(q.names) if q.names else 0.0
        typed = 1.0 if q.typed else 0.0
        present = 1.0 if ents else 0.0
        row = [
            c.cos,
            c.cos - cmax,
            math.log1p(c.cos_rank),
            c.bm25 / bmax if bmax > 0 else 0.0,
            (c.bm25 - bmax) / (bmax + 1.0),
            math.log1p(c.bm25_rank),
            math.log1p(c.fused_rank),
            msim,
            msim - msmax,
            cov,
            float(missing),
            cov_nb,
            cov_nb - cov,
            names_sent,
            names_article,
            float(unmatched),
            typed,
            present,
            float(len(ents)),
            1.0 if nb_ents else 0.0,
            near,
            head_near,
            1.0 if (q.answer_type == "DURATION" and ents) else 0.0,
            1.0 if speaker else 0.0,
            1.0 if s.quote else 0.0,
            1.0
            if group == "reason" and (lem & _REASON_CUES or any(w in low.split() for w in ("because", "due")))
            else 0.0,
            1.0 if s.headline else 0.0,
            math.log1p(len(s.lemmas)),
            c.sentence / max(n - 1, 1),
            1.0 if q.followup else 0.0,
            float(ent_overlap),
            absent_w,
            float(len(absent)),
            float(wm.min()) if len(wm) else 0.0,
            float(wm_nb.min()) if len(wm_nb) else 0.0,
            float((wm < 0.5).sum()),
            names_nb,
        ]
        row += [1.0 if group == g else 0.0 for g in GROUPS]
        row += [typed * near, (group == "quote") * float(s.quote), (group == "quote") * float(speaker)]
        rows.append(row)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(NAMES))


SPAN_NAMES = ["span_typed", "span_own"]


def span_columns(q: QuestionInfo, sentences: list[Sentence], reads, windows, n: int) -> np.ndarray:
    """Two columns per candidate from the joint reader's best short span in its passage:
    it points at an entity of the expected type that the question does not name
    (`span_typed`), and it says only what the question says (`span_own`). Candidates not
    read get zeros."""
    out = np.zeros((n, len(SPAN_NAMES)))
    for k, (r, w) in enumerate(zip(reads[:n], windows[:n])):
        spans = [(a, b) for a, b, _ in r.spans if len(w.text[a:b].split()) <= SHORT_WORDS]
        if not spans:
            continue
        a, b = spans[0]
        sent = sentences[w.sentence_at(a)]
        lo = w.starts[w.sentences.index(sent.index)]
        start, end = sent.start + a - lo, sent.start + b - lo
        if q.typed:
            out[k, 0] = float(any(e.start < end and start < e.end for e in _answer_entities(q, sent)))
        words = answer_words(w.text[a:b])
        out[k, 1] = float(bool(words) and all(x in q.words for x in words))
    return out
