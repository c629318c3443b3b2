"""The joint reader: the bundled MiniLM fine-tuned to read a question and one candidate
sentence together, scoring how well the sentence answers the question.

The embedder reads question and sentence apart (a cosine between two vectors); here both
go through the transformer as one input ("[CLS] question [SEP] sentence [SEP]"), so each
attends to the other. The score is a scaled cosine between the mean of the question's
output tokens and the mean of the sentence's: a plain classification head on [CLS] did
not learn from ~1,000 questions, this did (docs/reader.md).

Only what training changed is stored (`joint.npz`, see `save`): the word, position and
type embeddings were frozen in training and are read from the bundled, checksum-verified
embedder, so the two cannot drift apart. Loaded offline, once, at
`ArticleQA.load()`; scored over the top few candidates only (`TOP`), in bfloat16 where the
CPU computes it natively (`fast_bf16`). Training scores in fp32.
"""

from __future__ import annotations

import threading
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..core.errors import ModelError

WEIGHTS = Path(__file__).resolve().parent / "joint.npz"
TOP = 8  # candidates read jointly, by fused retrieval rank (the rest keep a floor score)
MAX_LEN = 128  # word pieces of question + sentence; a longer pair is cut (see encode)
FROZEN = "embeddings."  # parameter prefix kept from the bundled model (frozen in training)
UNUSED = "pooler."  # the [CLS] pooler: the score pools tokens itself
LEVELS = 63  # steps each side of zero for a stored change: 8.7 MB, scores within 0.002 of fp32 (127: 10.1 MB)
NAMES = ["joint", "joint_margin", "joint_rank", "joint_scored", "joint_best"]  # columns for the ranker


def columns(z: np.ndarray, n: int) -> np.ndarray:
    """The joint reader's columns for `n` candidates, of which the first len(z) were read.

    A candidate not read gets the lowest score read and the rank just past them, so the
    ranker sees "not among the best retrieved" rather than a made-up score.

    >>> columns(np.array([2.0, -1.0]), 3).round(3).tolist()
    [[2.0, 3.0, 0.0, 1.0, 2.0], [-1.0, -3.0, 0.693, 1.0, 2.0], [-1.0, -3.0, 1.099, 0.0, 2.0]]
    """
    z = np.asarray(z, dtype=np.float64)[:n]
    k = len(z)
    out = np.zeros((n, len(NAMES)))
    if k == 0:
        return out
    full = np.full(n, z.min())
    full[:k] = z
    order = np.argsort(-z, kind="stable")
    best = z[order[0]]
    second = z[order[1]] if k > 1 else best
    rank = np.full(n, float(k))
    rank[order] = np.arange(k)
    out[:, 0] = full
    out[:, 1] = full - np.where(np.arange(n) == order[0], second, best)
    out[:, 2] = np.log1p(rank)
    out[:k, 3] = 1.0
    out[:, 4] = best
    return out


def pooled_cosine(hidden, token_type_ids, attention_mask):
    """Cosine between the mean question token and the mean sentence token of each pair
    ([CLS] and [SEP] left out)."""
    import torch

    mask = attention_mask.bool()
    ids = torch.arange(mask.shape[1], device=mask.device)[None, :]
    lengths = mask.sum(1, keepdim=True)
    q_len = (token_type_ids == 0).logical_and(mask).sum(1, keepdim=True)
    q_mask = (ids >= 1) & (ids < q_len - 1)  # question pieces: after [CLS], before the first [SEP]
    s_mask = (ids >= q_len) & (ids < lengths - 1)  # sentence pieces: before the last [SEP]
    q = (hidden * q_mask[..., None]).sum(1) / q_mask.sum(1, keepdim=True).clamp(min=1)
    s = (hidden * s_mask[..., None]).sum(1) / s_mask.sum(1, keepdim=True).clamp(min=1)
    return torch.nn.functional.cosine_similarity(q, s, dim=-1)


