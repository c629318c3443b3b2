"""The joint reader: the bundled MiniLM fine-tuned to read a question and one passage
together, as a SQuAD 2.0 reader does, and say three things about the pair:

- how well the passage's centre sentence matches the question (`z`: a scaled cosine
  between the mean of the question's output tokens and the mean of the passage's);
- where in the passage the answer starts and ends (a start and an end logit per token);
- whether the passage holds no answer at all (the start and end logits of [CLS]).

A passage is a candidate sentence with its neighbours (`window`): the answer to "Who is
Mark Montgomery?" can sit in the sentence before the one that names him. Both go through
the transformer as one input ("[CLS] question [SEP] passage [SEP]"), so each attends to
the other; that is what lets the reader notice a swapped detail the retrieval scores
cannot (a different year, a different person).

Only what training changed is stored (`joint.npz`, see `save`): the word, position and
type embeddings were frozen in training and are read from the bundled, checksum-verified
embedder, so the two cannot drift apart. Loaded offline, once, at `ArticleQA.load()`;
scored over the top few candidates only (`TOP`), in bfloat16 where the CPU computes it
natively (`fast_bf16`). Training runs under bfloat16 autocast too, where the CPU computes
it natively (float32 elsewhere).
"""

from __future__ import annotations

import threading
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..core import loading, memory
from ..core.errors import ModelError
from .passages import Read, decode

WEIGHTS = Path(__file__).resolve().parent / "joint.npz"
TOP = 8  # candidates read jointly, by fused retrieval rank (the rest keep a floor score)
MAX_LEN = 160  # word pieces of question + passage; a longer pair loses the passage's end
FROZEN = "embeddings."  # parameter prefix kept from the bundled model (frozen in training)
UNUSED = "pooler."  # the [CLS] pooler: the score pools tokens itself
LEVELS = 63  # steps each side of zero for a stored change: 8.7 MB, scores within 0.002 of fp32 (127: 10.1 MB)


def pooled_cosine(hidden, token_type_ids, attention_mask):
    """Cosine between the mean question token and the mean passage token of each pair
    ([CLS] and [SEP] left out)."""
    import torch

    mask = attention_mask.bool()
    ids = torch.arange(mask.shape[1], device=mask.device)[None, :]
    lengths = mask.sum(1, keepdim=True)
    q_len = (token_type_ids == 0).logical_and(mask).sum(1, keepdim=True)
    q_mask = (ids >= 1) & (ids < q_len - 1)  # question pieces: after [CLS], before the first [SEP]
    s_mask = (ids >= q_len) & (ids < lengths - 1)  # passage pieces: before the last [SEP]
    q = (hidden * q_mask[..., None]).sum(1) / q_mask.sum(1, keepdim=True).clamp(min=1)
    s = (hidden * s_mask[..., None]).sum(1) / s_mask.sum(1, keepdim=True).clamp(min=1)
    return torch.nn.functional.cosine_similarity(q, s, dim=-1)


def answer_mask(token_type_ids, attention_mask):
    """Where an answer may start or end: [CLS] (no answer) and the passage's pieces."""
    import torch

    mask = attention_mask.bool()
    lengths = mask.sum(1, keepdim=True)
    ids = torch.arange(mask.shape[1], device=mask.device)[None, :]
    passage = (token_type_ids == 1) & mask & (ids < lengths - 1)
    return passage | (ids == 0)


