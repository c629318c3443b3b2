"""What is computed once per article at index time: the spaCy parse, sentence and token
vectors, and BM25 over the sentences' content lemmas (the retrieval's BM25 class).

Cached on disk beside the index (JSON + npz, keyed by the article's content hash and the
parser's and embedding model's identity), so a restart reads it back instead of parsing
again. The cache is only a cache: a missing or unreadable entry is recomputed, and a
folder that cannot be written leaves the analysis in memory.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.files import replace_atomically
from ..store.bm25 import BM25
from ..text.nlp import MODEL_SHA256, Sentence, parse_article
from . import tokens as tok

log = logging.getLogger(__name__)

FORMAT = "3"  # 3: token vectors in eight bits (tokens.quantize). Bump when the analysis of the same text would come out different


@dataclass
class ArticleAnalysis:
    article_id: str
    text: str
    sentences: list[Sentence]
    vectors: np.ndarray  # n x d, normalised
    tokens: list[np.ndarray]  # per sentence, normalised token vectors in int8, as cached (token_vectors: float32)
    scales: list[np.ndarray]  # per sentence, each token vector's scale (tokens.quantize)
    lexical: BM25  # over the sentences' lemmas, in sentence order
    words: set[str] = field(default_factory=set)  # lower-cased words and lemmas of the article

    def bm25(self, terms: list[str]) -> np.ndarray:
        """BM25 of each sentence for the query lemmas."""
        return self.lexical.scores(terms)

    def token_vectors(self, i: int) -> np.ndarray:
        """Sentence i's token vectors in float32. They are kept in eight bits, as the cache
        stores them (the same values): a quarter of float32 in memory and on disk."""
        return tok.dequantize(self.tokens[i], self.scales[i])

    def idf(self, term: str) -> float:
        return self.lexical.idf(term)

    def sentence_at(self, start: int, end: int) -> Sentence | None:
        """The sentence with the largest overlap with [start, end)."""
        best, overlap = None, 0
        for s in self.sentences:
            o = min(s.end, end) - max(s.start, start)
            if o > overlap:
                best, overlap = s, o
        return best


def _finish(article_id: str, text: str, sentences: list[Sentence], vectors, tokens, scales) -> ArticleAnalysis:
    # No idf floor: a lemma in every sentence of the article adds (almost) nothing.
    lexical = BM25([(str(i), s.lemmas) for i, s in enumerate(sentences)], idf_floor=0.0)
    words = {w.lower().strip(".,;:'\"’“”()") for w in text.split()}
    for s in sentences:
        words.update(s.lemmas)
        words.update(e.text.lower() for e in s.entities)
    return ArticleAnalysis(article_id, text, sentences, vectors, tokens, scales, lexical, words)


def cache_key(article, model_id: str) -> str:
    """The article's text, the parser and the embedding model identify an analysis."""
    h = hashlib.sha256(f"{FORMAT}\0{MODEL_SHA256}\0{model_id}\0".encode())
    h.update(article.text.encode())
    return h.hexdigest()[:24]


def _read(js: Path, npz: Path, article) -> ArticleAnalysis | None:
    try:
        sentences = [Sentence.from_json(d) for d in json.loads(js.read_text(encoding="utf-8"))]
        with np.load(npz) as z:
            vectors, lens = z["vectors"], z["lens"]
            flat, flat_scales = z["tokens"].astype(np.int8), z["scales"].astype(np.float32)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    cuts = np.cumsum(lens)[:-1]
    tokens, scales = (np.split(flat, cuts), np.split(flat_scales, cuts)) if len(lens) else ([], [])
    if len(sentences) != len(vectors) or len(tokens) != len(sentences) or len(flat) != len(flat_scales):
        return None
    return _finish(article.id, article.text, sentences, vectors, tokens, scales)


def _write(js: Path, npz: Path, sentences: list[Sentence], vectors, tokens, scales) -> None:
    """Cache an analysis: each file is written under a temporary name of this writer's own
    (two processes or threads analysing one article at once never share one) and renamed
    into place, so a reader sees the whole file or none."""
    flat = np.concatenate(tokens) if tokens else np.zeros((0, vectors.shape[1] if len(vectors) else 384), np.int8)
    flat_scales = np.concatenate(scales) if scales else np.zeros((0, 1), np.float32)
    try:
        js.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(js, lambda f: f.write(json.dumps([s.to_json() for s in sentences]).encode("utf-8")))
        replace_atomically(
            npz,
            lambda f: np.savez_compressed(
                f, vectors=vectors, lens=np.array([len(t) for t in tokens]), tokens=flat, scales=flat_scales
            ),
        )
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
    quantized = [tok.quantize(t) for t in token_vectors]
    tokens, scales = [q for q, _ in quantized], [s for _, s in quantized]
    if js is not None and npz is not None:
        _write(js, npz, sentences, vectors, tokens, scales)
    return _finish(article.id, article.text, sentences, vectors, tokens, scales)
