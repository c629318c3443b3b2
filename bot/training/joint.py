"""Fine-tune the joint reader (bot.reading.joint) on the training questions.

Each question brings a few passages (`Pairs`): the one around its gold sentence, the one
around a near miss's bent sentence, and the best-retrieved others, up to TRAIN_WINDOWS.
Each passage has two targets: whether its centre sentence is gold (the relevance score),
and where the answer lies in it, or [CLS] for "no answer here" (the span head, SQuAD 2.0's
shape). Unanswerable questions, near misses and swapped-detail twins put every passage on
[CLS]. An answer whose words cannot be found in the passage is not taught a span (its
passage still teaches relevance).

The loss adds, per batch, the relevance terms (a pointwise BCE on every passage and a
listwise softmax over an answerable question's passages onto its gold ones) and the span
terms (cross-entropy of the start and of the end). Embeddings stay frozen (they are the
bundled model's, see bot/reading/joint.py); AdamW, bfloat16 autocast where the CPU
computes it natively (float32 elsewhere: emulated bf16 measured 25x slower a step), fixed seed.

`train_and_score` fits on one set of questions and reads another's passages with the
result (the questions of articles it never saw), kept in a cache keyed by its exact
inputs and settings, so a retrain of the other parts reuses it.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..reading import joint, passages
from .spans import SKIP, answer_span, gap  # noqa: F401 - answer_span, gap: the training data reads them here

SEED = 0
EPOCHS = 2
LR = 5e-5
HEAD_LR = 5e-4
BATCH = 8  # questions per optimiser step
TRAIN_WINDOWS = 4  # passages per question in training
VERSION = 3  # of the reader's code (its input, heads and loss): a change here retrains
NULL = (0, 0)  # span target: no answer in this passage ([CLS])


@dataclass
class Pairs:
    """One question's joint-reader inputs: its query, passages and their targets."""

    article_id: str
    query: str
    texts: list[str]
    gold: np.ndarray  # the passage's centre sentence is gold
    spans: list[tuple[int, int]]  # per passage: the answer's characters, NULL or SKIP
    answerable: bool


def _targets(batch, spans: list[tuple[int, int]]):
    """Token targets for each pair's answer characters: [CLS] (0) for NULL, -100 (no loss)
    for SKIP or an answer the truncation cut."""
    import torch

    offsets = batch["offset_mapping"]
    types = batch["token_type_ids"]
    starts, ends = [], []
    for r, (a, b) in enumerate(spans):
        if (a, b) == NULL:
            starts.append(0)
            ends.append(0)
            continue
        if (a, b) == SKIP:
            starts.append(-100)
            ends.append(-100)
            continue
        ok = (types[r] == 1) & (offsets[r, :, 1] > offsets[r, :, 0])
        idx = torch.nonzero(ok).flatten().tolist()
        s = [t for t in idx if int(offsets[r, t, 1]) > a]
        e = [t for t in idx if int(offsets[r, t, 0]) < b]
        if not s or not e or e[-1] < s[0] or int(offsets[r, s[0], 0]) >= b:
            starts.append(-100)
            ends.append(-100)
        else:
            starts.append(s[0])
            ends.append(e[-1])
    return torch.tensor(starts), torch.tensor(ends)


def with_gap(p: Pairs, text: str | None) -> Pairs:
    """`p` with one more passage, `text`, taught as neither gold nor holding the answer."""
    if text is None:
        return p
    return Pairs(p.article_id, p.query, [*p.texts, text], np.append(p.gold, 0.0), [*p.spans, NULL], p.answerable)


