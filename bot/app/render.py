"""Pure functions from a conversation to what the page and the exports show.

A conversation is a list of turns, each a plain dict that the UI keeps in its state:

    {"question": "What is the range of a Tomahawk missile?",
     "answer": Answer.to_dict() or None,     # the citations live here, with the message
     "error": "friendly message" or None}

Everything shown comes from these turns, so re-rendering, reloading and exporting a
conversation all keep each answer's citations. All user and article text is escaped:
it is shown as text, never interpreted as Markdown or HTML.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from datetime import UTC, datetime

from ..core.answer import Answer
from ..core.settings import MAX_HISTORY_TURN_CHARS, MAX_HISTORY_TURNS

SHOWN_QUESTION_CHARS = 300  # a 100,000-character paste is shown clipped, not in full
EXPORT_VERSION = 1

_MD_INLINE = re.compile(r"([\\`*_\[\]~|$])")  # active anywhere in a line; < > & are HTML-escaped
_MD_LINE_START = re.compile(r"^([ \t]*)([#+\-=]|\d+(?=[.)]))", re.M)  # headings, lists, rules


def clean_text(text: str) -> str:
    """Control characters (other than tab and newline) replaced by U+FFFD, so they show.

    >>> clean_text("a\\x00b")
    'a\\ufffdb'
    """
    return "".join(
        "\ufffd" if unicodedata.category(c) == "Cc" and c not in "\t\n" else c for c in text.replace("\r\n", "\n")
    )


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
    """The answered turns as chat history for `ArticleQA.ask` (failed turns are left out):
    the most recent ones, each clipped, within the limits `ask` enforces.

    >>> len(qa_history([{"answer": {"user_input": "Q?", "response": "A" * 9000}}] * 30))
    40
    """
    history = []
    for turn in turns:
        if turn.get("answer"):
            history.append({"role": "user", "content": turn["answer"]["user_input"][:MAX_HISTORY_TURN_CHARS]})
            history.append({"role": "assistant", "content": turn["answer"]["response"][:MAX_HISTORY_TURN_CHARS]})
    return history[-MAX_HISTORY_TURNS:]


def sources_line(answer: dict) -> str:
    """'Sources: [1] ¶10 · [2] article details', or '' when nothing is cited."""
    cites = Answer.from_dict(answer).citations
    return ("Sources: " + " · ".join(f"\\[{c.marker}\\] {c.label}" for c in cites)) if cites else ""


def answer_markdown(answer: dict) -> str:
    """The assistant's message: the response, then notice, rewritten query and sources."""
    parts = [escape_md(answer["response"])]
    if answer.get("notice"):
        parts.append(f"⚠️ {escape_md(answer['notice'])}")
    query = answer.get("search_query") or ""
    if query and query != answer["user_input"]:
        parts.append(f"*Searched for: {escape_md(query)}*")
    line = sources_line(answer)
    if line:
        parts.append(line)
    return "\n\n".join(parts)


def chat_messages(turns: list[dict], pending: str | None = None) -> list[dict]:
    """Chatbot messages, two per turn (user, assistant), so message n belongs to turn n // 2.

    `pending` is the growing text of the last turn while its answer streams.
    """
    messages = []
    for n, turn in enumerate(turns):
        shown = escape_md(clip(turn["question"])) if turn["question"].strip() else "*(empty message)*"
        messages.append({"role": "user", "content": shown})
        if turn.get("answer"):
            content = answer_markdown(turn["answer"])
        elif turn.get("error"):
            content = f"⚠️ {escape_md(turn['error'])}"
        elif n == len(turns) - 1 and pending:
            content = escape_md(pending) + " …"
        else:
            content = "…"
        messages.append({"role": "assistant", "content": content})
    return messages


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