class JointModel:
    """The transformer, the relevance score's scale and bias, and the span head."""

    def __init__(self, bert, tokenizer, scale: float, bias: float, span, bf16: bool = False):
        self.bert = bert
        self.tokenizer = tokenizer
        self.scale = scale
        self.bias = bias
        self.span = span  # torch.nn.Linear(hidden, 2): start and end logits per token
        self.bf16 = bf16  # score in bfloat16 (set by `load` where the CPU computes it natively)
        self._lock = threading.Lock()

    def encode(self, questions: list[str], passages: list[str], offsets: bool = False):
        """The pairs as one padded batch; a pair over MAX_LEN loses the passage's end (the
        question's too when it alone nears MAX_LEN)."""
        return self.tokenizer(
            questions,
            passages,
            truncation="longest_first",
            max_length=MAX_LEN,
            padding=True,
            return_tensors="pt",
            return_offsets_mapping=offsets,
        )

    def forward(self, batch):
        """(relevance cosine, start logits, end logits) per pair, the logits fp32 and
        -1e4 where no answer may lie."""
        inputs = {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
        hidden = self.bert(**inputs).last_hidden_state
        cos = pooled_cosine(hidden.float(), batch["token_type_ids"], batch["attention_mask"])
        logits = self.span(hidden).float()
        allowed = answer_mask(batch["token_type_ids"], batch["attention_mask"])
        start = logits[..., 0].masked_fill(~allowed, -1e4)
        end = logits[..., 1].masked_fill(~allowed, -1e4)
        return cos, start, end

    def read(self, question: str, passages: list[str]) -> list[Read]:
        """One `Read` per passage."""
        if not passages:
            return []
        import torch

        with self._lock:  # the fast tokenizer is not safe across threads; the forward pass is
            batch = self.encode([question] * len(passages), passages, offsets=True)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            cos, start, end = self.forward(batch)  # concurrent questions overlap here
        memory.trim()
        z = self.scale * cos.numpy() + self.bias
        offsets = batch["offset_mapping"].numpy()
        types = batch["token_type_ids"].numpy()
        return [
            decode(float(z[i]), start[i].numpy(), end[i].numpy(), offsets[i], types[i]) for i in range(len(passages))
        ]


def fast_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX tiles). There the
    reader scores in bf16 (docs/benchmarks.md); elsewhere bf16 would be emulated, and
    slower: fp32."""
    import torch

    try:  # torch's own CPU checks; private, so a torch without them means fp32
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:
        return False


def base_model(model_dir: Path):
    """The bundled MiniLM's transformer and tokenizer (the embedder's own files)."""
    with loading.LOCK:
        from transformers import AutoModel, AutoTokenizer

        return AutoModel.from_pretrained(str(model_dir)), AutoTokenizer.from_pretrained(str(model_dir))


def new_span_head(bert, seed: int = 0):
    """A fresh start/end head over the transformer's hidden states."""
    import torch

    torch.manual_seed(seed)
    return torch.nn.Linear(bert.config.hidden_size, 2)


def _trained(state: dict) -> list[str]:
    """The parameters training changes: all but the frozen embeddings and the unused pooler."""
    return [k for k in state if not k.startswith(FROZEN) and not k.startswith(UNUSED)]


def load(path: Path = WEIGHTS, model_dir: Path | None = None) -> JointModel:
    """The fine-tuned joint reader: the bundled model plus the stored changes and heads."""
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
        span = new_span_head(bert)
        span.load_state_dict(
            {"weight": torch.from_numpy(arrays.pop("span.weight")), "bias": torch.from_numpy(arrays.pop("span.bias"))}
        )
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
    span.eval()
    return JointModel(bert, tokenizer, scale, bias, span, bf16=fast_bf16())


def save(model: JointModel, path: Path = WEIGHTS, model_dir: Path | None = None) -> None:
    """What training changed, against the bundled model: each matrix's change as int8 per
    row with the row's scale, vectors in fp16, the span head in fp32, compressed (under a
    Space's 10 MB limit for a file outside Git LFS); the embeddings and pooler are the
    bundled ones."""
    from ..store.embeddings import bundled_model_dir

    base = base_model(model_dir or bundled_model_dir())[0].state_dict()
    ours = model.bert.state_dict()
    arrays: dict[str, np.ndarray] = {
        "score": np.array([model.scale, model.bias], dtype=np.float64),
        "span.weight": model.span.weight.detach().float().numpy(),
        "span.bias": model.span.bias.detach().float().numpy(),
    }
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
