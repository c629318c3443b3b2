"""Reciprocal rank fusion, the one implementation: the passage search fuses its dense and
lexical rankings with it (`rrf`, over id lists) and the reader its sentences' cosine and
BM25 ranks (`rrf_score`, over arrays). Kept apart from hybrid.py so the reader can use it
without loading LangChain.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

RRF_K = 60


def rrf_score(ranks: Iterable[Any], k: int) -> Any:
    """Reciprocal rank fusion, the one definition: an item's score is the sum over the
    rankings of 1 / (k + its rank there), rank 1 the best. The ranks may be numbers, or
    numpy arrays (one entry per item: the reader fuses every sentence at once).

    >>> rrf_score([1, 3], k=1)
    0.75
    """
    return sum(1.0 / (k + rank) for rank in ranks)


def rrf(rankings: list[list[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion of id lists (an id missing from a ranking gets nothing from
    it), normalised so that first in every ranking scores 1.0.

    >>> rrf([["a", "b"], ["b", "c"]], k=1)
    {'a': 0.5, 'b': 0.8333, 'c': 0.3333}
    """
    ranks: dict[str, list[int]] = {}
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, start=1):
            ranks.setdefault(doc_id, []).append(rank)
    top = len(rankings) / (k + 1)
    return {d: round(rrf_score(r, k) / top, 4) for d, r in ranks.items()}
