"""Pure functions from a conversation to what the page and the exports show.

A conversation is a list of turns, each a plain dict that the UI keeps in its state:

    {"question": "What is the range of a Tomahawk missile?",
     "answer": Answer.to_dict() or None,     # the citations live here, with the message
     "error": "friendly message" or None,
     "vote": "up", "down" or None}           # the reader's 👍/👎 on that answer

Everything shown comes from these turns, so re-rendering, reloading and exporting a
conversation all keep each answer's citations. All user and article text is escaped:
it is shown as text, never interpreted as Markdown or HTML; the only markup is ours
(citation links, the compact sources under a message, the source cards).

Each answer has an id (`answer["id"]`); its `[n]` markers link to `#cite-<id>-<n>`, and
the Sources panel's card for that citation has the id `src-<id>-<n>`. The page's script
(`CITE_SCRIPT` in the UI) follows a link to its card.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from datetime import datetime, timezone

from .answer import Answer

SHOWN_QUESTION_CHARS = 300  # a 100,000-character paste is shown clipped, not in full
EXPORT_VERSION = 1
REFUSAL = "The article doesn't say."
SHORT_TITLE_WORDS = 6
HINT_CHARS = 280  # the closest passage under a refusal, clipped

_MD_INLINE = re.compile(r"([\\`*_\[\]~|$])")  # active anywhere in a line; < > & are HTML-escaped
_MD_LINE_START = re.compile(r"^([ \t]*)([#+\-=]|\d+(?=[.)]))", re.M)  # headings, lists, rules


def clean_text(text: str) -> str:
    """Control characters (other than tab and newline) replaced by U+FFFD, so they show.

    >>> clean_text("a\\x00b")
    'a\\ufffdb'
    """
    return "".join("\ufffd" if unicodedata.category(c) == "Cc" and c not in "\t\n" else c
                   for c in text.replace("\r\n", "\n"))


def escape_md(text: str) -> str:
    """Text that Markdown shows literally: no links, emphasis or HTML.

    >>> escape_md("<img src=x> *hi* [1]")
    '&lt;img src=x&gt; \\\\*hi\\\\* \\\\[1\\\\]'
    >>> escape_md("# 1. no heading")
    '\\\\# 1. no heading'
    >>> escape_md("2. not a list")
    '2\\\\. not a list'
    """
    text = _MD_INLINE.sub(r"\\\1", clean_text(text))
    text = _MD_LINE_START.sub(lambda m: m[1] + ("\\" + m[2] if not m[2][0].isdigit() else m[2] + "\\"), text)
    return html.escape(text, quote=False)


def clip(text: str, limit: int = SHOWN_QUESTION_CHARS) -> str:
    """The first `limit` characters, saying how long the whole was.

    >>> clip("x" * 10, 4)
    'xxxx… (10 characters)'
    """
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def qa_history(turns: list[dict]) -> list[dict]:
    """The answered turns as chat history for `ArticleQA.ask` (failed turns are left out)."""
    history = []
    for turn in turns:
        if turn.get("answer"):
            history.append({"role": "user", "content": turn["answer"]["user_input"]})
            history.append({"role": "assistant", "content": turn["answer"]["response"]})
    return history


def short_title(title: str, words: int = SHORT_TITLE_WORDS) -> str:
    """The first few words of a headline.

    >>> short_title("Trump And Putin Set To Meet For Second Time In Hungary")
    'Trump And Putin Set To Meet…'
    >>> short_title("Short one")
    'Short one'
    """
    parts = (title or "").split()
    return " ".join(parts) if len(parts) <= words else " ".join(parts[:words]) + "…"


def sources_line(answer: dict) -> str:
    """'Sources: [1] ¶10 · [2] article details', or '' when nothing is cited (plain text)."""
    cites = Answer.from_dict(answer).citations
    return ("Sources: " + " · ".join(f"[{c.marker}] {c.label}" for c in cites)) if cites else ""


def _cite_links(escaped: str, answer: dict) -> str:
    """Each escaped `\\[n\\]` that names a citation of `answer` becomes a link to its card."""
    known = {c["marker"] for c in answer.get("citations") or []}
    key = html.escape(str(answer.get("id") or ""), quote=True)

    def link(m: re.Match) -> str:
        n = int(m[1])
        if n not in known or not key:
            return m[0]
        return f'<a class="cite" href="#cite-{key}-{n}" title="Show source {n}">[{n}]</a>'

    return re.sub(r"\\\[(\d{1,3})\\\]", link, escaped)


def compact_sources(answer: dict) -> str:
    """The sources under a message: a one-line summary that unfolds to each quote (HTML)."""
    cites = Answer.from_dict(answer).citations
    if not cites:
        return ""
    e = html.escape
    # the article's details are fields (title, author, dates), not a sentence to quote
    items = "".join(
        f'<li><b>[{c.marker}]</b> {e(c.label)} · {e(short_title(c.article_title))}'
        + (f': “{e(clean_text(c.quote))}”' if c.paragraph else "") + "</li>"
        for c in cites)
    return (f'<details class="msg-sources"><summary>{e(sources_line(answer))}</summary>'
            f'<ul>{items}</ul></details>')


def refusal_markdown(answer: dict) -> str:
    """A refusal as the reader sees it: the bot's one line, and for "the article doesn't
    say", the closest passage it found as a collapsed hint. No reasons, no timing."""
    response = answer.get("response") or REFUSAL
    if not response.startswith(REFUSAL):
        return escape_md(response.split("\n")[0])  # its own message (instructions, not a question)
    parts = [escape_md(REFUSAL)]
    closest = next((c for c in answer.get("retrieved_contexts") or [] if c.strip()), None)
    if closest:
        parts.append('<details class="closest"><summary>Closest passage</summary>'
                     f'<p>{html.escape(clip(clean_text(closest), HINT_CHARS))}</p></details>')
    return "\n\n".join(parts)


