"""Train the reader: the joint reader, the sentence ranker, the answerability model and the
refusal threshold.

    python -m bot train-answerer      (make train-answerer)

Training sees the written BBC sets (bbc-train and bbc-train2, 440 articles) and what is
made from them (off-topic questions, swapped-detail twins); never bbc-dev, the seed's dev
set or SQuAD Normans, which measure it. The articles are split once, by a fixed seed:
three quarters teach the joint reader (bot.training.joint); on the other quarter, which
it never saw, its reading becomes columns for the ranker and the refusal, so those learn
from the scores the reader gives a new article. Every choice there is made on predictions
for articles the models did not see (grouped cross-validation by article). The threshold
gets the most of the written questions right (answerable ones answered right plus
unanswerable ones refused) while refusing at most MAX_WRONG_REFUSAL of the answerable
ones; off-topic questions and twins are left out of that choice. Each stage is cached by
its exact inputs under `.cache/reader/` (docs/method.md gives the times).
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import numpy as np

from ..reading import joint, passages
from ..reading.analysis import analyse_article
from ..reading.features import span_columns
from ..reading.model import VERSION, WEIGHTS, Models
from ..reading.reader import overlaps, prepare
from ..store.embeddings import Embedder
from . import generated, siblings
from . import joint as jt
from .data import TRAINING_FILES, Question, off_topic, swapped, training_sets
from .stack import (
    Item,
    choose_threshold,
    fit_answer,
    fit_ranker,
    folds,
    levers,
    line,
    out_of_fold,
    outcome,
    train_off_topic,
)

SEED = 0
STACK_SHARE = 0.25  # of the articles: their questions train the ranker and refusal, not the joint reader
OFF_TOPIC = 6  # off-topic questions trained on, per BBC article (docs/method.md: 0, 2 and 6 compared)
PROBE = 6  # off-topic questions scored per BBC article, whatever --off-topic trains on
CORPUS = Path("../shared/corpora/bbc")  # the generated questions' articles (bot.training.generated)


def _train_pairs(q: Question, analysis, query: str, candidates, gold_sents: set[int], gaps: bool) -> jt.Pairs:
    """One question's passages: the gold (or bent) one, the best retrieved, with `gaps` the gold one cut (jt.gap)."""
    sents = analysis.sentences
    near = {s.index for s in sents if overlaps(s, q.near_spans)} if q.near_spans else set()
    order = sorted(gold_sents | near)[:1] + [c.sentence for c in candidates]
    chosen = list(dict.fromkeys(order))[: jt.TRAIN_WINDOWS]  # each once, in order
    texts, gold, spans = [], [], []
    for i in chosen:
        w = passages.window(sents, i)
        texts.append(w.text)
        gold.append(i in gold_sents)
        inside = [j for j in w.sentences if j in gold_sents]
        if not q.answerable or not inside:
            spans.append(jt.NULL)
            continue
        best = jt.SKIP
        for j in inside:
            best = jt.answer_span(w.text, w.span_in(j), q.references)
            if best != jt.SKIP:
                break
        spans.append(best)
    cut = jt.gap(sents, gold_sents, q.references) if gaps and q.answerable else None
    return jt.with_gap(jt.Pairs(q.article_id, query, texts, np.array(gold, dtype=float), spans, q.answerable), cut)


def prepare_all(articles, questions: list[Question], cache_dir: Path, log=print, gaps: bool = False) -> list[Item]:
    embedder = Embedder(None)
    t0 = time.perf_counter()
    needed = sorted({q.article_id for q in questions})
    analyses = {aid: analyse_article(articles[aid], embedder, cache_dir) for aid in needed}
    log(f"analysed {len(analyses)} articles in {time.perf_counter() - t0:.0f} s")
    items = []
    for n, q in enumerate(questions):
        if n % 1000 == 0:
            log(f"  {n}/{len(questions)} questions, {time.perf_counter() - t0:.0f} s")
        a = analyses[q.article_id]
        prep = prepare(q.text, q.history, a, embedder.model)
        if prep is None:
            continue
        gold = np.array([overlaps(a.sentences[c.sentence], q.gold_spans) for c in prep.retrieval.candidates])
        gold_sents = {s.index for s in a.sentences if overlaps(s, q.gold_spans)}
        cands = prep.retrieval.candidates
        windows = [passages.window(a.sentences, c.sentence) for c in cands[: joint.TOP]]
        pairs = _train_pairs(q, a, prep.info.query, cands, gold_sents, gaps) if q.source != "offtopic" else None
        items.append(
            Item(
                q,
                prep.X,
                gold,
                prep.info.query,
                [c.sentence for c in cands],
                windows,
                frozenset(gold_sents),
                train_pairs=pairs,
                info=prep.info,
                sentences=a.sentences,
            )
        )
    log(f"prepared {len(items)} questions in {time.perf_counter() - t0:.0f} s")
    return items


def sibling_items(articles, questions, stack: set[str], corpus: Path, eval_dir: Path, cache_dir: Path, log=print):
    """Sibling-article negatives (bot.training.siblings) from the joint reader's articles."""
    found = siblings.nearest(
        {a: articles[a] for a in sorted({q.article_id for q in questions}) if a not in stack},
        siblings.corpus_candidates(corpus, eval_dir),
    )
    made = siblings.sibling_questions(questions, found)
    log(f"{len(made)} sibling-article negatives over {len(found)} articles' nearest siblings")
    return prepare_all({**articles, **{s.id: s for sibs in found.values() for s in sibs}}, made, cache_dir, log)


