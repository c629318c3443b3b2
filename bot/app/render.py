"""Pure functions from a conversation to what the page and the exports show.

A conversation is a list of turns, each a plain dict that the UI keeps in its state:

    {"question": "What is the range of a Tomahawk missile?",
     "answer": Answer.to_dict() or None,     # the citations live here, with the message
     "error": "friendly message" or None,
     "vote": "up", "down" or None}           # the reader's 👍/👎 on that answer

Everything shown comes from these turns, so re-rendering, reloading and exporting a
conversation all keep each answer's citations. All user and article text is escaped:
it is shown as text, never interpreted as Markdown or HTML; the only markup is ours
(citation links, the compact sources under a message, the source cards, the link to an
article's original page, which is http(s) only and opens in a new tab).

Each answer has an id (`answer["id"]`); its `[n]` markers link to `#cite-<id>-<n>`, and
the Sources panel's card for that citation (`bot.app.panels`) has the id `src-<id>-<n>`.
The page's script (`CITE_SCRIPT` in `bot.app.ui`) follows a link to its card.
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import urlsplit

from ..core.answer import REFUSAL, Answer
from ..ingest.folder import source_url
from .conversation import shown_search_query
from .links import inert_links

SHOWN_QUESTION_CHARS = 300  # a 100,000-character paste is shown clipped, not in full
SHORT_TITLE_WORDS = 6
HINT_CHARS = 280  # the closest passage under a refusal, clipped

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


def shown_text(text: str, allowed: frozenset[str] | set[str] = frozenset()) -> str:
    """Text from an answer, an article or a model as Markdown that shows it literally:
    escaped (`escape_md`), and with every address but `allowed` inert (`inert_links`)."""
    return inert_links(escape_md(text), set(allowed))


def _allowed_links(answer: dict) -> set[str]:
    return {c["url"] for c in answer.get("citations") or [] if c.get("url")}


def compact_sources(answer: dict) -> str:
    """The sources under a message: a one-line summary over each quote (HTML), unfolded;
    the page's script folds it on a narrow screen, so the question box stays in view."""
    cites = Answer.from_dict(answer).citations
    if not cites:
        return ""
    e = html.escape
    # the article's details are fields (title, author, dates), not a sentence to quote
    items = "".join(
        f"<li><b>[{c.marker}]</b> {e(c.label)} · {e(short_title(c.article_title))}"
        + (f": “{e(clean_text(c.quote))}”" if c.paragraph else "")
        + "</li>"
        for c in cites
    )
    # the chat keeps a class, not a data- attribute: the page's script remembers a fold by it
    key = str(answer.get("id") or "")
    named = f" answer-{key}" if re.fullmatch(r"[\w-]{1,64}", key, re.A) else ""
    return (
        f'<details class="msg-sources{named}" open><summary>{e(sources_line(answer))}</summary>'
        f"<ul>{items}</ul></details>"
    )


def refusal_markdown(answer: dict) -> str:
    """A refusal as the reader sees it: the bot's one line, and for "the article doesn't
    say", the closest passage it found as a collapsed hint. No reasons, no timing."""
    response = answer.get("response") or REFUSAL
    if not response.startswith(REFUSAL):
        return shown_text(response.split("\n")[0])  # its own message (instructions, not a question)
    parts = [escape_md(REFUSAL)]
    closest = next((c for c in answer.get("retrieved_contexts") or [] if c.strip()), None)
    if closest:
        parts.append(
            '<details class="closest"><summary>Closest passage</summary>'
            f"<p>{html.escape(clip(clean_text(closest), HINT_CHARS))}</p></details>"
        )
    return "\n\n".join(parts)


def without_lead(response: str, short: str) -> str:
    """The response less its leading "short answer [n]" paragraph, which the page shows
    once, in bold, above the quoted sentence.

    >>> without_lead("Budapest [1]\\n\\nThey will meet in Budapest. [1]", "Budapest")
    'They will meet in Budapest. [1]'
    >>> without_lead("They will meet in Budapest. [1]", "Budapest")
    'They will meet in Budapest. [1]'
    """
    head, sep, rest = response.partition("\n\n")
    if sep and rest.strip() and re.fullmatch(re.escape(short) + r"(?:\s*\[\d{1,3}\])+", head.strip()):
        return rest
    return response


def answer_markdown(answer: dict, shown: bool = False) -> str:
    """The assistant's message: the short answer in bold, the response with its [n] links,
    notice, rewritten query and the compact sources. `shown`: its sources are the ones in
    the Sources panel."""
    if answer.get("abstained"):
        parts = [refusal_markdown(answer)]
    else:
        parts = []
        response = answer["response"]
        short = answer.get("short_answer")
        allowed = _allowed_links(answer)
        if short:
            parts.append(f"**{shown_text(short, allowed)}**")
            response = without_lead(response, short)
        parts.append(_cite_links(shown_text(response, allowed), answer))
    if answer.get("notice"):
        parts.append(f"⚠️ {shown_text(answer['notice'])}")
    query = shown_search_query(answer)
    if query:
        parts.append(f"*Searched for: {shown_text(query)}*")
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
            content = shown_text(pending) + " …"
        else:
            content = "…"
        messages.append({"role": "assistant", "content": content})
    return messages


FEEDBACK_VALUES = {"up": "Like", "down": "Dislike"}


def feedback_values(turns: list[dict]) -> list[str | None]:
    """The Chatbot's like/dislike state, one entry per assistant message."""
    return [FEEDBACK_VALUES.get(t.get("vote") or "") for t in turns]


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


def original_link(url) -> str:
    """HTML: a link to an article's original page, opened in a new tab without telling that
    page where the reader came from; '' when there is no http(s) URL.

    >>> print(original_link("https://example.org/a?x=1&y=2"))  # doctest: +NORMALIZE_WHITESPACE
    <a class="original" href="https://example.org/a?x=1&amp;y=2" target="_blank" rel="noopener noreferrer"
       title="https://example.org/a?x=1&amp;y=2">example.org ↗</a>
    >>> original_link("javascript:alert(1)"), original_link(None)
    ('', '')
    """
    url = source_url(url)
    if not url:
        return ""
    href = html.escape(url, quote=True)
    return (
        f'<a class="original" href="{href}" target="_blank" rel="noopener noreferrer" title="{href}">'
        f"{html.escape(urlsplit(url).hostname or url)} ↗</a>"
    )


def article_meta(articles) -> list[dict]:
    """Each article's own fields, as the exports and the Sources panel's details card use them."""
    return [
        {
            "id": a.id,
            "title": a.title,
            "author": a.author,
            "published": a.published,
            "updated": a.updated,
            "dateline": a.dateline,
            "url": a.url,
        }
        for a in articles
    ]
