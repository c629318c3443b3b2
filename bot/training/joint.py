"""Fine-tune the joint reader (bot.reading.joint) on the training questions.

Each written question gives its top `joint.TOP` candidate sentences (the same retrieval
that answers it), labelled gold or not. The loss adds, per question, a listwise term (the
softmax over its candidates puts its mass on the gold ones; answerable questions only)
and a pointwise one (each pair's logit against its label, unanswerable questions
included), so the score ranks and also means something across questions. The embeddings
stay frozen (they are the bundled model's, see joint.py); AdamW, fixed seed.

`out_of_fold` scores every question with a model that never saw its article, so the
ranker and the refusal are trained on the scores they will meet on a new article.
`train_and_score` does both, about an hour on 2 cores, and keeps the result in a cache
keyed by its exact inputs and settings, so a retrain of the other parts reuses it.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..reading import joint

SEED = 0
EPOCHS = 2
LR = 3e-5
ACCUMULATE = 4  # questions per optimiser step
JOINT_FOLDS = 3  # models trained for the out-of-fold scores
VERSION = 2  # of the reader's code (its input, score and loss): a change here retrains


@dataclass
class Pairs:
    """One question's joint-reader inputs: its query and top candidates' texts, gold flags."""

    article_id: str
    query: str
    texts: list[str]
    gold: np.ndarray
    answerable: bool


def fit(pairs: list[Pairs], model_dir=None, epochs: int = EPOCHS, seed: int = SEED, log=print) -> joint.JointModel:
    import torch

    from ..store.embeddings import bundled_model_dir

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    bert, tokenizer = joint.base_model(model_dir or bundled_model_dir())
    for name, p in bert.named_parameters():
        p.requires_grad = not name.startswith(joint.FROZEN)
    scale = torch.nn.Parameter(torch.tensor(10.0))
    bias = torch.nn.Parameter(torch.tensor(-5.0))
    params = [p for p in bert.parameters() if p.requires_grad]
    groups: list[dict[str, Any]] = [{"params": params}, {"params": [scale, bias], "lr": 1e-2}]
    opt = torch.optim.AdamW(groups, lr=LR, weight_decay=0.01)
    model = joint.JointModel(bert, tokenizer, 10.0, -5.0)
    usable = [p for p in pairs if p.texts]
    steps = epochs * len(usable) // ACCUMULATE
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / (0.1 * steps + 1)) * max(0.0, 1 - s / (steps + 1))
    )
    bert.train()
    t0 = time.perf_counter()
    for epoch in range(epochs):
        order = rng.permutation(len(usable))
        total = 0.0
        for n, i in enumerate(order):
            p = usable[i]
            batch = model.encode(p.query, p.texts)
            hidden = bert(**batch).last_hidden_state
            z = scale * joint.pooled_cosine(hidden, batch["token_type_ids"], batch["attention_mask"]) + bias
            y = torch.tensor(p.gold, dtype=torch.float32)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
            if p.answerable and p.gold.any():
                loss = loss - torch.logsumexp(z[y > 0], 0) + torch.logsumexp(z, 0)
            (loss / ACCUMULATE).backward()
            total += float(loss.detach())
            if (n + 1) % ACCUMULATE == 0 or n == len(order) - 1:
                opt.step()
                sched.step()
                opt.zero_grad()
        log(f"  joint reader epoch {epoch + 1}: loss {total / len(order):.3f}, {time.perf_counter() - t0:.0f} s")
    bert.eval()
    model.scale, model.bias = float(scale.detach()), float(bias.detach())
    return model


def out_of_fold(pairs: list[Pairs], trained: list[bool], k: int = JOINT_FOLDS, log=print) -> list[np.ndarray]:
    """Every question's candidate scores from a joint reader trained without its article
    (on the questions marked `trained` of the other folds)."""
    from sklearn.model_selection import GroupKFold

    groups = np.array([p.article_id for p in pairs])
    scores: list = [None] * len(pairs)
    splits = GroupKFold(n_splits=k, shuffle=True, random_state=SEED).split(np.zeros(len(pairs)), groups=groups)
    for f, (tr, te) in enumerate(splits):
        rows = [pairs[i] for i in tr if trained[i]]
        log(f"joint reader fold {f + 1}/{k}: training on {len(rows)} questions")
        model = fit(rows, log=log)
        for i in te:
            scores[i] = model.score(pairs[i].query, pairs[i].texts)
    return scores


def _key(pairs: list[Pairs], trained: list[bool]) -> str:
    from ..store.embeddings import BUNDLED_SHA256

    h = hashlib.sha256()
    settings = [
        VERSION,
        BUNDLED_SHA256,
        SEED,
        EPOCHS,
        LR,
        ACCUMULATE,
        JOINT_FOLDS,
        joint.TOP,
        joint.MAX_LEN,
        joint.LEVELS,
    ]
    h.update(json.dumps(settings).encode())
    for p, t in zip(pairs, trained, strict=True):
        h.update(json.dumps([p.article_id, p.query, p.texts, p.gold.tolist(), p.answerable, t]).encode())
    return h.hexdigest()[:16]


def train_and_score(
    pairs: list[Pairs], trained: list[bool], cache_dir: Path, log=print
) -> tuple[list[np.ndarray], Path]:
    """Out-of-fold scores for every question, and the stored weights of the reader fitted on
    all `trained` ones; from the cache when these exact inputs were trained on before."""
    where = Path(cache_dir) / f"joint-{_key(pairs, trained)}"
    weights = where / joint.WEIGHTS.name
    if not ((where / "scores.npz").is_file() and weights.is_file()):
        scores = out_of_fold(pairs, trained, log=log)
        log("joint reader: the final fit on every trained question")
        model = fit([p for p, t in zip(pairs, trained, strict=True) if t], log=log)
        where.mkdir(parents=True, exist_ok=True)
        joint.save(model, weights)
        np.savez(where / "scores.npz", scores=np.concatenate(scores), lengths=[len(z) for z in scores])
    else:
        log(f"joint reader: reusing {where}")
    with np.load(where / "scores.npz") as stored:
        return np.split(stored["scores"], np.cumsum(stored["lengths"])[:-1]), weights
