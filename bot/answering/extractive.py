"""The default answerer: quote the sentence that answers, lead with the short answer, or
abstain.

`select` is the evidence gate of every backend (the pipeline refuses without calling a
model when it abstains). It reads the question's article with the learned reader
(bot.reading): the ranker picks the sentence among the candidates, the answerability
model says whether the article answers at all, and the short answer is the entity of
the expected type in that sentence. `ExtractiveAnswerer` answers with the evidence itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..core.answerer import Draft
from ..reading.reader import decide, prepare
from .citations import compose
from .guards import gives_instructions

INSTRUCTIONS = "the message gives the bot instructions instead of asking about the article"


@dataclass(frozen=True)
class Scored:
    chunk_id: str
    start: int  # absolute span in the article text
    end: int
    score: float


@dataclass(frozen=True)
class Extract:
    """The chosen sentences, best first, or an abstention with its reason."""

    sentences: tuple[Scored, ...]
    confidence: float
    reason: str | None = None  # why it abstained
    short_answer: str | None = None
    timings: dict | None = None  # ms per reading stage

    @property
    def abstained(self) -> bool:
        return not self.sentences


def _chunk_for(index, article_id: str, start: int, end: int):
    """The passage holding most of the span [start, end)."""
    best, overlap = None, 0
    for chunk in index.chunks_of(article_id):
        o = min(chunk.end, end) - max(chunk.start, start)
        if o > overlap:
            best, overlap = chunk, o
    return best


def select(question: str, history: list[dict], docs, index, reader, article_id: str | None = None) -> Extract:
    """Read the question's article (the one asked about, or the best passage's) and decide."""
    if gives_instructions(question):
        return Extract((), 0.0, INSTRUCTIONS)
    article_id = article_id or (docs[0].metadata["article_id"] if docs else None)
    if article_id is None:
        return Extract((), 0.0, "no passage matched")
    analysis = reader.analysis(index.articles[article_id])
    prep = prepare(question, history, analysis, reader.model)
    if prep is None:
        return Extract((), 0.0, "the article has no sentence")
    reading = decide(prep, analysis, reader.models)
    if reading.refused:
        return Extract((), reading.p_answerable, "the article does not say", timings=reading.timings)
    best = reading.best
    chunk = _chunk_for(index, article_id, best.start, best.end)
    if chunk is None:
        return Extract((), reading.p_answerable, "no passage holds the answer", timings=reading.timings)
    start, end = max(best.start, chunk.start), min(best.end, chunk.end)
    scored = Scored(chunk.id, start, end, reading.p_answerable)
    return Extract((scored,), reading.p_answerable, None, reading.short_answer, reading.timings)


class ExtractiveAnswerer:
    """The default `Answerer` (BOT_LLM=extractive): the short answer, then the quoted sentence
    with its [n] marker.

    It needs no model and keeps no state per question, so an attempt is the answerer itself.
    """

    name = "extractive"
    streams = False  # the answer is ready at once; the pipeline streams it word by word
    notice = None

    @property
    def latency(self) -> dict:
        return {}

    def describe(self) -> str:
        return self.name

    def open(self) -> ExtractiveAnswerer:
        return self

    def search_query(self, question: str, history: list[dict], query: str) -> str | None:
        return None  # the parse-based rewrite is the query

    def answer(self, query: str, docs: list, evidence: Extract, index) -> Iterator[str | Draft]:
        yield self.draft(evidence, index)

    def draft(self, evidence: Extract, index) -> Draft:
        """The short answer (when there is one) and the quoted sentence, with [n] markers."""
        response, citations = compose(evidence, index)
        if evidence.short_answer and citations:
            response = f"{evidence.short_answer} [{citations[0].marker}]\n\n{response}"
        return Draft(response, citations, backend=self.name)
