"""The lexical side of retrieval: Okapi BM25 over stemmed terms, with an inverted index.

A query only touches the postings of its own terms, so its cost grows with how often
those terms occur, not with the size of the archive.

>>> terms("The missiles' range, striking 995 miles")
['missil', 'rang', 'strike', '995', 'mile']
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache

import numpy as np
import snowballstemmer

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can could did didn't do does doesn't doing don't down during each few
    for from further had has hasn't have haven't having he he'd he'll he's her here here's hers herself him
    himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's me more most
    my myself no nor not of off on once only or other ought our ours ourselves out over own same she she'd
    she'll she's should so some such than that that's the their theirs them themselves then there there's
    these they they'd they'll they're they've this those through to too under until up very was wasn't we
    we'd we'll we're we've were weren't what what's when when's where where's which while who who's whom why
    why's will with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves
    s t d ll re ve tell please""".split()
)
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")  # letters of any script: "Erdoğan" is one word
_stemmer = snowballstemmer.stemmer("english")


# Irregular forms a suffix stemmer cannot join to their verb (wrote ~ written ~ write).
_IRREGULAR = {
    form: base
    for base, forms in {
        "write": "wrote written writes writing writer", "say": "said says", "begin": "began begun",
        "meet": "met meeting meetings", "speak": "spoke spoken", "tell": "told", "give": "gave given",
        "take": "took taken", "make": "made", "go": "went gone goes", "come": "came", "know": "knew known",
        "think": "thought", "see": "saw seen", "find": "found", "hold": "held", "lead": "led", "leave": "left",
        "buy": "bought", "sell": "sold", "bring": "brought", "fight": "fought", "win": "won", "run": "ran",
        "break": "broke broken", "choose": "chose chosen", "rise": "rose risen", "strike": "struck",
        "publish": "published publishes publication", "author": "authored authors",
    }.items()
    for form in forms.split()
}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """'missiles' -> 'missil'; irregular forms first: 'wrote' -> 'write'."""
    return _stemmer.stemWord(_IRREGULAR.get(word, word))


def words(text: str) -> list[str]:
    """Lower-cased word tokens without possessives: "Putin's call" -> ['putin', 'call']."""
    out = []
    for w in _TOKEN.findall(text):
        w = w.lower().replace("’", "'")
        if w.endswith("'s"):
            w = w[:-2]
        out.append(w)
    return out


_NAME_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+(?:(?:of|for|and)\s+)?[A-Z][\w'’-]*)+")


def acronyms(text: str) -> set[str]:
    """Lower-cased initials of the capitalised names in `text` (and of each name's tail),
    so a reader's "CSIS" finds "Center for Strategic and International Studies".

    >>> sorted(acronyms("analyst Jane Roe of Center for Strategic and International Studies"))
    ['csis', 'jrcsis', 'rcsis', 'sis']
    """
    out = set()
    for m in _NAME_RUN.finditer(text):
        initials = "".join(w[0] for w in m[0].split() if w[0].isupper()).lower()
        out.update(initials[i:] for i in range(len(initials) - 2))  # three letters or more
    return out


def terms(text: str) -> list[str]:
    """Content terms: stop words dropped, the rest stemmed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


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

    def search(self, query: str, n: int, allowed: set[str] | None = None, group: str | None = None) -> list[tuple[str, float]]:
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
