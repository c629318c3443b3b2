"""Citations: turning chosen sentences into a response with [n] markers, and checking markers.

A marker is numbered by passage in order of first use; each citation carries the
verbatim quote (the sentences relied on) and the whole passage it comes from.
"""

from __future__ import annotations

import re

from ..core.answer import Citation

# Discourse connectors that open a sentence without being part of what it states (general
# English, not one article's words): a quote starts after them, still verbatim.
_CONNECTOR = re.compile(
    r"(?:However|Meanwhile|Moreover|Furthermore|Additionally|In addition|Also|Still|Besides|Nevertheless|"
    r"Nonetheless|Despite this|Even so|Instead|Indeed|In fact|Separately|Similarly|Likewise|Therefore|Thus|"
    r"As a result|At the same time|In the meantime|Following this|In a related development|On the other hand|"
    r"In other news|Earlier|Later|Previously),\s+(?=\S)"
)


def shorten(text: str, max_words: int) -> str:
    """Cut at a word boundary: shorten('a b c d', 2) -> 'a b …'."""
    parts = text.split()
    return text if len(parts) <= max_words else " ".join(parts[:max_words]) + " …"


def skip_connector(sentence: str) -> int:
    """Where a sentence's content starts, after a leading connector such as "However,".

    >>> skip_connector("However, analyst Mark Montgomery suggested shorter-range missiles.")
    9
    >>> skip_connector("In a related development, the talks resumed.")
    26
    >>> skip_connector("Howevermore, no."), skip_connector("Still standing.")
    (0, 0)
    """
    m = _CONNECTOR.match(sentence)
    return m.end() if m else 0


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def compose(extract, index, max_words: int = 60) -> tuple[str, tuple[Citation, ...]]:
    """Response text with [n] after each quoted sentence, and the citations it names."""
    by_chunk: dict[str, list] = {}
    for s in extract.sentences:
        by_chunk.setdefault(s.chunk_id, []).append(s)
    markers = {cid: n for n, cid in enumerate(by_chunk, start=1)}
    # Read in article order when the sentences come from one passage.
    ordered = sorted(extract.sentences, key=lambda s: (markers[s.chunk_id], s.start))
    budget = max_words
    pieces = []
    for s in ordered:
        chunk = index.chunks[s.chunk_id]
        text = index.articles[chunk.article_id].text[s.start : s.end]
        text = _upper_first(text[skip_connector(text) :])
        text = shorten(text, max(budget, 12))
        budget -= len(text.split())
        pieces.append(f"{text} [{markers[s.chunk_id]}]")
    citations = []
    for cid, sentences in by_chunk.items():
        chunk = index.chunks[cid]
        article = index.articles[chunk.article_id]
        sentences = sorted(sentences, key=lambda s: s.start)
        starts = [s.start + skip_connector(article.text[s.start : s.end]) for s in sentences]
        quote = " … ".join(article.text[start : s.end] for start, s in zip(starts, sentences))
        if len(sentences) > 1 and all(b.start - a.end <= 1 for a, b in zip(sentences, sentences[1:])):
            quote = article.text[starts[0] : sentences[-1].end]
        citations.append(
            Citation(
                marker=markers[cid],
                chunk_id=cid,
                article_id=chunk.article_id,
                article_title=article.title,
                paragraph=chunk.paragraph,
                quote=quote,
                text=chunk.text,
                score=round(max(s.score for s in sentences), 4),
                quote_span=(starts[0] - chunk.start, sentences[-1].end - chunk.start),
                published=article.published,
                url=article.url,
            )
        )
    return " ".join(pieces), tuple(citations)
