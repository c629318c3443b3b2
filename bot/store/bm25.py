"""The lexical side of retrieval: Okapi BM25 over stemmed terms, with an inverted index.

A query only touches the postings of its own terms, so its cost grows with how often
those terms occur, not with the size of the archive.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np

from ..text.words import terms


class BM25:
    """Okapi BM25 (k1=1.2, b=0.75) over documents given as (id, text).

    Each term's postings hold the documents it occurs in and its BM25 weight there (the
    part that does not depend on the query), as arrays: a query adds a few arrays into
    one score vector, so even a term that occurs everywhere costs one vectorised add.
    `groups` (one name per document, e.g. its article) lets a search keep to one group.
    """

    def __init__(self, docs: list[tuple[str, str]], k1: float = 1.2, b: float = 0.75, groups=None):
        self.k1, self.b = k1, b
        self.ids = [doc_id for doc_id, _ in docs]
        counted = [Counter(terms(text)) for _, text in docs]
        lengths = np.array([sum(c.values()) for c in counted], dtype=np.float64)
        self.avg_length = float(lengths.mean()) if len(lengths) else 0.0
        rows: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for i, counts in enumerate(counted):
            for term, tf in counts.items():
                rows[term][0].append(i)
                rows[term][1].append(tf)
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, (idx, tfs) in rows.items():
            idx_a, tf_a = np.array(idx, dtype=np.int64), np.array(tfs, dtype=np.float64)
            norm = k1 * (1 - b + b * lengths[idx_a] / self.avg_length)
            self.postings[term] = (idx_a, tf_a * (k1 + 1) / (tf_a + norm))
        names = sorted(set(groups)) if groups is not None else []
        self._group_number = {g: n for n, g in enumerate(names)}
        self._groups = np.array([self._group_number[g] for g in groups], dtype=np.int64) if groups is not None else None

    def __len__(self) -> int:
        return len(self.ids)

    def idf(self, term: str) -> float:
        """Robertson-Sparck Jones idf, floored at a small positive value; unseen terms score high."""
        n = len(self.postings[term][0]) if term in self.postings else 0
        return max(0.05, math.log(1 + (len(self.ids) - n + 0.5) / (n + 0.5)))

    def search(
        self, query: str, n: int, allowed: set[str] | None = None, group: str | None = None
    ) -> list[tuple[str, float]]:
        """The n best (id, score) with score > 0, best first (ties in document order)."""
        if not self.ids or n <= 0:
            return []
        scores = np.zeros(len(self.ids))
        for term in set(terms(query)):
            if term in self.postings:
                idx, weight = self.postings[term]
                scores[idx] += self.idf(term) * weight
        if group is not None:
            if self._groups is None or group not in self._group_number:
                return []
            scores[self._groups != self._group_number[group]] = 0.0
        if allowed is not None:
            scores[[i for i, doc_id in enumerate(self.ids) if doc_id not in allowed]] = 0.0
        hits = np.flatnonzero(scores > 0)
        if len(hits) > 4 * n:  # only the best few need sorting
            hits = hits[np.argpartition(-scores[hits], 4 * n)[: 4 * n]]
        hits = hits[np.lexsort((hits, -scores[hits]))][:n]
        return [(self.ids[i], float(scores[i])) for i in hits]