class JointModel:
    """The transformer plus the score's scale and bias; `score` is a logit per pair."""

    def __init__(self, bert, tokenizer, scale: float, bias: float, bf16: bool = False):
        self.bert = bert
        self.tokenizer = tokenizer
        self.scale = scale
        self.bias = bias
        self.bf16 = bf16  # score in bfloat16 (set by `load` where the CPU computes it natively)
        self._lock = threading.Lock()

    def encode(self, question: str, sentences: list[str]):
        """The pairs as one padded batch. A pair over MAX_LEN loses pieces from its longer
        side: the sentence's end as a rule, the question's too when it alone nears MAX_LEN
        (cutting only the sentence would fail there)."""
        return self.tokenizer(
            [question] * len(sentences),
            sentences,
            truncation="longest_first",
            max_length=MAX_LEN,
            padding=True,
            return_tensors="pt",
        )

    def score(self, question: str, sentences: list[str]) -> np.ndarray:
        """One logit per sentence: scale x pooled cosine + bias."""
        if not sentences:
            return np.zeros(0)
        import torch

        with (
            self._lock,  # the fast tokenizer is not safe across threads
            torch.inference_mode(),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16),
        ):
            batch = self.encode(question, sentences)
            hidden = self.bert(**batch).last_hidden_state.float()  # fp32 whatever the autocast
            cos = pooled_cosine(hidden, batch["token_type_ids"], batch["attention_mask"])
        return (self.scale * cos.numpy() + self.bias).astype(np.float64)


def fast_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX tiles). There the
    reader scores in bf16: `read_joint` took 44.7 ms a question in `make bench` against
    76.9 ms in fp32 on 2 cores, with scores within 0.02 logits of fp32 and the same bbc-dev
    and seed figures (docs/benchmarks.md). Elsewhere bf16 would be emulated, and slower:
    fp32. Training always scores in fp32."""
    import torch

    try:  # torch's own CPU checks; private, so a torch without them means fp32
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:
        return False


def base_model(model_dir: Path):
    """The bundled MiniLM's transformer and tokenizer (the embedder's own files)."""
    from transformers import AutoModel, AutoTokenizer

    return AutoModel.from_pretrained(str(model_dir)), AutoTokenizer.from_pretrained(str(model_dir))


def _trained(state: dict) -> list[str]:
    """The parameters training changes: all but the frozen embeddings and the unused pooler."""
    return [k for k in state if not k.startswith(FROZEN) and not k.startswith(UNUSED)]


def load(path: Path = WEIGHTS, model_dir: Path | None = None) -> JointModel:
    """The fine-tuned joint reader: the bundled model plus the stored changes."""
    import torch

    from ..store.embeddings import bundled_model_dir, verify_bundled

    if not path.is_file():
        raise ModelError(f"The joint reader's weights {path} are missing - reinstall, or `make train-answerer`")
    if model_dir is None:
        model_dir = bundled_model_dir()
        verify_bundled(model_dir)
    try:
        bert, tokenizer = base_model(model_dir)
    except OSError as e:
        raise ModelError(
            f"Cannot read the bundled embedding model in {model_dir} ({e}) - reinstall it: `make setup`"
        ) from None
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {k: stored[k] for k in stored.files}
        scale, bias = (float(v) for v in arrays.pop("score"))
        own = bert.state_dict()
        names = _trained(own)
        if {k.rsplit(".", 1)[0] for k in arrays} != set(names):
            raise ValueError("its layers are not the bundled model's")
        changed = {}
        for k in names:
            if k + ".q" in arrays:  # a matrix: int8 rows times a scale per row
                delta = arrays[k + ".q"].astype(np.float32) * arrays[k + ".s"].astype(np.float32)[:, None]
            else:
                delta = arrays[k + ".d"].astype(np.float32)
            changed[k] = own[k] + torch.from_numpy(delta).reshape(own[k].shape)
        bert.load_state_dict(changed, strict=False)
    except (OSError, ValueError, KeyError, RuntimeError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise ModelError(f"Cannot read the joint reader's weights {path} ({e}) - `make train-answerer`") from None
    bert.eval()
    return JointModel(bert, tokenizer, scale, bias, bf16=fast_bf16())


def save(model: JointModel, path: Path = WEIGHTS, model_dir: Path | None = None) -> None:
    """What training changed, against the bundled model: each matrix's change as int8 per
    row with the row's scale, vectors in fp16, compressed (8.7 MB, under a Space's 10 MB
    limit for a file outside Git LFS); the embeddings and pooler are the bundled ones."""
    from ..store.embeddings import bundled_model_dir

    base = base_model(model_dir or bundled_model_dir())[0].state_dict()
    ours = model.bert.state_dict()
    arrays: dict[str, np.ndarray] = {"score": np.array([model.scale, model.bias], dtype=np.float64)}
    for k in _trained(ours):
        delta = (ours[k].detach().float() - base[k].float()).numpy()
        if delta.ndim == 2:
            row = np.abs(delta).max(axis=1) / LEVELS
            row[row == 0] = 1.0
            arrays[k + ".q"] = np.round(delta / row[:, None]).astype(np.int8)
            arrays[k + ".s"] = row.astype(np.float32)
        else:
            arrays[k + ".d"] = delta.astype(np.float16)
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)  # type: ignore[arg-type]  # numpy types allow_pickle among the kwargs
