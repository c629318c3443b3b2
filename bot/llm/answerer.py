"""Answers in a language model's own words, with every citation checked before it is shown.

The LLM answerer's steps, for one question, inside the pipeline (bot.answering.pipeline):

    search query  (condensed by the model only when history is present and the question leans on it)
    [retrieve, then the extractive evidence gate: below the threshold the pipeline refuses
     without calling the model]
    -> prompt     (prompts/answer.txt, passages numbered [1]..[k] and framed as quoted data)
    -> model      (streaming; LCEL: prompt | chat model | StrOutputParser)
    -> verify     (sentence by sentence, bot.llm.verify; verified sentences stream out)
    -> Draft

Failures are bounded by one time budget, BOT_LLM_TIMEOUT_S, for the whole answer (see
bot.llm.calls). Whatever fails (configuration, network, a reply with no supported
sentence), the attempt raises `Unanswered` with a one-line notice, and the pipeline
shows the extractive answer with it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.output_parsers import StrOutputParser

from ..core.answer import REFUSAL
from ..core.answerer import Draft, Unanswered
from ..core.errors import BotError
from ..retrieve.followup import rewrite
from .backends import chat_model, describe
from .calls import EMPTY, LLMFailure, with_retries, within
from .prompts import load
from .verify import Checker, Passage, is_refusal, sentences

log = logging.getLogger(__name__)

HISTORY_TURNS = 6
MAX_SENTENCES = 4  # the prompt asks for one to three
_REFERS = re.compile(
    r"\b(?:it|its|they|them|their|he|him|his|she|her|this|that|these|those|there|then)\b"
    r"|^(?:and|but|also|what about|how about|why|how so)\b",
    re.I,
)
_QUESTION_START = re.compile(
    r"(?:who|whom|whose|what|when|where|why|how|which|is|are|was|were|do|does|did|will|"
    r"would|can|could|has|have|had|should)\b",
    re.I,
)
_FRAME_TAG = re.compile(r"</?\s*(?:passages|question|conversation)\s*>", re.I)
# Why the quoted answer is shown although the model did answer: what it wrote did not pass the check.
NO_ANSWER = "The language model found no answer in the passages"
UNSUPPORTED = "The language model's answer was not supported by the article"
CHECKED_OUT = (NO_ANSWER, EMPTY, UNSUPPORTED)


def passages_block(docs) -> str:
    """Numbered passages, each quoted, frame tags inside them neutralised:
    [1] (¶3) "Washington: US President Donald Trump ..." """
    out = []
    for n, doc in enumerate(docs, start=1):
        where = "article details" if doc.metadata.get("paragraph") == 0 else f"¶{doc.metadata.get('paragraph')}"
        text = " ".join(_FRAME_TAG.sub(" ", doc.page_content).split())
        out.append(f'[{n}] ({where}) "{text}"')
    return "\n\n".join(out)


def history_block(history: list[dict]) -> str:
    return "\n".join(f"{t['role']}: {' '.join(t['content'].split())[:600]}" for t in history[-HISTORY_TURNS:])


def needs_condense(question: str, history: list[dict]) -> bool:
    """Only a follow-up is condensed: one that refers back ('When is it?') or is too short to stand alone."""
    if not any(t["role"] == "user" for t in history):
        return False
    return rewrite(question, history) != question or bool(_REFERS.search(question)) or len(question.split()) <= 3


def condensed(text: str) -> str | None:
    """The model's standalone question; None when it is not a usable question. (The
    pipeline's guards then check it like any question before it is searched.)"""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    line = re.sub(r"</?question>", "", lines[0], flags=re.I)
    line = re.sub(r"^(?:standalone question|question)\s*:\s*", "", line.strip(), flags=re.I).strip(" \"'“”")
    if not (3 <= len(line) <= 300 and (line.endswith("?") or _QUESTION_START.match(line))):
        return None  # "Sure! Here you go:" is not a question to search for
    return line


def to_passages(docs) -> list[Passage]:
    return [
        Passage(
            text=d.page_content,
            chunk_id=d.id or d.metadata.get("chunk_id", ""),
            article_id=d.metadata.get("article_id", ""),
            article_title=d.metadata.get("article_title", ""),
            paragraph=d.metadata.get("paragraph", 0),
            published=d.metadata.get("published"),
            url=d.metadata.get("url"),
        )
        for d in docs
    ]


