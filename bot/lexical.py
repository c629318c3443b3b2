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


def terms(text: str) -> list[str]:
    """Content terms: stop words dropped, the rest stemmed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


class BM25:
    """Okapi BM25 (k1=1.2, b=0.75) over documents given as (id, text)."""

    def __init__(self, docs: list[tuple[str, str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.ids = [doc_id for doc_id, _ in docs]
        self.lengths: list[int] = []
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, (_, text) in enumerate(docs):
            counts = Counter(terms(text))
            self.lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                self.postings[term].append((i, tf))
        self.avg_length = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0

    def __len__(self) -> int:
        return len(self.ids)

    def idf(self, term: str) -> float:
        """Robertson-Sparck Jones idf, floored at a small positive value; unseen terms score high."""
        n = len(self.postings.get(term, ()))
        return max(0.05, math.log(1 + (len(self.ids) - n + 0.5) / (n + 0.5)))

    def search(self, query: str, n: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """The n best (id, score) with score > 0, best first."""
        scores: dict[int, float] = defaultdict(float)
        for term in set(terms(query)):
            postings = self.postings.get(term)
            if not postings:
                continue
            idf = self.idf(term)
            for i, tf in postings:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg_length)
                scores[i] += idf * tf * (self.k1 + 1) / (tf + norm)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        out = []
        for i, score in ranked:
            if allowed is None or self.ids[i] in allowed:
                out.append((self.ids[i], score))
                if len(out) == n:
                    break
        return out