def answer_markdown(answer: dict, shown: bool = False) -> str:
    """The assistant's message: the short answer in bold, the response with its [n] links,
    notice, rewritten query and the compact sources. `shown`: its sources are the ones in
    the Sources panel."""
    if answer.get("abstained"):
        parts = [refusal_markdown(answer)]
    else:
        parts = []
        if answer.get("short_answer"):
            parts.append(f"**{escape_md(answer['short_answer'])}**")
        parts.append(_cite_links(escape_md(answer["response"]), answer))
    if answer.get("notice"):
        parts.append(f"⚠️ {escape_md(answer['notice'])}")
    query = answer.get("search_query") or ""
    if query and query != answer["user_input"]:
        parts.append(f"*Searched for: {escape_md(query)}*")
    sources = compact_sources(answer)
    if sources:
        parts.append(sources)
    if shown and sources:
        parts.append('<span class="shown-in-sources">▸ its sources are shown in the Sources panel</span>')
    return "\n\n".join(parts)


def chat_messages(turns: list[dict], pending: str | None = None, shown: int | None = None) -> list[dict]:
    """Chatbot messages, two per turn (user, assistant), so message n belongs to turn n // 2.

    `pending` is the growing text of the last turn while its answer streams; `shown` the
    turn whose sources the Sources panel shows (its message is marked).
    """
    messages = []
    for n, turn in enumerate(turns):
        shown_q = escape_md(clip(turn["question"])) if turn["question"].strip() else "*(empty message)*"
        messages.append({"role": "user", "content": shown_q})
        if turn.get("answer"):
            content = answer_markdown(turn["answer"], shown=n == shown)
        elif turn.get("error"):
            content = f"⚠️ {escape_md(turn['error'])}"
        elif n == len(turns) - 1 and pending:
            content = escape_md(pending) + " …"
        else:
            content = "…"
        messages.append({"role": "assistant", "content": content})
    return messages


FEEDBACK_VALUES = {"up": "Like", "down": "Dislike"}


def feedback_values(turns: list[dict]) -> list[str | None]:
    """The Chatbot's like/dislike state, one entry per assistant message."""
    return [FEEDBACK_VALUES.get(t.get("vote")) for t in turns]


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


META_FIELDS = (("title", "Title"), ("author", "Author"), ("published", "Published"), ("updated", "Updated"),
               ("dateline", "Dateline"))


def meta_card(article: dict | None, quote: str) -> str:
    """The article's own fields (title, author, dates, dateline) as a list, the one the
    quote is about marked; None when the article is unknown."""
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
    out = [f'<div class="sources" data-answer-id="{key}">'
           f'<p class="sources-q">Q: {e(clean_text(clip(a["user_input"])))}</p>']
    if a.get("search_query") and a["search_query"] != a["user_input"]:
        out.append(f'<p class="sources-query">Searched for: {e(clean_text(a["search_query"]))}</p>')
    if a.get("notice"):
        out.append(f'<p class="sources-notice">⚠️ {e(a["notice"])}</p>')
    if a.get("abstained"):
        out.append('<p class="sources-none">No passage cited: the article doesn\'t say.</p>')
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
    """"Read the article": each article's cleaned text, paragraphs numbered ¶1..¶n, with a
    link to the original when its URL is known (HTML, all text escaped)."""
    e = html.escape
    out = []
    for art in articles:
        out.append(f'<article class="reader" data-article="{e(art.id, quote=True)}"><h3>{e(art.title)}</h3>')
        byline = [x for x in (art.author and f"By {art.author}", art.published, art.dateline) if x]
        if byline:
            out.append(f'<p class="byline">{e(" · ".join(byline))}</p>')
        if art.url and art.url.startswith(("http://", "https://")):
            out.append(f'<p class="original"><a href="{e(art.url, quote=True)}" target="_blank" '
                       f'rel="noopener noreferrer">Read the original</a></p>')
        section = None
        for p in art.paragraphs[1:]:
            if p.section and p.section != section:
                section = p.section
                out.append(f"<h4>{e(section)}</h4>")
            out.append(f'<p class="para" data-paragraph="{p.number}"><span class="pnum">¶{p.number}</span> '
                       f'{e(clean_text(art.text[p.start:p.end]))}</p>')
        out.append("</article>")
    return "".join(out) or '<p class="sources-empty">The article appears here once it is loaded.</p>'