def _batches(order: np.ndarray, longest: np.ndarray, pool: int = 32) -> list[np.ndarray]:
    """Batches of BATCH questions: shuffled, then sorted by their longest passage within
    pools of `pool` batches, so a batch pads to a length near its own (about a third less
    padding on the training set), while each batch still mixes questions at random.

    >>> [b.tolist() for b in _batches(np.arange(16), np.arange(16)[::-1], pool=2)]
    [[15, 14, 13, 12, 11, 10, 9, 8], [7, 6, 5, 4, 3, 2, 1, 0]]
    """
    out = []
    size = BATCH * pool
    for at in range(0, len(order), size):
        chunk = order[at : at + size]
        chunk = chunk[np.argsort(longest[chunk], kind="stable")]
        out += [chunk[i : i + BATCH] for i in range(0, len(chunk), BATCH)]
    return out


def fit(
    pairs: list[Pairs],
    model_dir=None,
    epochs: int = EPOCHS,
    seed: int = SEED,
    log=print,
    init: Path | None = None,
) -> joint.JointModel:
    """Fine-tune from the bundled model, or from the stored reader at `init` (the
    pre-trained one)."""
    import torch

    from ..store.embeddings import bundled_model_dir

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if init is None:
        bert, tokenizer = joint.base_model(model_dir or bundled_model_dir())
        span = joint.new_span_head(bert, seed)
        scale = torch.nn.Parameter(torch.tensor(10.0))
        bias = torch.nn.Parameter(torch.tensor(-5.0))
    else:
        before = joint.load(init, model_dir)
        bert, tokenizer, span = before.bert, before.tokenizer, before.span
        scale = torch.nn.Parameter(torch.tensor(float(before.scale)))
        bias = torch.nn.Parameter(torch.tensor(float(before.bias)))
    for name, p in bert.named_parameters():
        p.requires_grad = not name.startswith(joint.FROZEN)
    params = [p for p in bert.parameters() if p.requires_grad]
    groups: list[dict[str, Any]] = [
        {"params": params},
        {"params": list(span.parameters()), "lr": HEAD_LR},
        {"params": [scale, bias], "lr": 1e-2},
    ]
    opt = torch.optim.AdamW(groups, lr=LR, weight_decay=0.01)
    model = joint.JointModel(bert, tokenizer, 10.0, -5.0, span)
    usable = [p for p in pairs if p.texts]
    per_epoch = (len(usable) + BATCH - 1) // BATCH
    bf16 = joint.fast_bf16()
    if not bf16:
        log(
            "    this CPU has no native bfloat16: training in float32 (emulated bf16 is about 25x slower),"
            " which takes longer than the times in docs/method.md"
        )
    steps = epochs * per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / (0.1 * steps + 1)) * max(0.0, 1 - s / (steps + 1))
    )
    bert.train()
    span.train()
    t0 = time.perf_counter()
    longest = np.array([max(len(t) for t in p.texts) + len(p.query) for p in usable])
    for epoch in range(epochs):
        batches = _batches(rng.permutation(len(usable)), longest)
        rng.shuffle(batches)
        total, n = 0.0, 0
        for step, rows in enumerate(batches):
            group = [usable[i] for i in rows]
            questions = [p.query for p in group for _ in p.texts]
            texts = [t for p in group for t in p.texts]
            batch = model.encode(questions, texts, offsets=True)
            s_tgt, e_tgt = _targets(batch, [s for p in group for s in p.spans])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                cos, start, end = model.forward(batch)
            z = scale * cos + bias
            y = torch.tensor(np.concatenate([p.gold for p in group]), dtype=torch.float32)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
            at = 0
            for p in group:
                k = len(p.texts)
                if p.answerable and p.gold.any():
                    zq, yq = z[at : at + k], y[at : at + k]
                    loss = loss + (torch.logsumexp(zq, 0) - torch.logsumexp(zq[yq > 0], 0)) / len(group)
                at += k
            if (s_tgt >= 0).any():
                ce = torch.nn.functional.cross_entropy
                loss = loss + 0.5 * (ce(start, s_tgt, ignore_index=-100) + ce(end, e_tgt, ignore_index=-100))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            total += float(loss.detach())
            n += 1
            if step % 100 == 0:
                log(f"    step {step}/{per_epoch}: loss {total / n:.3f}, {time.perf_counter() - t0:.0f} s")
        log(f"  joint reader epoch {epoch + 1}: loss {total / max(n, 1):.3f}, {time.perf_counter() - t0:.0f} s")
    bert.eval()
    span.eval()
    model.scale, model.bias = float(scale.detach()), float(bias.detach())
    model.bf16 = bf16
    return model


