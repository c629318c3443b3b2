"""What is computed once per article at index time: the spaCy parse, sentence and token
vectors, and BM25 statistics over content lemmas.

Cached on disk beside the index (JSON + npz, keyed by the article's content hash and the
parser's and embedding model's identity), so a restart reads it back instead of parsing
again. The cache is only a cache: a missing or unreadable entry is recomputed, and a
folder that cannot be written leaves the analysis in memory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..text.nlp import MODEL_SHA256, Sentence, parse_article
from . import tokens as tok

log = logging.getLogger(__name__)

K1, B = 1.2, 0.75  # BM25's usual constants
FORMAT = "1"  # bump when the analysis of the same text would come out different


@dataclass
class ArticleAnalysis:
    article_id: str
    text: str
    sentences: list[Sentence]
    vectors: np.ndarray  # n x d, normalised
    tokens: list[np.ndarray]  # per sentence, normalised token vectors
    df: Counter = field(default_factory=Counter)
    avg_len: float = 1.0
    words: set[str] = field(default_factory=set)  # lower-cased words and lemmas of the article

    def bm25(self, terms: list[str]) -> np.ndarray:
        """BM25 of each sentence for the query lemmas."""
        n = len(self.sentences)
        scores = np.zeros(n)
        for t in set(terms):
            df = self.df.get(t, 0)
            if not df:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            for i, s in enumerate(self.sentences):
                tf = s.lemmas.count(t)
                if tf:
                    norm = K1 * (1 - B + B * len(s.lemmas) / self.avg_len)
                    scores[i] += idf * tf * (K1 + 1) / (tf + norm)
        return scores

    def idf(self, term: str) -> float:
        n = len(self.sentences)
        df = self.df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def sentence_at(self, start: int, end: int) -> Sentence | None:
        """The sentence with the largest overlap with [start, end)."""
        best, overlap = None, 0
        for s in self.sentences:
            o = min(s.end, end) - max(s.start, start)
            if o > overlap:
                best, overlap = s, o
        return best


def _finish(article_id: str, text: str, sentences: list[Sentence], vectors, tokens) -> ArticleAnalysis:
    df = Counter(t for s in sentences for t in set(s.lemmas))
    avg = float(np.mean([len(s.lemmas) for s in sentences])) if sentences else 1.0
    words = {w.lower().strip(".,;:'\"’“”()") for w in text.split()}
    for s in sentences:
        words.update(s.lemmas)
        words.update(e.text.lower() for e in s.entities)
    return ArticleAnalysis(article_id, text, sentences, vectors, tokens, df, max(avg, 1.0), words)


def cache_key(article, model_id: str) -> str:
    """The article's text, the parser and the embedding model identify an analysis."""
    h = hashlib.sha256(f"{FORMAT}\0{MODEL_SHA256}\0{model_id}\0".encode())
    h.update(article.text.encode())
    return h.hexdigest()[:24]


def _read(js: Path, npz: Path, article) -> ArticleAnalysis | None:
    try:
        sentences = [Sentence.from_json(d) for d in json.loads(js.read_text(encoding="utf-8"))]
        with np.load(npz) as z:
            vectors, lens, flat = z["vectors"], z["lens"], z["tokens"].astype(np.float32)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    tokens = np.split(flat, np.cumsum(lens)[:-1]) if len(lens) else []
    if len(sentences) != len(vectors) or len(tokens) != len(sentences):
        return None
    return _finish(article.id, article.text, sentences, vectors, tokens)


def _write(js: Path, npz: Path, sentences: list[Sentence], vectors, tokens) -> None:
    try:
        js.parent.mkdir(parents=True, exist_ok=True)
        tmp = js.with_suffix(".json.partial")
        tmp.write_text(json.dumps([s.to_json() for s in sentences]), encoding="utf-8")
        tmp.replace(js)
        tmp_npz = npz.with_name(npz.stem + ".partial.npz")
        flat = np.concatenate(tokens) if tokens else np.zeros((0, vectors.shape[1] if len(vectors) else 384))
        np.savez_compressed(
            tmp_npz, vectors=vectors, lens=np.array([len(t) for t in tokens]), tokens=flat.astype(np.float16)
        )
        tmp_npz.replace(npz)
    except OSError as e:  # a read-only index folder: the analysis stays in memory
        log.warning("could not cache the analysis of an article in %s (%s)", js.parent, e.strerror or e)


def analyse_article(article, embedder, cache_dir: Path | None) -> ArticleAnalysis:
    """Parse and embed one `Article` (or read its cached analysis)."""
    key = cache_key(article, embedder.model_id)
    js = npz = None
    if cache_dir is not None:
        js, npz = cache_dir / f"{key}.json", cache_dir / f"{key}.npz"
        if js.is_file() and npz.is_file():
            cached = _read(js, npz, article)
            if cached is not None:
                return cached
    spans = [(p.start, p.end) for p in article.paragraphs]
    title_end = min(len(article.title) + 1, spans[0][1]) if spans else 0
    sentences = parse_article(article.text, spans, headline_end=title_end)
    vectors, token_vectors = tok.encode(embedder.model, [s.text for s in sentences])
    vectors = vectors.astype(np.float16).astype(np.float32)  # as read back from the cache
    token_vectors = [t.astype(np.float16).astype(np.float32) for t in token_vectors]
    if js is not None and npz is not None:
        _write(js, npz, sentences, vectors, token_vectors)
    return _finish(article.id, article.text, sentences, vectors, token_vectors)
