"""Train the reader: the joint reader, the sentence ranker, the answerability model and the
refusal threshold.

    python -m bot train-answerer      (make train-answerer)

Training sees bbc-train (80 BBC articles), SQuAD 2.0 Normans and the seed's dev set, never
bbc-dev. The features come from the same `prepare` that answers questions; the joint
reader's columns are appended out of fold (bot.evaluation.joint_training: about an hour on
2 cores the first time, then cached). Every choice is made on predictions for articles the
model did not see: grouped cross-validation that leaves articles out (GroupKFold).
Off-topic questions (another article's, put to a BBC article) teach the refusal what an
unrelated question looks like. The threshold is the one that gets the most of the written
questions right (answerable ones answered right plus unanswerable ones refused) while
refusing at most 10% of the answerable ones, on those out-of-fold predictions; off-topic
questions are left out of that choice. Fixed seed; a few minutes on 2 cores once the
articles' analysis and the joint reader are cached.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..reading import joint
from ..reading.analysis import analyse_article
from ..reading.model import ANSWER_NAMES, RANKED, WEIGHTS, Models, answer_features, fit_linear
from ..reading.reader import overlaps, prepare
from ..reading.trees import fit_trees
from ..store.embeddings import Embedder
from .training_data import Question, off_topic, training_sets

SEED = 0
FOLDS = 5
MAX_WRONG_REFUSAL = 0.10  # the ceiling on answerable questions refused
RANKER_C = 0.3  # chosen by grouped CV among 0.03, 0.3, 3 (top-1 73.2%, 73.9%, 73.8%)
ANSWER_C = 0.3  # for --refusal linear
OFF_TOPIC = 6  # off-topic questions trained on, per BBC article (docs/reader.md: 0, 2 and 6 compared)
PROBE = 6  # off-topic questions scored per BBC article, whatever --off-topic trains on


@dataclass
class Item:
    q: Question
    X: np.ndarray  # candidate features
    gold: np.ndarray  # bool per candidate
    query: str = ""  # the question as searched (a follow-up rewritten)
    texts: tuple[str, ...] = ()  # the candidates' sentences, best retrieved first
    trained: bool = True  # False: only scored (an off-topic probe beyond --off-topic)


def prepare_all(articles, questions: list[Question], cache_dir: Path, log=print) -> list[Item]:
    embedder = Embedder(None)
    t0 = time.perf_counter()
    needed = sorted({q.article_id for q in questions})
    analyses = {aid: analyse_article(articles[aid], embedder, cache_dir) for aid in needed}
    log(f"analysed {len(analyses)} articles in {time.perf_counter() - t0:.0f} s")
    items = []
    for n, q in enumerate(questions):
        if n % 250 == 0:
            log(f"  {n}/{len(questions)} questions, {time.perf_counter() - t0:.0f} s")
        a = analyses[q.article_id]
        prep = prepare(q.text, q.history, a, embedder.model)
        if prep is None:
            continue
        gold = np.array([overlaps(a.sentences[c.sentence], q.gold_spans) for c in prep.retrieval.candidates])
        texts = tuple(a.sentences[c.sentence].text for c in prep.retrieval.candidates)
        items.append(Item(q, prep.X, gold, prep.info.query, texts))
    return items


def add_joint_columns(items: list[Item], cache_dir: Path, log=print) -> Path:
    """Append the joint reader's columns to every item's features, each from a reader that
    never saw its article (out of fold); return the stored weights of the reader fitted on
    every written question (off-topic probes are scored, not trained on)."""
    from . import joint_training as jt

    pairs = [
        jt.Pairs(
            it.q.article_id, it.query, list(it.texts[: joint.TOP]), it.gold[: joint.TOP].astype(float), it.q.answerable
        )
        for it in items
    ]
    written = [it.q.source != "offtopic" for it in items]
    scores, weights = jt.train_and_score(pairs, written, cache_dir, log)
    for it, z in zip(items, scores, strict=True):
        it.X = np.hstack([it.X, joint.columns(z, len(it.X))])
    return weights


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


def fit_answer(items, probs, idx, refusal: str = "trees"):
    A, y = _answer_rows(items, probs, [i for i in idx if items[i].trained])
    if refusal == "linear":
        return fit_linear(A, y, ANSWER_NAMES, C=ANSWER_C, seed=SEED)
    return fit_trees(A, y, ANSWER_NAMES, seed=SEED)


def out_of_fold(items: list[Item], splits, refusal: str = "trees") -> tuple[list[np.ndarray], np.ndarray]:
    """Ranker probabilities and P(answerable), each from models that never saw the article."""
    probs: list = [None] * len(items)
    for tr, te in splits:
        ranker = fit_ranker(items, tr)
        for i in te:
            probs[i] = ranker.proba(items[i].X)
    p_answerable = np.zeros(len(items))
    for tr, te in splits:
        model = fit_answer(items, probs, tr, refusal)
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


def compare(items: list[Item], splits, log=print) -> None:
    """The refusal's choices side by side, out of fold on the same folds (`--compare`)."""
    log("| refusal model, off-topic questions per article | written overall | bbc-train overall | off-topic refused |")
    log("|---|---|---|---|")
    written = [i for i, it in enumerate(items) if it.q.source != "offtopic"]
    bbc = [i for i in written if items[i].q.source == "bbc"]
    off = [i for i, it in enumerate(items) if it.q.source == "offtopic"]
    for refusal in ("linear", "trees"):
        for n in (0, 2, PROBE):
            train_off_topic(items, n)
            probs, p = out_of_fold(items, splits, refusal)
            t = choose_threshold(items, probs, p, written)
            w, b, o = (outcome(items, probs, p, t, idx) for idx in (written, bbc, off))
            log(f"| {refusal}, {n} | {w['overall']:.1%} | {b['overall']:.1%} | {o['unanswerable_refused']:.1%} |")


