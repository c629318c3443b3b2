"""Where a reference answer lies in a passage: the span the joint reader is taught."""

from __future__ import annotations

import re

from ..text.words import STOPWORDS

SKIP = (-1, -1)  # span target: the answer is here but its words were not found

_WORD = re.compile(r"\w+(?:[.,']\w+)*")


def _norm(w: str) -> str:
    return w.lower().strip(".,'")


def answer_span(text: str, region: tuple[int, int], references: list[str]) -> tuple[int, int]:
    """Where a reference answer lies in `text[region]`: its first case-blind occurrence,
    else the run of words with the best F1 of content words against a reference (at
    least 0.5), else SKIP.

    >>> answer_span("It cost $14.5m (about £7.7m) in 2004.", (0, 37), ["$14.5M"])
    (8, 14)
    >>> answer_span("They met in the city of Budapest last year.", (0, 43), ["in Budapest"])
    (24, 32)
    """
    a, b = region
    low = text.lower()
    for ref in references:
        r = ref.strip().lower()
        i = low.find(r, a, b) if r else -1
        if i >= 0:
            return (i, i + len(r))
    words = [(m.start(), m.end(), _norm(m.group())) for m in _WORD.finditer(text, a, b)]
    best, where = 0.0, SKIP
    for ref in references:
        rw = [w for w in (_norm(w) for w in _WORD.findall(ref)) if w not in STOPWORDS]
        for i in range(len(words)):
            if words[i][2] in STOPWORDS:
                continue  # a span starts and ends on a content word
            counts: dict[str, int] = {}
            for w in rw:
                counts[w] = counts.get(w, 0) + 1
            common = content = 0
            for j in range(i, min(len(words), i + len(rw) + 10)):
                w = words[j][2]
                if w in STOPWORDS:
                    continue
                content += 1
                if counts.get(w, 0) > 0:
                    counts[w] -= 1
                    common += 1
                if common == 0:
                    continue
                prec, rec = common / content, common / len(rw)
                f1 = 2 * prec * rec / (prec + rec)
                if f1 > best:
                    best, where = f1, (words[i][0], words[j][1])
    return where if best >= 0.5 else SKIP
