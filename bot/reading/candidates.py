"""Candidate sentences: the top ~20 of the question's article by MiniLM cosine fused with
BM25 (reciprocal-rank fusion), with each one's ranks and scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..retrieve.fusion import rrf_score
from .analysis import ArticleAnalysis as ArticleIndex

TOP_K = 20
RRF_K = 9  # with ranks from 1: the first sentence of a ranking adds 1/10


@dataclass
class Candidate:
    sentence: int  # index into ArticleIndex.sentences
    cos: float
    bm25: float
    cos_rank: int  # 0 = best
    bm25_rank: int
    fused: float
    fused_rank: int


@dataclass
class Retrieval:
    candidates: list[Candidate]
    cos: np.ndarray  # every sentence's cosine (for margins)
    bm25: np.ndarray


def _ranks(scores: np.ndarray) -> np.ndarray:
    order = np.lexsort((np.arange(len(scores)), -scores))
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[order] = np.arange(len(scores))
    return ranks


def retrieve(index: ArticleIndex, qvec: np.ndarray, terms: list[str], k: int = TOP_K) -> Retrieval:
    """The k best sentences by fused rank, best first."""
    cos = index.vectors @ qvec
    bm = index.bm25(terms)
    rc, rb = _ranks(cos), _ranks(bm)
    fused = rrf_score([rc + 1, rb + 1], RRF_K)  # rc, rb count from 0
    rf = _ranks(fused)
    top = np.argsort(rf)[:k]
    cands = [
        Candidate(int(i), float(cos[i]), float(bm[i]), int(rc[i]), int(rb[i]), float(fused[i]), int(rf[i])) for i in top
    ]
    return Retrieval(cands, cos, bm)