def split_articles(written: set[str], share: float = STACK_SHARE) -> set[str]:
    """The articles whose questions train the ranker and refusal (the joint reader never
    sees them): a fixed share of the written sets' articles, drawn by seed."""
    ids = sorted(written)
    rng = np.random.default_rng(SEED)
    return set(rng.choice(ids, size=round(share * len(ids)), replace=False).tolist())


def add_joint_columns(
    items: list[Item], stack: set[str], cache_dir: Path, log=print, start: Path | None = None
) -> tuple[list[Item], Path]:
    """Train the joint reader on the questions of the other articles (from the pre-trained
    reader at `start`, if given); read every stack question's passages with it and append
    its columns; return the stack items and the stored weights."""
    train = [it.train_pairs for it in items if it.q.article_id not in stack and it.train_pairs is not None]
    kept = [it for it in items if it.q.article_id in stack]
    reads, weights = jt.train_and_score(
        train, [(it.query, [w.text for w in it.windows]) for it in kept], cache_dir, log, start
    )
    for it, r in zip(kept, reads, strict=True):
        it.reads = r
        n = len(it.X)
        spans = span_columns(it.info, it.sentences, r, it.windows, n)
        it.X = np.hstack([it.X, passages.columns(r, it.windows, n), spans])
    return kept, weights


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifest(eval_dir: Path, joint_path: Path, generated_from: str | None) -> dict:
    """What the weights were made from: reader code version, training files' and generated
    articles' sha256, library versions, the joint weights' hash (checked at load)."""
    from importlib.metadata import version

    return {
        "reader_version": VERSION,
        "training_files": {name: sha256(eval_dir / name) for name in TRAINING_FILES},
        "generated_from_sha256": generated_from,
        "libraries": {name: version(name) for name in ("torch", "transformers", "spacy", "scikit-learn", "numpy")},
        "joint_sha256": sha256(joint_path),
    }


def train(
    eval_dir: Path,
    out: Path = WEIGHTS,
    joint_out: Path = joint.WEIGHTS,
    cache_dir: Path = Path(".cache/reader"),
    off_topic_n: int = OFF_TOPIC,
    log=print,
    levers_only: bool = False,
    corpus: Path | None = CORPUS,
    use_siblings: bool = False,
    gaps: bool = False,
    refit: bool = False,
    absent: bool = False,
    generated_articles: int = generated.GENERATED_ARTICLES,
    negatives: int = generated.NEGATIVES,
) -> Models | None:
    """Fit every part, write the weights with their manifest, report the held-out figures."""
    started = time.perf_counter()
    np.random.seed(SEED)
    articles, questions = training_sets(eval_dir)
    probe = off_topic(questions, PROBE, SEED)
    twins = swapped(questions, articles, seed=SEED)
    log(f"{len(questions)} written questions, {len(twins)} swapped-detail twins, {len(probe)} off-topic probes")
    items = prepare_all(articles, questions + twins + probe, cache_dir, log, gaps)
    stack = split_articles({it.q.article_id for it in items if it.q.source == "bbc"})
    start = generated_from = None
    if corpus is not None:
        made, generated_from = generated.build(
            corpus, eval_dir, cache_dir, SEED, log, gaps, absent, generated_articles, negatives
        )
        start = jt.pretrain(made, cache_dir, log)
    if corpus is not None and use_siblings:
        items += sibling_items(articles, questions, stack, corpus, eval_dir, cache_dir, log)
    every_pair = [it.train_pairs for it in items if it.train_pairs is not None] if refit else []
    items, reader_weights = add_joint_columns(items, stack, cache_dir, log, start)
    if refit:  # the shipped reader learns from every article; the stack keeps the held-out reading
        reader_weights = jt.train_and_score(every_pair, [], cache_dir, log, start)[1]
    log(f"stage times so far: {time.perf_counter() - started:.0f} s")
    if levers_only:
        levers(items, off_topic_n, log)
        return None
    splits = folds(items)  # an off-topic question sits in its target article's fold
    train_off_topic(items, off_topic_n)
    probs, p_answerable = out_of_fold(items, splits)
    written = [i for i, it in enumerate(items) if it.q.source == "bbc"]
    answerable = [i for i in written if items[i].q.answerable]
    top1 = np.mean([items[i].gold[int(np.argmax(probs[i]))] for i in answerable])
    log(
        f"{len(items)} questions over {len({it.q.article_id for it in items})} held-out articles; grouped-CV top-1 {top1:.1%}"
    )
    threshold = choose_threshold(items, probs, p_answerable, written)
    cv = {"threshold": threshold, **outcome(items, probs, p_answerable, threshold, written)}
    log(line(f"out of fold, threshold {threshold:.3f}", cv))
    for src in sorted({it.q.source for it in items}):
        idx = [i for i, it in enumerate(items) if it.q.source == src]
        log(line(f"  out of fold, {src}", outcome(items, probs, p_answerable, threshold, idx)))
    near = [i for i in written if "nearmiss" in items[i].q.tags]
    if near:
        log(line("  out of fold, near misses", outcome(items, probs, p_answerable, threshold, near)))
    everything = np.arange(len(items))
    shutil.copyfile(reader_weights, joint_out)
    models = Models(
        fit_ranker(items, everything), fit_answer(items, probs, everything), threshold, joint.load(joint_out)
    )
    log(f"wrote {joint_out} ({joint_out.stat().st_size:,} bytes)")
    models.save(
        out,
        extra={
            "cv": cv,
            "top1": float(top1),
            "seed": SEED,
            "n_questions": len(questions),
            "n_stack_questions": len(written),
            "off_topic_trained": sum(it.trained and it.q.source == "offtopic" for it in items),
            "manifest": manifest(eval_dir, joint_out, generated_from),
        },
    )
    log(f"wrote {out} ({out.stat().st_size:,} bytes) in {time.perf_counter() - started:.0f} s")
    return models