class LLMAnswerer:
    """The `Answerer` of BOT_LLM=openai, huggingface or llamacpp.

    `model`: a chat model to use instead of the one the settings configure (tests use fakes).
    """

    streams = True

    def __init__(self, settings, model=None):
        self.settings, self.model = settings, model

    @property
    def name(self) -> str:
        if self.settings.llm != "extractive":
            return self.settings.llm
        return getattr(self.model, "_llm_type", "llm")

    def describe(self) -> str:
        return describe(self.settings)

    def open(self) -> LLMAttempt:
        return LLMAttempt(self)


class LLMAttempt:
    """One question: the model (built once, outside the budget), then the budget's deadline."""

    def __init__(self, answerer: LLMAnswerer):
        self.name = answerer.name
        self.latency: dict[str, float] = {}
        self.notice: str | None = None
        self.timeout_s = answerer.settings.llm_timeout_s
        self.model = answerer.model
        if self.model is None:
            try:
                self.model = chat_model(answerer.settings)  # a local model loads here, once
            except BotError as e:
                self.notice = str(e)
        self.deadline = time.monotonic() + self.timeout_s

    def search_query(self, question: str, history: list[dict], query: str) -> str | None:
        """The model's standalone question for a follow-up; None: keep the rule-based `query`."""
        if self.model is None or not history or not needs_condense(question, history):
            return None
        started = time.perf_counter()
        prompt = load("condense")
        chain = prompt.template | self.model | StrOutputParser()
        values = prompt.inputs(history=history_block(history), question=question)
        try:
            return condensed("".join(within(lambda: iter([chain.invoke(values)]), self.deadline, self.timeout_s)))
        except LLMFailure as failure:
            self.notice = failure.notice
            return None
        finally:
            self.latency["condense"] = (time.perf_counter() - started) * 1000

    def answer(self, query: str, docs: list, evidence: Any = None, index: Any = None) -> Iterator[str | Draft]:
        """Verified sentences as they arrive, then the `Draft`; `Unanswered` when none holds up."""
        reply = Reply(Checker(to_passages(docs), question=query))
        yield from self._stream(reply, query, docs)
        yield from reply.check(sentences(reply.raw)[reply.checked :] if len(reply.shown) < MAX_SENTENCES else ())
        yield self._draft(reply)

    def _stream(self, reply: Reply, query: str, docs: list) -> Iterator[str]:
        """Stream the model's reply, checking each sentence once the next one begins."""
        prompt = load("answer")
        chain = prompt.template | self.model | StrOutputParser()
        values = prompt.inputs(passages=passages_block(docs), question=query, refusal=REFUSAL)
        started = time.perf_counter()
        for token in with_retries(lambda: chain.stream(values), self.deadline, self.timeout_s):
            self.latency.setdefault("first_token", (time.perf_counter() - started) * 1000)
            reply.raw += token
            complete = sentences(reply.raw)[:-1]  # the last one may still be growing
            yield from reply.check(complete[reply.checked :])
            reply.checked = max(reply.checked, len(complete))
            if len(reply.shown) >= MAX_SENTENCES or reply.checked >= 2 * MAX_SENTENCES:
                break  # enough said, or a model rambling on

    def _draft(self, reply: Reply) -> Draft:
        if not reply.shown:
            if is_refusal(reply.raw, REFUSAL):
                raise Unanswered(NO_ANSWER)  # the gate found evidence, the model found none: show the evidence
            raise Unanswered(EMPTY if not reply.raw.strip() else UNSUPPORTED)
        removed = len(reply.checker.removed)
        note = f"Removed {removed} sentence{'s' * (removed > 1)} the article does not support." if removed else None
        if removed:
            log.info("removed unsupported sentences: %s", [reason for _, reason in reply.checker.removed])
        return Draft(" ".join(reply.shown), reply.checker.citations(), backend=self.name, notice=note)


@dataclass
class Reply:
    """The model's reply so far: its raw text, how many sentences were checked, those shown."""

    checker: Checker
    raw: str = ""
    checked: int = 0
    shown: list[str] = field(default_factory=list)

    def check(self, new_sentences) -> Iterator[str]:
        """Check each sentence; yield the shown text whenever one is kept."""
        for sentence in new_sentences:
            verdict = self.checker.check(sentence)
            if verdict.text:
                self.shown.append(verdict.text)
                yield " ".join(self.shown)
