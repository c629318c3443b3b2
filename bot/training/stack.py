"""The ranker, the refusal and its threshold, fitted on the held-out articles' questions
(the stack: their features plus the joint reader's columns from a reader that never saw
them). Every figure here is out of fold, grouped by article.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..reading.model import ANSWER_NAMES, RANKED, answer_features, fit_linear
from ..reading.trees import fit_trees
from . import joint as jt
from .data import Question

SEED = 0
FOLDS = 5
MAX_WRONG_REFUSAL = 0.07  # ceiling on answerable questions refused, under the 8% a user is promised
RANKER_C = 0.3  # chosen by grouped CV among 0.03, 0.3, 3 (top-1 73.2%, 73.9%, 73.8%)


@dataclass
class Item:
    q: Question
    X: np.ndarray  # candidate features
    gold: np.ndarray  # bool per candidate
    query: str = ""  # the question as searched (a follow-up rewritten)
    cands: list[int] = field(default_factory=list)  # the candidates' sentence indices, best retrieved first
    windows: list = field(default_factory=list)  # the passages of the top joint.TOP candidates
    gold_sentences: frozenset[int] = frozenset()  # the article's gold sentence indices
    reads: list = field(default_factory=list)  # the joint reader on `windows` (stack items)
    train_pairs: jt.Pairs | None = None  # what the joint reader learns from this question
    info: Any = None  # the question's analysis (bot.reading.question.QuestionInfo)
    sentences: list = field(default_factory=list)  # its article's sentences
    trained: bool = True  # False: only scored (an off-topic probe beyond --off-topic)


def folds(items: list[Item], k: int = FOLDS):
    from sklearn.model_selection import GroupKFold

    groups = np.array([it.q.article_id for it in items])
    return list(GroupKFold(n_splits=k, shuffle=True, random_state=SEED).split(np.zeros(len(items)), groups=groups))


def fit_ranker(items: list[Item], idx):
    rows = [items[i] for i in idx if items[i].trained and items[i].q.answerable and items[i].gold.any()]
    X = np.concatenate([it.X for it in rows])
    y = np.concatenate([it.gold for it in rows]).astype(int)
    return fit_linear(X, y, RANKED, C=RANKER_C, seed=SEED)


def _answer_rows(items, probs, idx):
    A = np.stack([answer_features(items[i].X, probs[i]) for i in idx])
    return A, np.array([items[i].q.answerable for i in idx]).astype(int)


def fit_answer(items, probs, idx):
    A, y = _answer_rows(items, probs, [i for i in idx if items[i].trained])
    return fit_trees(A, y, ANSWER_NAMES, seed=SEED)


def out_of_fold(items: list[Item], splits) -> tuple[list[np.ndarray], np.ndarray]:
    """Ranker probabilities and P(answerable), each from models that never saw the article."""
    probs: list = [None] * len(items)
    for tr, te in splits:
        ranker = fit_ranker(items, tr)
        for i in te:
            probs[i] = ranker.proba(items[i].X)
    p_answerable = np.zeros(len(items))
    for tr, te in splits:
        model = fit_answer(items, probs, tr)
        p_answerable[te] = model.proba(_answer_rows(items, probs, te)[0])
    return probs, p_answerable


def outcome(items, probs, p_answerable, threshold, idx=None) -> dict:
    """The project's figures at one threshold."""
    idx = range(len(items)) if idx is None else idx
    right = refused_a = refused_u = n_a = n_u = 0
    for i in idx:
        refused = p_answerable[i] < threshold
        if items[i].q.answerable:
            n_a += 1
            refused_a += refused
            right += (not refused) and bool(items[i].gold[int(np.argmax(probs[i]))])
        else:
            n_u += 1
            refused_u += refused
    return {
        "answerable_right": right / max(n_a, 1),
        "unanswerable_refused": refused_u / max(n_u, 1),
        "answerable_refused": refused_a / max(n_a, 1),
        "overall": (right + refused_u) / max(n_a + n_u, 1),
        "n_answerable": n_a,
        "n_unanswerable": n_u,
    }


def train_off_topic(items: list[Item], n: int) -> None:
    """Train on the first `n` of each article's off-topic questions; the rest are only scored."""
    seen: dict[str, int] = {}
    for it in items:
        if it.q.source == "offtopic":
            seen[it.q.article_id] = seen.get(it.q.article_id, 0) + 1
            it.trained = seen[it.q.article_id] <= n


def choose_threshold(items, probs, p_answerable, idx=None) -> float:
    """The most answerable-right plus unanswerable-refused, refusing <= MAX_WRONG_REFUSAL of answerable ones."""
    idx = list(range(len(items))) if idx is None else list(idx)
    best, best_t = -1.0, 0.0
    for t in np.unique(np.concatenate([[0.0], np.round(p_answerable[idx], 4)])):
        o = outcome(items, probs, p_answerable, t, idx)
        if o["answerable_refused"] <= MAX_WRONG_REFUSAL + 1e-12:
            score = o["answerable_right"] * o["n_answerable"] + o["unanswerable_refused"] * o["n_unanswerable"]
            if score > best:
                best, best_t = score, float(t)
    return best_t


def line(name: str, o: dict) -> str:
    return (
        f"{name}: answerable right {o['answerable_right']:.1%}, unanswerable refused {o['unanswerable_refused']:.1%}, "
        f"answerable refused {o['answerable_refused']:.1%}, overall {o['overall']:.1%}"
    )


def levers(items: list[Item], off_topic_n: int, log=print) -> None:
    """What the joint reader's columns add, out of fold on the same folds and threshold rule:
    the features alone, with its relevance columns, and with its answer span too (shipped);
    and the shipped columns without those made from token vectors (MaxSim, word match).
    Prints a Markdown table (`train-answerer --levers`)."""
    from ..reading.model import RANKED

    full = [it.X.copy() for it in items]
    relevance = [i for i, n in enumerate(RANKED) if n.startswith("joint")]
    span = [i for i, n in enumerate(RANKED) if n.startswith("span")]
    tokens = [RANKED.index(n) for n in ("maxsim", "maxsim_margin", "worst_word", "worst_word_nb", "low_words")]
    log("| columns | top-1 | answerable right | unanswerable refused | answerable refused | near misses refused |")
    log("|---|---|---|---|---|---|")
    for name, drop in (
        ("features only", relevance + span),
        ("+ the joint reader's relevance", span),
        ("+ its answer span and no-answer (shipped)", []),
        ("the same, without the token-vector columns", tokens),
    ):
        for it, X in zip(items, full, strict=True):
            it.X = X.copy()
            it.X[:, drop] = 0.0
        train_off_topic(items, off_topic_n)
        probs, p = out_of_fold(items, folds(items))
        written = [i for i, it in enumerate(items) if it.q.source == "bbc"]
        t = choose_threshold(items, probs, p, written)
        o = outcome(items, probs, p, t, written)
        near = outcome(items, probs, p, t, [i for i in written if "nearmiss" in items[i].q.tags])
        top1 = np.mean([items[i].gold[int(np.argmax(probs[i]))] for i in written if items[i].q.answerable])
        log(
            f"| {name} | {top1:.1%} | {o['answerable_right']:.1%} | {o['unanswerable_refused']:.1%} | "
            f"{o['answerable_refused']:.1%} | {near['unanswerable_refused']:.1%} |"
        )
    for it, X in zip(items, full, strict=True):
        it.X = X