def choose_threshold(items, probs, p_answerable, idx=None) -> float:
    """The most answerable-right plus unanswerable-refused, refusing <= 10% of answerable ones."""
    idx = list(range(len(items))) if idx is None else list(idx)
    best, best_t = -1.0, 0.0
    for t in np.unique(np.concatenate([[0.0], np.round(p_answerable[idx], 4)])):
        o = outcome(items, probs, p_answerable, t, idx)
        if o["answerable_refused"] <= MAX_WRONG_REFUSAL + 1e-12:
            score = o["answerable_right"] * o["n_answerable"] + o["unanswerable_refused"] * o["n_unanswerable"]
            if score > best:
                best, best_t = score, float(t)
    return best_t


def _line(name: str, o: dict) -> str:
    return (
        f"{name}: answerable right {o['answerable_right']:.1%}, unanswerable refused {o['unanswerable_refused']:.1%}, "
        f"answerable refused {o['answerable_refused']:.1%}, overall {o['overall']:.1%}"
    )


def train(
    eval_dir: Path,
    seed_article: Path,
    seed_questions: Path,
    out: Path = WEIGHTS,
    joint_out: Path = joint.WEIGHTS,
    cache_dir: Path = Path(".cache/reader"),
    leave_out: str | None = None,
    off_topic_n: int = OFF_TOPIC,
    refusal: str = "trees",
    compare_only: bool = False,
    log=print,
) -> Models | None:
    """Fit both models on everything (less `leave_out`, a source), write the weights, report CV."""
    np.random.seed(SEED)
    articles, questions = training_sets(eval_dir, seed_article, seed_questions)
    questions = [q for q in questions if q.source != leave_out]
    probe = off_topic(questions, PROBE, SEED)
    items = prepare_all(articles, questions + probe, cache_dir, log)
    reader_weights = add_joint_columns(items, cache_dir, log)
    splits = folds(items)  # an off-topic question sits in its target article's fold
    if compare_only:
        compare(items, splits, log)
        return None
    train_off_topic(items, off_topic_n)
    probs, p_answerable = out_of_fold(items, splits, refusal)
    written = [i for i, it in enumerate(items) if it.q.source != "offtopic"]
    answerable = [i for i in written if items[i].q.answerable]
    top1 = np.mean([items[i].gold[int(np.argmax(probs[i]))] for i in answerable])
    log(f"{len(items)} questions over {len({it.q.article_id for it in items})} articles; grouped-CV top-1 {top1:.1%}")
    threshold = choose_threshold(items, probs, p_answerable, written)
    cv = {"threshold": threshold, **outcome(items, probs, p_answerable, threshold, written)}
    log(_line(f"out of fold, threshold {threshold:.3f}", cv))
    for src in sorted({it.q.source for it in items}):
        idx = [i for i, it in enumerate(items) if it.q.source == src]
        log(_line(f"  out of fold, {src}", outcome(items, probs, p_answerable, threshold, idx)))
    everything = np.arange(len(items))
    shutil.copyfile(reader_weights, joint_out)
    models = Models(
        fit_ranker(items, everything), fit_answer(items, probs, everything, refusal), threshold, joint.load(joint_out)
    )
    log(f"wrote {joint_out} ({joint_out.stat().st_size:,} bytes)")
    models.save(
        out,
        extra={
            "cv": cv,
            "top1": float(top1),
            "seed": SEED,
            "n_questions": len(written),
            "off_topic_trained": sum(it.trained and it.q.source == "offtopic" for it in items),
            "refusal": refusal,
            "trained_on": sorted({it.q.source for it in items if it.trained}),
        },
    )
    log(f"wrote {out} ({out.stat().st_size:,} bytes)")
    return models


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(
        prog="python -m bot train-answerer", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"), help="bbc-train, SQuAD Normans, articles/")
    ap.add_argument("--seed-article", type=Path, default=Path("index/articles/2025-10-17-trump-putin-budapest.txt"))
    ap.add_argument("--seed-questions", type=Path, default=Path("tests/eval/article.jsonl"))
    ap.add_argument("--leave-out", choices=["bbc", "squad", "seed"], help="train without one source")
    ap.add_argument(
        "--off-topic", type=int, default=OFF_TOPIC, help=f"off-topic questions trained on per article (0-{PROBE})"
    )
    ap.add_argument("--refusal", choices=["trees", "linear"], default="trees", help="the answerability model")
    ap.add_argument("--compare", action="store_true", help="print the refusal choices out of fold; write nothing")
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    ap.add_argument("--joint-out", type=Path, default=joint.WEIGHTS, help="the joint reader's layers")
    args = ap.parse_args(argv)
    for path in (args.eval_dir / "bbc-train.jsonl", args.seed_article, args.seed_questions):
        if not path.is_file():
            print(f"{path} is missing - pass --eval-dir / --seed-article / --seed-questions", file=sys.stderr)
            return 2
    if not 0 <= args.off_topic <= PROBE:
        print(f"--off-topic must be between 0 and {PROBE}", file=sys.stderr)
        return 2
    train(
        args.eval_dir,
        args.seed_article,
        args.seed_questions,
        args.out,
        args.joint_out,
        leave_out=args.leave_out,
        off_topic_n=args.off_topic,
        refusal=args.refusal,
        compare_only=args.compare,
    )
    return 0
