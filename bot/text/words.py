"""Words as the passage index compares them: tokens, stop words, Snowball stems and acronyms.

Retrieval (BM25), the reader (its content lemmas and content word pieces), the answerers
and the evaluation all count terms the same way through these functions; `STOPWORDS` is
the project's one stop list.

>>> terms("The missiles' range, striking 995 miles")
['missil', 'rang', 'strike', '995', 'mile']
"""

from __future__ import annotations

import re
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


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem: 'missiles' -> 'missil'. (The reader compares spaCy's
    lemmas; stems serve the passage index, where a parse per passage would cost too much.)"""
    return _stemmer.stemWord(word)


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
    out: set[str] = set()
    for m in _NAME_RUN.finditer(text):
        initials = "".join(w[0] for w in m[0].split() if w[0].isupper()).lower()
        out.update(initials[i:] for i in range(len(initials) - 2))  # three letters or more
    return out


def terms(text: str) -> list[str]:
    """Content terms: stop words dropped, the rest stemmed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]
