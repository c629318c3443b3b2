"""The `Answerer` interface: what turns the retrieved passages into a cited response.

Two implementations plug in here: the extractive answerer (bot.answering.extractive) and
the language-model answerer (bot.llm.answerer). The pipeline (bot.answering.pipeline)
asks the registry (bot.answering.backends) for the configured one and drives both the
same way: open an attempt per question, let it condense the search query, then let it
answer from the passages. An attempt that cannot answer raises `Unanswered`, and the
pipeline shows the extractive answer with the reason as a notice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from .answer import Citation
from .errors import BotError


@dataclass(frozen=True)
class Draft:
    """An answerer's response before the pipeline wraps it into an `Answer`."""

    response: str
    citations: tuple[Citation, ...]
    backend: str
    notice: str | None = None


class Unanswered(BotError):
    """An answerer could not answer this question; `notice` is the line shown to the user."""

    def __init__(self, notice: str):
        super().__init__(notice)
        self.notice = notice


class Attempt(Protocol):
    """One question's go at an answer."""

    @property
    def notice(self) -> str | None:
        """Set when this attempt cannot answer at all (the pipeline then falls back at once)."""
        ...

    @property
    def latency(self) -> dict[str, float]:
        """Stage -> ms, merged into the Answer's latency_ms."""
        ...

    def search_query(self, question: str, history: list[dict], query: str, people: set[str]) -> str | None:
        """A better query than `query` (the rule-based rewrite), or None to keep it."""
        ...

    def answer(self, query: str, docs: list, evidence: Any, index: Any) -> Iterator[str | Draft]:
        """The response text as it grows, then the `Draft`; raises `Unanswered`."""
        ...


class Answerer(Protocol):
    """A backend that answers questions from retrieved passages."""

    @property
    def name(self) -> str:
        """The backend named in Answer.backend when this answerer answered."""
        ...

    @property
    def streams(self) -> bool:
        """Yields its text as it grows; otherwise the pipeline streams the finished text."""
        ...

    def describe(self) -> str:
        """Which backend answers, for logs and the UI, without secrets."""
        ...

    def open(self) -> Attempt:
        """An attempt at one question (a setup failure is its `notice`, never an exception)."""
        ...
