"""The passages the joint reader reads and what it says of them, as plain data.

A passage (`Window`) is a candidate sentence with the neighbours that fit: the answer to
"Who is Mark Montgomery?" can sit in the sentence before the one that names him. A
`Read` is the reader's verdict on one passage: how well its centre matches the question,
its best answer spans, and how far the best one beats "no answer" (`decode` makes it from
the reader's logits). `columns` turns the reads of a question's candidates into the
ranker's columns. No model is loaded here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

WINDOW_CHARS = 420  # a neighbour joins the centre sentence while the passage stays under this
SPANS_KEPT = 12  # best spans kept per passage, for the short answer's type check
SPAN_MAX = 30  # word pieces in an answer span
NAMES = [  # columns for the ranker
    "joint",
    "joint_margin",
    "joint_rank",
    "joint_scored",
    "joint_best",
    "span_gap",
    "span_gap_margin",
    "span_gap_best",
    "span_center",
]


@dataclass(frozen=True)
class Window:
    """A candidate sentence with the neighbours that fit: the passage the reader reads."""

    text: str
    center: int  # the candidate's sentence index
    sentences: tuple[int, ...]  # the sentence indices in the passage, in order
    starts: tuple[int, ...]  # each one's character offset in `text`

    def sentence_at(self, offset: int) -> int:
        """The sentence holding a character offset of `text`."""
        k = max(i for i, s in enumerate(self.starts) if s <= offset) if offset >= self.starts[0] else 0
        return self.sentences[k]

    def span_in(self, sentence: int) -> tuple[int, int]:
        """The character span of one of its sentences in `text`."""
        k = self.sentences.index(sentence)
        end = self.starts[k + 1] - 1 if k + 1 < len(self.starts) else len(self.text)
        return self.starts[k], end


def window(sentences, i: int, budget: int = WINDOW_CHARS) -> Window:
    """Sentence `i` with the sentence before and after it when the passage stays within
    `budget` characters (the previous one first: it usually introduces what `i` is about).
    A headline reads alone; a body sentence never takes the headline as a neighbour.

    >>> from bot.text.nlp import Sentence
    >>> ss = [Sentence(k, 0, 0, t, 1, False) for k, t in enumerate(["A b.", "C d.", "E f."])]
    >>> w = window(ss, 1)
    >>> w.text, w.sentences, w.starts, w.sentence_at(6), w.span_in(2)
    ('A b. C d. E f.', (0, 1, 2), (0, 5, 10), 1, (10, 14))
    """
    chosen = [i]
    length = len(sentences[i].text)
    if not sentences[i].headline:
        for j in (i - 1, i + 1):
            if 0 <= j < len(sentences) and not sentences[j].headline:
                extra = len(sentences[j].text) + 1
                if length + extra <= budget:
                    chosen.append(j)
                    length += extra
    chosen.sort()
    starts, parts, at = [], [], 0
    for j in chosen:
        starts.append(at)
        parts.append(sentences[j].text)
        at += len(sentences[j].text) + 1
    return Window(" ".join(parts), i, tuple(chosen), tuple(starts))


@dataclass
class Read:
    """The reader on one passage: the centre's match, and the answer spans against none."""

    z: float  # relevance logit of the centre sentence
    gap: float  # best span score minus the no-answer score (SQuAD 2.0's decision value)
    spans: list[tuple[int, int, float]] = field(default_factory=list)  # (start, end, score) in the text, best first


def columns(reads: list[Read], windows: list[Window], n: int) -> np.ndarray:
    """The joint reader's columns for `n` candidates, of which the first len(reads) were read.

    A candidate not read gets the lowest scores read and the rank just past them, so the
    ranker sees "not among the best retrieved" rather than a made-up score.

    >>> w = [Window("a", 0, (0,), (0,)), Window("b", 1, (1,), (0,))]
    >>> r = [Read(2.0, 1.0, [(0, 1, 3.0)]), Read(-1.0, -2.0, [])]
    >>> columns(r, w, 3).round(3).tolist()[0]
    [2.0, 3.0, 0.0, 1.0, 2.0, 1.0, 3.0, 1.0, 1.0]
    """
    out = np.zeros((n, len(NAMES)))
    k = min(len(reads), n)
    if k == 0:
        return out
    z = np.array([r.z for r in reads[:k]])
    gap = np.array([r.gap for r in reads[:k]])
    center = np.array(
        [1.0 if r.spans and w.sentence_at(r.spans[0][0]) == w.center else 0.0 for r, w in zip(reads, windows)]
    )[:k]
    full = np.full(n, z.min())
    full[:k] = z
    order = np.argsort(-z, kind="stable")
    best = z[order[0]]
    second = z[order[1]] if k > 1 else best
    rank = np.full(n, float(k))
    rank[order] = np.arange(k)
    gfull = np.full(n, gap.min())
    gfull[:k] = gap
    gorder = np.argsort(-gap, kind="stable")
    gbest = gap[gorder[0]]
    gsecond = gap[gorder[1]] if k > 1 else gbest
    out[:, 0] = full
    out[:, 1] = full - np.where(np.arange(n) == order[0], second, best)
    out[:, 2] = np.log1p(rank)
    out[:k, 3] = 1.0
    out[:, 4] = best
    out[:, 5] = gfull
    out[:, 6] = gfull - np.where(np.arange(n) == gorder[0], gsecond, gbest)
    out[:, 7] = gbest
    out[:k, 8] = center
    return out


def decode(z: float, start: np.ndarray, end: np.ndarray, offsets: np.ndarray, types: np.ndarray) -> Read:
    """The passage's best spans (start <= end, at most SPAN_MAX pieces) against no answer.

    >>> s = np.array([1.0, -1e4, 0.5, 3.0, 0.0, -1e4]); e = np.array([1.0, -1e4, 0.0, 0.2, 2.0, -1e4])
    >>> off = np.array([[0, 0], [0, 0], [0, 3], [4, 9], [10, 12], [0, 0]]); t = np.array([0, 0, 1, 1, 1, 1])
    >>> r = decode(0.5, s, e, off, t); round(r.gap, 2), r.spans[0]
    (3.0, (4, 12, 5.0))
    """
    null = float(start[0] + end[0])
    ok = np.flatnonzero(start > -1e3)
    ok = ok[ok > 0]
    if len(ok) == 0:
        return Read(z, -1e4, [])
    top_s = ok[np.argsort(-start[ok])[:20]]
    top_e = ok[np.argsort(-end[ok])[:20]]
    cands = [
        (float(start[a] + end[b]), int(a), int(b)) for a in top_s for b in top_e if a <= b < a + SPAN_MAX and types[a]
    ]
    cands.sort(reverse=True)
    spans, seen = [], set()
    for score, a, b in cands:
        key = (int(offsets[a][0]), int(offsets[b][1]))
        if key in seen:
            continue
        seen.add(key)
        spans.append((key[0], key[1], score))
        if len(spans) == SPANS_KEPT:
            break
    gap = (spans[0][2] - null) if spans else -1e4
    return Read(z, gap, spans)