def article_header(articles) -> str:
    """Markdown: each article's title in bold, then its author and dates (escaped)."""
    lines = []
    for art in articles:
        meta = []
        if art.author:
            meta.append(f"By {escape_md(art.author)}")
        if art.published:
            meta.append(f"Published {escape_md(art.published)}")
        if art.updated and art.updated != art.published:
            meta.append(f"Updated {escape_md(art.updated)}")
        lines.append(" · ".join([f"**{escape_md(art.title)}**", *meta]))
    return "\n\n".join(lines)


def article_meta(articles) -> list[dict]:
    """Each article's own fields, as the exports and the Sources panel's details card use them."""
    return [{"id": a.id, "title": a.title, "author": a.author, "published": a.published, "updated": a.updated,
             "dateline": a.dateline, "url": a.url} for a in articles]


def export_json(turns: list[dict], articles: list[dict], now: datetime | None = None) -> str:
    """The conversation with every answer's full `Answer.to_dict()`, as JSON text."""
    now = now or datetime.now(timezone.utc)
    doc = {"version": EXPORT_VERSION, "exported_at": now.isoformat(timespec="seconds"),
           "articles": articles,
           "conversation": [{"question": t["question"], "answer": t.get("answer"), "error": t.get("error")}
                            for t in turns]}
    return json.dumps(doc, ensure_ascii=False, indent=2)


def _md_export_text(text: str) -> str:
    # a downloaded file is read as plain text too: escape only what a renderer would run
    return html.escape(clean_text(text), quote=False)


def export_markdown(turns: list[dict], articles: list[dict], now: datetime | None = None) -> str:
    """The conversation as Markdown: each question, answer and its cited passages."""
    now = now or datetime.now(timezone.utc)
    title = articles[0]["title"] if articles else "the article"
    lines = [f"# Conversation about “{_md_export_text(title)}”", ""]
    for art in articles:
        meta = [x for x in (art.get("author") and f"By {art['author']}", art.get("published")) if x]
        lines.append(f"*{_md_export_text(' · '.join([art['title'], *meta]))}*")
    lines += [f"Exported {now.isoformat(timespec='seconds')}", ""]
    for n, t in enumerate(turns, start=1):
        lines += [f"## {n}. {_md_export_text(t['question'])}", ""]
        a = t.get("answer")
        if not a:
            lines += [f"*Not answered: {_md_export_text(t.get('error') or 'no answer')}*", ""]
            continue
        lines += [_md_export_text(a["response"]), ""]
        if a.get("notice"):
            lines += [f"*Notice: {_md_export_text(a['notice'])}*", ""]
        if a.get("search_query") and a["search_query"] != a["user_input"]:
            lines += [f"*Searched for: {_md_export_text(a['search_query'])}*", ""]
        for c in Answer.from_dict(a).citations:
            lines += [f"- [{c.marker}] {c.label}: “{_md_export_text(c.quote)}”",
                      f"  > {_md_export_text(c.text)}"]
        lines += ["", f"*Answered by: {_md_export_text(a.get('backend') or 'extractive')}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def turns_from_export(text: str) -> list[dict]:
    """Turns back from `export_json` output; raises ValueError naming what is wrong."""
    try:
        doc = json.loads(text)
        rows = doc["conversation"]
        turns = []
        for row in rows:
            answer = row.get("answer")
            if answer is not None:
                answer = Answer.from_dict(answer).to_dict()
                texts = [answer["user_input"], answer["response"], answer["search_query"]]
                texts += [x for c in answer["citations"] for x in (c["quote"], c["text"], c["article_title"])]
                if not all(isinstance(x, str) for x in texts):
                    raise TypeError("an answer holds something other than text")
            turns.append({"question": str(row["question"]), "answer": answer, "error": row.get("error")})
        return turns
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"That file is not an exported conversation ({type(e).__name__}: {e}) - "
                         "choose a conversation .json file exported from this app") from None
