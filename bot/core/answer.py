"""The one result type. The CLI, the UI and the evaluation all read an `Answer`."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

MARKER = re.compile(r"\[(\d{1,3})\]")  # the [n] after a sentence: it names citation n
# The bot's one line when the article does not answer: the pipeline's refusal, the reply the
# language model is told to give, and how the page recognises a refusal.
REFUSAL = "The article doesn't say."


@dataclass(frozen=True)
class Citation:
    marker: int  # the n of [n] in the response
    chunk_id: str
    article_id: str
    article_title: str
    paragraph: int  # 0: the article's details (title, author, dates); 1..n: body paragraphs
    quote: str  # the verbatim sentence(s) relied on
    text: str  # the whole passage
    score: float
    quote_span: tuple[int, int] | None = None  # where the quote sits inside `text`
    published: str | None = None
    url: str | None = None  # its article's original page, when known: the one link an answer may carry

    @property
    def label(self) -> str:
        """'¶7', or 'article details' for the metadata header."""
        return "article details" if self.paragraph == 0 else f"¶{self.paragraph}"


@dataclass(frozen=True)
class Answer:
    user_input: str
    response: str
    abstained: bool
    search_query: str = ""
    citations: tuple[Citation, ...] = ()
    retrieved_contexts: tuple[str, ...] = ()
    retrieved_context_ids: tuple[str, ...] = ()
    retrieval_scores: tuple[float, ...] = ()
    backend: str = "extractive"
    notice: str | None = None
    latency_ms: dict = field(default_factory=dict)
    id: str | None = None
    confidence: float | None = None  # P(the article answers), the score the refusal threshold is applied to
    short_answer: str | None = None  # the fact asked for (a name, number, date, place), when the question asks one

    def to_dict(self) -> dict:
        """The JSON contract written out in docs/guide.md (The Answer, for programs): the design's, plus `confidence` and, per
        citation, `quote_span` (where the quote sits in the passage) and `published` (its
        article's date)."""
        return {
            "id": self.id,
            "user_input": self.user_input,
            "search_query": self.search_query,
            "response": self.response,
            "short_answer": self.short_answer,
            "abstained": self.abstained,
            "citations": [
                {k: v for k, v in asdict(c).items() if k != "quote_span"}
                | {"quote_span": list(c.quote_span) if c.quote_span else None}
                for c in self.citations
            ],
            "retrieved_contexts": list(self.retrieved_contexts),
            "retrieved_context_ids": list(self.retrieved_context_ids),
            "retrieval_scores": [round(s, 4) for s in self.retrieval_scores],
            "backend": self.backend,
            "notice": self.notice,
            "latency_ms": {k: round(v, 2) for k, v in self.latency_ms.items()},
            "confidence": None if self.confidence is None else round(self.confidence, 4),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Answer:
        """Rebuild an answer from `to_dict()` output (the UI stores answers this way)."""
        cites = tuple(
            Citation(
                marker=c["marker"],
                chunk_id=c["chunk_id"],
                article_id=c["article_id"],
                article_title=c.get("article_title", ""),
                paragraph=c["paragraph"],
                quote=c["quote"],
                text=c["text"],
                score=c.get("score", 0.0),
                quote_span=tuple(c["quote_span"]) if c.get("quote_span") else None,
                published=c.get("published"),
                url=c.get("url"),
            )
            for c in d.get("citations", [])
        )
        return cls(
            id=d.get("id"),
            user_input=d["user_input"],
            response=d["response"],
            abstained=d["abstained"],
            search_query=d.get("search_query", ""),
            citations=cites,
            retrieved_contexts=tuple(d.get("retrieved_contexts", ())),
            retrieved_context_ids=tuple(d.get("retrieved_context_ids", ())),
            retrieval_scores=tuple(d.get("retrieval_scores", ())),
            backend=d.get("backend", "extractive"),
            notice=d.get("notice"),
            latency_ms=dict(d.get("latency_ms", {})),
            confidence=d.get("confidence"),
            short_answer=d.get("short_answer"),
        )
