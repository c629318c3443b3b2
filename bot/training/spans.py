"""Where a reference answer lies in a passage: the span the joint reader is taught."""

from __future__ import annotations

import re

from ..reading.passages import window
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


def gap(sentences, answer: set[int], references: list[str]) -> str | None:
    """The passage around an answer with the answer's sentences cut out: its own topic, names
    and neighbours, but not the detail asked for, the "no answer" a near miss needs (the
    article says something close and leaves the asked detail out). None when nothing is
    left or a reference answer still shows in what is left.

    >>> from bot.text.nlp import Sentence
    >>> ss = [Sentence(k, 0, 0, t, 1, False) for k, t in enumerate(["A b.", "It cost £5m.", "E f."])]
    >>> gap(ss, {1}, ["£5m"]), gap(ss, {1}, ["E f"])
    ('A b. E f.', None)
    """
    if not answer:
        return None
    w = window(sentences, min(answer))
    text = " ".join(sentences[j].text for j in w.sentences if j not in answer)
    low = text.lower()
    if not text or any(r.strip() and r.strip().lower() in low for r in references):
        return None
    return text
