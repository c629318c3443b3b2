"""Answer-quality metrics: pure functions over answers, references and gold spans.

No LLM judge and no network: every score is lexical or positional, so a run is
deterministic. A ratio whose denominator is empty is never a vacuous 1.0: an answer
that says or cites nothing scores 0.0, and a refused answer is left to the refusal
metrics (the caller passes only answered questions to the answer metrics).

>>> token_f1("in Budapest [1]", ["Budapest, Hungary"])
0.5
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter

import numpy as np

from ..core.answer import MARKER
from ..llm.verify import SUPPORT_THRESHOLD, claim_terms, markers_before_stop, strip_markers, unsupported
from ..store.chunking import split_sentences

KS = (1, 3, 5)
RETRIEVAL = tuple(f"{m}@{k}" for m in ("hit", "recall", "mrr", "ndcg") for k in KS)
ANSWER = ("exact_match", "f1", "answer_recall")
GROUNDING = ("faithfulness", "citation_validity", "citation_precision", "citation_recall")
REFUSAL = ("correct_refusal_rate", "false_refusal_rate", "answer_rate")
# The project's headline figures (headline.py) and the short answer's, SQuAD-normalised.
HEADLINE = ("answerable_right", "unanswerable_refused", "answerable_refused", "overall_right", "precision")
SHORT = ("short_exact_match", "short_f1", "short_correct")
ALL = (*RETRIEVAL, "article_hit@1", *ANSWER, *GROUNDING, "citation_gold_hit", *REFUSAL, *HEADLINE, *SHORT)
LOWER_IS_BETTER = frozenset({"false_refusal_rate", "answerable_refused"})


# --- answers (SQuAD) ---------------------------------------------------------------


def normalize_answer(text: str) -> str:
    """SQuAD normalisation (lower case, no punctuation, no articles, single spaces),
    with [n] markers and Unicode punctuation (“ ” …) removed too.

    >>> normalize_answer("The “Tomahawk” missiles [2]…")
    'tomahawk missiles'
    """
    text = MARKER.sub(" ", text.lower())
    text = "".join(ch for ch in text if ch not in string.punctuation and not unicodedata.category(ch).startswith("P"))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _tokens(text: str) -> list[str]:
    return normalize_answer(text).split()


def exact_match(prediction: str, references: list[str]) -> float:
    """1.0 when the normalised prediction equals one normalised reference."""
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(r) for r in references))


def _f1(pred: list[str], ref: list[str]) -> float:
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, references: list[str]) -> float:
    """SQuAD token F1, the best over the references (0.0 for an empty prediction)."""
    pred = _tokens(prediction)
    return round(max((_f1(pred, _tokens(r)) for r in references), default=0.0), 4)


# A possessive 's after a letter. SQuAD's normalisation keeps its s ("Bremner's" -> "bremners"),
# so a response naming "Rory Bremner's impression" would not hold the reference "Rory Bremner".
_POSSESSIVE = re.compile(r"(?<=[^\W\d_])['’ʼ][sS]\b")


def answer_recall(prediction: str, references: list[str]) -> float:
    """Share of a reference's tokens the prediction contains, the best over references and
    over the prediction as written and with its possessive 's dropped (the reference is
    taken as written: "Sainsbury's" is not "Lord Sainsbury"; the SQuAD scores above keep
    SQuAD's own normalisation): answer_recall("Putin initiated the call [1]", ["Putin"]) -> 1.0.

    >>> answer_recall("It shows Rory Bremner’s impression of him [1]", ["Rory Bremner"])
    1.0
    """
    preds = [Counter(_tokens(prediction)), Counter(_tokens(_POSSESSIVE.sub("", prediction)))]
    best = 0.0
    for r in references:
        ref = Counter(_tokens(r))
        if ref:
            best = max(best, *(sum((pred & ref).values()) / sum(ref.values()) for pred in preds))
    return round(best, 4)


# --- retrieval ---------------------------------------------------------------------


def gold_chunks(spans, chunks) -> list[set[str]]:
    """Per gold span, the ids of the chunks overlapping it (chunks: objects with id, start, end).

    >>> from types import SimpleNamespace as C
    >>> [sorted(g) for g in gold_chunks([(5, 12)], [C(id="a", start=0, end=6), C(id="b", start=7, end=20), C(id="c", start=20, end=30)])]
    [['a', 'b']]
    """
    return [{c.id for c in chunks if c.start < end and start < c.end} for start, end in spans]


def retrieval_scores(ranked_ids, gold: list[set[str]], ks=KS) -> dict[str, float]:
    """hit@k, recall@k, MRR@k and nDCG@k of a ranked list against gold chunk sets.

    A chunk is relevant when it overlaps a gold span. recall@k is the share of gold spans
    with a relevant chunk in the top k (so a span that straddles two chunks needs one);
    nDCG@k uses binary relevance over the relevant chunks.
    """
    ranked = list(dict.fromkeys(ranked_ids))
    relevant = set().union(*gold) if gold else set()
    out = {}
    for k in ks:
        top = ranked[:k]
        ranks = [i for i, cid in enumerate(top, start=1) if cid in relevant]
        out[f"hit@{k}"] = float(bool(ranks))
        out[f"recall@{k}"] = round(sum(bool(g & set(top)) for g in gold) / len(gold), 4) if gold else 0.0
        out[f"mrr@{k}"] = round(1 / ranks[0], 4) if ranks else 0.0
        ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
        out[f"ndcg@{k}"] = round(sum(1 / math.log2(r + 1) for r in ranks) / ideal, 4) if ideal else 0.0
    return out


# --- grounding: faithfulness and citations ------------------------------------------


def claims(response: str) -> list[tuple[str, list[int]]]:
    """The response's sentences that assert something (as the verifier counts claim terms),
    each with the markers citing it. Markers after a full stop belong to the sentence before
    it, and a marker covers the unmarked sentences since the previous marker (a quoted run
    "A. B. [1]" cites both).

    >>> claims("It is in Budapest. [1] Rubio will go. He meets them [2]. So it is. Hungary hosts.")
    [('It is in Budapest.', [1]), ('Rubio will go.', [2]), ('He meets them.', [2]), ('Hungary hosts.', [])]
    """
    text = markers_before_stop(" ".join(response.split()))
    out, run = [], []
    for s, e in split_sentences(text):
        sentence = text[s:e]
        plain = strip_markers(sentence)
        markers = [int(n) for n in MARKER.findall(sentence)]
        if claim_terms(plain):
            out.append((plain, markers))
            run.append(len(out) - 1)
        if markers:
            for i in run:
                out[i] = (out[i][0], markers)
            run = []
    return out


def supports(passage: str, sentence: str, threshold: float = SUPPORT_THRESHOLD) -> bool:
    """Does the passage hold the sentence's claim? The verifier's test (bot.llm.verify's
    `unsupported`), so that faithfulness measures what the LLM answerer checks: at least
    `threshold` of its content terms occur in the passage, every number it states does,
    and no clause of it goes unsupported."""
    return unsupported(sentence, [passage], threshold) is None


def quote_in_passage(quote: str, passage: str) -> bool:
    """Is the quote verbatim in the passage? Sentences that are not adjacent are quoted
    joined by " … ": quote_in_passage("A. … C.", "A. B. C.") -> True."""
    pieces = [p.strip() for p in quote.split(" … ")]
    return all(pieces) and all(p in passage for p in pieces)


def grounding_scores(response: str, citations: list[dict], known_chunk_ids=None) -> dict[str, float]:
    """Faithfulness and citation validity, precision and recall of one answered response.

    - faithfulness: share of claim sentences supported by a passage they cite (an uncited
      sentence may be supported by any passage the answer cites); see `claims` for which
      markers cite a sentence;
    - citation_validity: share of [n] markers naming a citation whose quote lies in its
      passage (`quote_in_passage`) (and whose chunk is in the index, when `known_chunk_ids` is given);
    - citation_precision: share of (sentence, marker) pairs whose passage supports the sentence;
    - citation_recall: share of claim sentences carrying a valid marker.
    An answer with no claim sentence, or no marker, scores 0.0 on what it lacks.
    """
    valid = {
        c["marker"]: c["text"]
        for c in citations
        if quote_in_passage(c.get("quote", ""), c.get("text", ""))
        and (known_chunk_ids is None or c.get("chunk_id") in known_chunk_ids)
    }
    sentences = claims(response)
    markers = [int(n) for n in MARKER.findall(response)]
    pairs = [(s, m) for s, ms in sentences for m in ms]
    cited = [c["text"] for c in citations]

    def supported(sentence, ms):
        passages = [valid[m] for m in ms if m in valid] if ms else cited
        return any(supports(p, sentence) for p in passages)

    def share(hits, total):
        return round(hits / total, 4) if total else 0.0

    return {
        "faithfulness": share(sum(supported(s, ms) for s, ms in sentences), len(sentences)),
        "citation_validity": share(sum(m in valid for m in markers), len(markers)),
        "citation_precision": share(sum(m in valid and supports(valid[m], s) for s, m in pairs), len(pairs)),
        "citation_recall": share(sum(any(m in valid for m in ms) for _, ms in sentences), len(sentences)),
    }


def gold_hit(citations: list[dict], gold: list[set[str]]) -> float:
    """1.0 when a cited passage overlaps the gold evidence."""
    relevant = set().union(*gold) if gold else set()
    return float(any(c.get("chunk_id") in relevant for c in citations))


# --- refusals ----------------------------------------------------------------------


def refusal_scores(abstained: bool, answerable: bool) -> dict[str, float]:
    """Per question: an unanswerable one scores correct_refusal_rate, an answerable one
    false_refusal_rate and its complement answer_rate."""
    if answerable:
        return {"false_refusal_rate": float(abstained), "answer_rate": float(not abstained)}
    return {"correct_refusal_rate": float(abstained)}


# --- latency and intervals ---------------------------------------------------------


def percentile(values, q: float) -> float | None:
    """The one percentile of the evaluation and the benchmarks: numpy's, linear between the
    closest ranks (q from 0 to 100): percentile([1, 2, 3, 4], 50) -> 2.5; None for no values."""
    if len(values) == 0:
        return None
    return float(np.percentile(np.asarray(values, float), q))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def latency_summary(latencies: list[dict], stages=("retrieve", "answer", "total", "floor")) -> dict:
    """p50/p95/max per stage, in milliseconds, over the records that timed that stage
    (`floor`: one query embedding, timed just before each question)."""
    out = {}
    for stage in stages:
        values = [d[stage] for d in latencies if d.get(stage) is not None]
        out[stage] = {
            "p50": _rounded(percentile(values, 50)),
            "p95": _rounded(percentile(values, 95)),
            "max": round(max(values), 2) if values else None,
            "n": len(values),
        }
    return out


def latency_x_floor(latency: dict) -> dict:
    """Total latency's p50 and p95 as multiples of the floor's, from `latency_summary`. A
    busy machine slows the floor at least as much as the answer (the multiple shrinks, from
    15x to 4x with both cores burning), so a gate on it never fails for the machine's load."""
    total, floor = latency["total"], latency["floor"]
    return {q: round(total[q] / floor[q], 2) if total[q] and floor[q] else None for q in ("p50", "p95")}


def bootstrap_ci(values, seed: int = 0, resamples: int = 2000, level: float = 0.95):
    """Percentile bootstrap interval of the mean, deterministic for a given seed."""
    v = np.asarray(values, float)
    if len(v) == 0:
        return None
    means = v[np.random.default_rng(seed).integers(0, len(v), (resamples, len(v)))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return [round(float(lo), 4), round(float(hi), 4)]


def summarize(values, seed: int = 0) -> dict:
    """{'value': mean, 'n': n, 'ci95': [lo, hi]}; value and interval are None when n is 0."""
    values = list(values)
    mean = round(float(np.mean(values)), 4) if values else None
    return {"value": mean, "n": len(values), "ci95": bootstrap_ci(values, seed)}