def sources_html(turn: dict | None) -> str:
    """The sources panel for one turn: each cited passage, its paragraph and the quote marked."""
    if not turn:
        return '<div class="sources-empty">Sources for an answer appear here.</div>'
    if not turn.get("answer"):
        return '<div class="sources-empty">No sources: that message was not answered.</div>'
    a = turn["answer"]
    e = html.escape
    out = [f'<div class="sources"><p class="sources-q">Q: {e(clean_text(clip(a["user_input"])))}</p>']
    if a.get("search_query") and a["search_query"] != a["user_input"]:
        out.append(f'<p class="sources-query">Searched for: {e(clean_text(a["search_query"]))}</p>')
    backend = a.get("backend") or "extractive"
    total = (a.get("latency_ms") or {}).get("total")
    timing = f" in {total:.0f} ms" if isinstance(total, (int, float)) else ""
    if turn.get("loaded"):
        out.append(
            '<p class="sources-backend">Loaded from a file: not answered in this session, '
            "and not checked against the current articles.</p>"
        )
    else:
        out.append(f'<p class="sources-backend">Answered by {e(backend_name(backend))}{timing}.</p>')
    if a.get("notice"):
        out.append(f'<p class="sources-notice">⚠️ {e(a["notice"])}</p>')
    if a.get("abstained") or not a.get("citations"):
        out.append('<p class="sources-none">No passage cited: the article doesn\'t say.</p>')
    for c in Answer.from_dict(a).citations:
        out.append(
            f'<div class="source" data-marker="{c.marker}" data-paragraph="{c.paragraph}">'
            f'<div class="source-head"><b>[{c.marker}]</b> <span class="source-label">{e(c.label)}</span>'
            f" · {e(c.article_title)}</div>"
            f'<div class="source-text">{highlight(c.text, c.quote_span)}</div></div>'
        )
    out.append("</div>")
    return "".join(out)


def article_header(articles) -> str:
    """Markdown: each article's title, author and dates (escaped)."""
    lines = []
    for art in articles:
        lines.append(f"## {escape_md(art.title)}")
        meta = []
        if art.author:
            meta.append(f"By {escape_md(art.author)}")
        if art.published:
            meta.append(f"Published {escape_md(art.published)}")
        if art.updated and art.updated != art.published:
            meta.append(f"Updated {escape_md(art.updated)}")
        if meta:
            lines.append(" · ".join(meta))
    return "\n\n".join(lines)


def article_meta(articles) -> list[dict]:
    return [{"id": a.id, "title": a.title, "author": a.author, "published": a.published} for a in articles]


def export_json(turns: list[dict], articles: list[dict], now: datetime | None = None) -> str:
    """The conversation with every answer's full `Answer.to_dict()`, as JSON text."""
    now = now or datetime.now(UTC)
    doc = {
        "version": EXPORT_VERSION,
        "exported_at": now.isoformat(timespec="seconds"),
        "articles": articles,
        "conversation": [
            {"question": t["question"], "answer": t.get("answer"), "error": t.get("error")} for t in turns
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


_LINK_TAIL = re.compile(r"\](?=[(:\[])")  # "](url)", "]: url" and "][ref]" make links


def _md_export_text(text: str) -> str:
    """Text for the exported Markdown. The file is read as plain text too, so only what a
    renderer would act on is escaped: HTML, and the bracket that would close a link.

    >>> _md_export_text("[x](javascript:alert(1)) <b>")
    '[x]\\\\(javascript:alert(1)) &lt;b&gt;'
    """
    return _LINK_TAIL.sub("]\\\\", html.escape(clean_text(text), quote=False))


def export_markdown(turns: list[dict], articles: list[dict], now: datetime | None = None) -> str:
    """The conversation as Markdown: each question, answer and its cited passages."""
    now = now or datetime.now(UTC)
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
            lines += [f"- [{c.marker}] {c.label}: “{_md_export_text(c.quote)}”", f"  > {_md_export_text(c.text)}"]
        lines += ["", f"*Answered by: {_md_export_text(a.get('backend') or 'extractive')}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def turns_from_export(text: str) -> list[dict]:
    """Turns back from `export_json` output, each answered one marked `loaded` (the file may
    have been edited: nothing vouches that this bot gave those answers); raises ValueError
    naming what is wrong."""
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
            turn = {"question": str(row["question"]), "answer": answer, "error": row.get("error")}
            turns.append(turn | {"loaded": True} if answer is not None else turn)
        return turns
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(
            f"That file is not an exported conversation ({type(e).__name__}: {e}) - "
            "choose a conversation .json file exported from this app"
        ) from None