def _key(train: list[Pairs], read: list[tuple[str, list[str]]], start: Path | None = None, epochs: int = EPOCHS) -> str:
    from ..store.embeddings import BUNDLED_SHA256

    h = hashlib.sha256()
    if start is not None:
        h.update(hashlib.sha256(Path(start).read_bytes()).digest())
    settings = [
        VERSION,
        BUNDLED_SHA256,
        SEED,
        epochs,
        LR,
        HEAD_LR,
        BATCH,
        TRAIN_WINDOWS,
        joint.TOP,
        joint.MAX_LEN,
        passages.SPAN_MAX,
        passages.SPANS_KEPT,
        joint.LEVELS,
        *([] if joint.fast_bf16() else ["float32"]),  # trained without bf16 autocast: a cache of its own
    ]
    h.update(json.dumps(settings).encode())
    for p in train:
        h.update(json.dumps([p.article_id, p.query, p.texts, p.gold.tolist(), p.spans, p.answerable]).encode())
    h.update(json.dumps(read).encode())
    return h.hexdigest()[:16]


def _to_json(reads: list[passages.Read]) -> list:
    return [[r.z, r.gap, [list(s) for s in r.spans]] for r in reads]


def _from_json(rows: list) -> list[passages.Read]:
    return [
        passages.Read(float(z), float(g), [(int(a), int(b), float(s)) for a, b, s in spans]) for z, g, spans in rows
    ]


PRETRAIN_EPOCHS = 1


def pretrain(generated: list[Pairs], cache_dir: Path, log=print) -> Path:
    """The reader fitted on the generated questions (bot.training.generated), stored as
    shipped; from the cache when these exact questions were trained on before."""
    where = Path(cache_dir) / f"pretrained-{_key(generated, [], epochs=PRETRAIN_EPOCHS)}"
    weights = where / joint.WEIGHTS.name
    if weights.is_file():
        log(f"pre-trained reader: reusing {where}")
        return weights
    log(
        f"pre-training the reader on {len(generated)} generated questions, {sum(len(p.texts) for p in generated)} passages"
    )
    model = fit(generated, epochs=PRETRAIN_EPOCHS, log=log)
    where.mkdir(parents=True, exist_ok=True)
    joint.save(model, weights)
    return weights


def train_and_score(
    train: list[Pairs], read: list[tuple[str, list[str]]], cache_dir: Path, log=print, start: Path | None = None
) -> tuple[list[list[passages.Read]], Path]:
    """The reader fitted on `train` (from the pre-trained reader at `start`, if given), and
    its reading of each (query, passages) in `read`; from the cache when these exact inputs
    were trained on before."""
    where = Path(cache_dir) / f"joint-{_key(train, read, start)}"
    weights = where / joint.WEIGHTS.name
    scores = where / "reads.json"
    if not (scores.is_file() and weights.is_file()):
        log(f"joint reader: training on {len(train)} questions, {sum(len(p.texts) for p in train)} passages")
        model = fit(train, log=log, init=start)
        where.mkdir(parents=True, exist_ok=True)
        joint.save(model, weights)
        model = joint.load(weights)  # read with the stored (int8) weights, as shipped
        t0 = time.perf_counter()
        out = []
        for n, (query, texts) in enumerate(read):
            out.append(_to_json(model.read(query, texts)))
            if n % 500 == 0:
                log(f"    read {n}/{len(read)}, {time.perf_counter() - t0:.0f} s")
        scores.write_text(json.dumps(out))
    else:
        log(f"joint reader: reusing {where}")
    return [_from_json(rows) for rows in json.loads(scores.read_text())], weights
