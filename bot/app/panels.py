"""The page's panels as HTML: the Sources panel of one answer and the "Read the article" view.

All article and user text is escaped. The Sources panel has a card per citation, with the
id `src-<answer id>-<n>` that the answer's `[n]` link (`bot.app.render`) points at; the
article view numbers its paragraphs (`data-paragraph`), so a clicked citation can mark the
passage it cites.
"""

from __future__ import annotations

import html

from ..core.answer import Answer
from .conversation import shown_search_query
from .render import clean_text, clip, original_link, short_title


def highlight(text: str, span) -> str:
    """HTML of a passage with the quoted part in <mark>; everything escaped.

    >>> highlight("a <b> c", (2, 5))
    'a <mark>&lt;b&gt;</mark> c'
    """
    if not span or not 0 <= span[0] < span[1] <= len(text):
        return html.escape(text)
    start, end = span
    return f"{html.escape(text[:start])}<mark>{html.escape(text[start:end])}</mark>{html.escape(text[end:])}"


BACKEND_NAMES = {
    "extractive": "the extractive answerer (quotes the article, no language model)",
    "openai": "a language model through an OpenAI-compatible API",
    "huggingface": "a language model on Hugging Face",
    "llamacpp": "a local language model (llama.cpp)",
}


def backend_name(backend: str) -> str:
    """'openai:gpt-4o-mini' -> 'a language model through an OpenAI-compatible API (gpt-4o-mini)'."""
    kind, _, model = (backend or "extractive").partition(":")
    name = BACKEND_NAMES.get(kind, kind)
    return f"{name} ({model})" if model else name


META_FIELDS = (
    ("title", "Title"),
    ("author", "Author"),
    ("published", "Published"),
    ("updated", "Updated"),
    ("dateline", "Dateline"),
)


def meta_card(article: dict | None, quote: str) -> str:
    """The article's own fields (title, author, dates, dateline) as a list, the one the
    quote is about marked, and a link to its original page when known; '' when the
    article is unknown."""
    if not article:
        return ""
    e = html.escape
    rows = []
    for key, name in META_FIELDS:
        value = article.get(key)
        if not value or (key == "updated" and value == article.get("published")):
            continue
        shown = f"<mark>{e(value)}</mark>" if value in quote else e(value)
        rows.append(f"<dt>{name}</dt><dd>{shown}</dd>")
    link = original_link(article.get("url"))
    if link:
        rows.append(f"<dt>Original</dt><dd>{link}</dd>")
    return f'<dl class="meta-fields">{"".join(rows)}</dl>'


def sources_html(turn: dict | None, articles: dict | None = None) -> str:
    """The sources panel for one turn: each cited passage with its ¶ and a short title, the
    quote marked; the article's details as fields. `articles`: id -> `article_meta` entry."""
    if not turn:
        return '<div class="sources-empty">Sources for an answer appear here.</div>'
    if not turn.get("answer"):
        return '<div class="sources-empty">No sources: that message was not answered.</div>'
    a = turn["answer"]
    e = html.escape
    key = e(str(a.get("id") or ""), quote=True)
    out = [
        f'<div class="sources" data-answer-id="{key}">'
        f'<p class="sources-q">Q: {e(clean_text(clip(a["user_input"])))}</p>'
    ]
    if query := shown_search_query(a):
        out.append(f'<p class="sources-query">Searched for: {e(clean_text(query))}</p>')
    if a.get("notice"):
        out.append(f'<p class="sources-notice">⚠️ {e(a["notice"])}</p>')
    if a.get("abstained"):
        out.append('<p class="sources-none">No passage cited: the article doesn\'t say.</p>')
    elif turn.get("loaded"):
        out.append(
            '<p class="sources-backend">Loaded from a file: not answered in this session, '
            "and not checked against the current articles.</p>"
        )
    else:  # which answerer, never how long it took: that is in the API's and CLI's latency_ms
        backend = a.get("backend") or "extractive"
        out.append(f'<p class="sources-backend">Answered by {e(backend_name(backend))}.</p>')
        if not a.get("citations"):
            out.append('<p class="sources-none">No passage cited.</p>')
    for c in Answer.from_dict(a).citations:
        body = meta_card((articles or {}).get(c.article_id), c.quote) if c.paragraph == 0 else ""
        out.append(
            f'<div class="source" id="src-{key}-{c.marker}" data-marker="{c.marker}" data-paragraph="{c.paragraph}"'
            f' data-article="{e(c.article_id, quote=True)}">'
            f'<div class="source-head"><b>[{c.marker}]</b> <span class="source-label">{e(c.label)}</span>'
            f' · <span class="source-title" title="{e(c.article_title, quote=True)}">{e(short_title(c.article_title))}</span></div>'
            f'<div class="source-text">{body or highlight(c.text, c.quote_span)}</div></div>'
        )
    out.append("</div>")
    return "".join(out)


def article_view(articles) -> str:
    """ "Read the article": each article's cleaned text, paragraphs numbered ¶1..¶n, and a
    link to its original page when known (HTML, all text escaped)."""
    e = html.escape
    out = []
    for art in articles:
        out.append(f'<article class="reader" data-article="{e(art.id, quote=True)}"><h3>{e(art.title)}</h3>')
        byline = [x for x in (art.author and f"By {art.author}", art.published, art.dateline) if x]
        if byline:
            out.append(f'<p class="byline">{e(" · ".join(byline))}</p>')
        link = original_link(art.url)
        if link:
            out.append(f'<p class="original-page">Original page: {link}</p>')
        section = None
        for p in art.paragraphs[1:]:
            if p.section and p.section != section:
                section = p.section
                out.append(f"<h4>{e(section)}</h4>")
            out.append(
                f'<p class="para" data-paragraph="{p.number}"><span class="pnum">¶{p.number}</span> '
                f"{e(clean_text(art.text[p.start : p.end]))}</p>"
            )
        out.append("</article>")
    return "".join(out) or '<p class="sources-empty">The article appears here once it is loaded.</p>'
