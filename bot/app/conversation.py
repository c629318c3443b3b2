"""What the chat page and the terminal chat share about a conversation: the history sent
with the next question, and whether a follow-up's rewritten query is shown to the reader.

Pure functions over plain data: no model, no Gradio.
"""

from __future__ import annotations

import re

from ..core.settings import MAX_HISTORY_TURN_CHARS, MAX_HISTORY_TURNS
from ..retrieve.followup import WH

# A question opens with a wh-word or one of these auxiliaries ("Is", "Did", "Can", …).
_AUX = frozenset(
    "is are was were am be do does did can could will would shall should may might must has have had".split()
)
_WORD = re.compile(r"[\w'’-]+")


def fitting_history(history: list[dict]) -> list[dict]:
    """The newest question-and-answer pairs of `history` that fit the pipeline's limits
    (`MAX_HISTORY_TURNS` messages of at most `MAX_HISTORY_TURN_CHARS` each), oldest first.

    Older pairs are left out rather than refused, so a long chat never fails on its next
    question; a pair too long to send ends the history there (what is sent stays a run of
    consecutive turns, as the follow-up rewrite reads it).

    >>> pair = [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A."}]
    >>> len(fitting_history(pair * 30)) == MAX_HISTORY_TURNS
    True
    >>> fitting_history(pair + [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "x" * 5000}])
    []
    """
    kept: list[dict] = []
    for turn in reversed(history):
        if len(kept) >= MAX_HISTORY_TURNS or len(turn["content"]) > MAX_HISTORY_TURN_CHARS:
            break
        kept.append(turn)
    if kept and kept[-1]["role"] != "user":  # a reply without its question: drop it
        kept.pop()
    return kept[::-1]


def reads_as_question(query: str, question: str) -> bool:
    """Whether a follow-up's rewritten search `query` reads as one question, so it can be
    shown as "Searched for: …": it opens with a wh-word or an auxiliary, names no second
    capitalised wh-word (a question pasted into another), ends with its only "?", and is
    at most about twice as long as the `question` it rewrites (in words).

    >>> reads_as_question("What is the range of the Tomahawk?", "What is its range?")
    True
    >>> reads_as_question("What share of homes will How many sites reach?", "What share of homes will it reach?")
    False
    >>> reads_as_question("Where will Trump and Putin meet? When?", "When?")
    False
    """
    text = " ".join(query.split())
    words = _WORD.findall(text)
    if not words or not text.endswith("?") or text.count("?") != 1:
        return False
    if words[0].lower() not in WH | _AUX:
        return False
    if any(w[0].isupper() and w.lower() in WH for w in words[1:]):
        return False
    asked = len(_WORD.findall(question)) or 1
    return len(words) <= max(2 * asked, asked + 3)


def shown_search_query(answer: dict) -> str | None:
    """The rewritten search query to show under an answer (an `Answer.to_dict()`), or None:
    none when the question was searched as asked, or when the rewrite does not read as a
    question (a garbled rewrite would mislead more than it explains)."""
    query = (answer.get("search_query") or "").strip()
    question = (answer.get("user_input") or "").strip()
    if not query or query == question or not reads_as_question(query, question):
        return None
    return query
