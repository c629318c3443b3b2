"""A conversation saved and loaded: Markdown and JSON exports, and turns back from the JSON.

The JSON export carries every answer's full `Answer.to_dict()`, so a loaded conversation
keeps its citations; the Markdown one is for reading. Text in the Markdown file is escaped
only where a Markdown renderer would act on it.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from ..core.answer import Answer
from .conversation import shown_search_query
from .render import clean_text

EXPORT_VERSION = 1
LOADED = "loaded from a file"  # the backend of an answer read back from an export: nothing vouches for it


def export_files(turns: list[dict], articles: list[dict], folder: Path | None = None) -> list[str]:
    """Write the conversation as Markdown and JSON files; return their paths."""
    folder = Path(folder or tempfile.mkdtemp(prefix="bot-export-"))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    md = folder / f"conversation-{stamp}.md"
    js = folder / f"conversation-{stamp}.json"
    md.write_text(export_markdown(turns, articles), encoding="utf-8")
    js.write_text(export_json(turns, articles), encoding="utf-8")
    return [str(md), str(js)]


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
        if query := shown_search_query(a):
            lines += [f"*Searched for: {_md_export_text(query)}*", ""]
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
            if (
                answer is not None
            ):  # what it says of itself (which model, its notices, its links) is not vouched for either
                answer = Answer.from_dict(answer).to_dict() | {"backend": LOADED, "notice": None}
                answer["citations"] = [c | {"url": None} for c in answer["citations"]]
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
