"""Answers in a language model's own words, with every citation checked before it is shown.

The chain, for one question:

    search query  (condensed by the model only when history is present and the question leans on it)
    -> retrieve   (the hybrid retriever)
    -> gate       (the extractive evidence score: below the threshold, refuse without calling the model)
    -> prompt     (prompts/answer.txt, passages numbered [1]..[k] and framed as quoted data)
    -> model      (streaming; LCEL: render | chat model | StrOutputParser)
    -> verify     (sentence by sentence, bot.verify; verified sentences stream out)
    -> Answer

Failures are bounded by one time budget, BOT_LLM_TIMEOUT_S, for the whole answer:
429/5xx and lost connections are retried with backoff while the budget lasts and no token
has arrived; 4xx, timeouts and unreadable replies are not. Whatever fails (configuration,
network, a reply with no supported sentence), the user gets the extractive answer and a
one-line `notice` saying why.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from typing import Callable, Iterator

from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import RunnableLambda

from .answer import Answer
from .citations import compose
from .errors import BotError, LLMError
from .extractive import select
from .llm import chat_model, describe
from .prompts import load
from .qa import check_history, refusal_text
from .query import check_question, rewrite
from .verify import Checker, Passage, is_refusal, sentences

log = logging.getLogger(__name__)

REFUSAL = "The article doesn't say."
MAX_ATTEMPTS = 3  # one call and two retries, for 429, 5xx and lost connections
BACKOFF_S = 0.5  # doubled after each retry; a server's Retry-After is honoured within the budget
HISTORY_TURNS = 6
MAX_SENTENCES = 4  # the prompt asks for one to three
_REFERS = re.compile(r"\b(?:it|its|they|them|their|he|him|his|she|her|this|that|these|those|there|then)\b"
                     r"|^(?:and|but|also|what about|how about|why|how so)\b", re.I)
_QUESTION_START = re.compile(r"(?:who|whom|whose|what|when|where|why|how|which|is|are|was|were|do|does|did|will|"
                             r"would|can|could|has|have|had|should)\b", re.I)
_FRAME_TAG = re.compile(r"</?\s*(?:passages|question|conversation)\s*>", re.I)
FALLBACK = "showing the quoted answer from the article instead"
# Why the quoted answer is shown although the model did answer: what it wrote did not pass the check.
NO_ANSWER = "The language model found no answer in the passages"
EMPTY = "The language model returned an empty answer"
UNSUPPORTED = "The language model's answer was not supported by the article"
CHECKED_OUT = (NO_ANSWER, EMPTY, UNSUPPORTED)


class LLMFailure(LLMError):
    """A model call that failed; `notice` is the line shown to the user."""

    def __init__(self, notice: str, retry: bool = False, wait_s: float | None = None):
        super().__init__(notice)
        self.notice, self.retry, self.wait_s = notice, retry, wait_s


def _status(exc) -> int | None:
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) and status >= 400 else None


def classify(exc: BaseException, timeout_s: float) -> LLMFailure:
    """What a client exception means for the user, and whether to try again."""
    if isinstance(exc, LLMFailure):
        return exc
    status, name = _status(exc), type(exc).__name__
    if "Timeout" in name:
        return LLMFailure(f"The language model did not answer within {timeout_s:g} s")
    if status == 429:
        retry_after = getattr(getattr(exc, "response", None), "headers", {}).get("retry-after")
        wait = float(retry_after) if retry_after and str(retry_after).replace(".", "", 1).isdigit() else None
        return LLMFailure("The language model is rate-limited (HTTP 429)", retry=True, wait_s=wait)
    if status and status >= 500:
        return LLMFailure(f"The language model failed (HTTP {status})", retry=True)
    if status in (401, 403):
        return LLMFailure(f"The language model refused the credentials (HTTP {status}) - check OPENAI_API_KEY or HF_TOKEN")
    if status:
        return LLMFailure(f"The language model rejected the request (HTTP {status})")
    if isinstance(exc, ValueError) and "no generation chunks" in str(exc).lower():  # langchain: nothing streamed
        return LLMFailure(EMPTY)
    if "Connection" in name or isinstance(exc, ConnectionError):
        return LLMFailure("The language model could not be reached", retry=True)
    return LLMFailure("The language model sent a reply the bot could not read")


def _within(produce: Callable[[], Iterator], deadline: float, timeout_s: float) -> Iterator:
    """Items of produce(), run on a worker thread so that the deadline holds even when a
    read blocks; past it, the worker is told to stop and a timeout is raised."""
    items: queue.Queue = queue.Queue()
    stop = threading.Event()

    def work():
        try:
            for item in produce():
                if stop.is_set():
                    return
                items.put(("item", item))
            items.put(("end", None))
        except BaseException as e:  # handed to the caller, who classifies it
            items.put(("error", e))

    threading.Thread(target=work, daemon=True, name="llm-call").start()
    try:
        while True:
            try:
                kind, value = items.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise LLMFailure(f"The language model did not answer within {timeout_s:g} s") from None
            if kind == "end":
                return
            if kind == "error":
                raise classify(value, timeout_s)
            yield value
    finally:
        stop.set()


def _with_retries(produce: Callable[[], Iterator], deadline: float, timeout_s: float) -> Iterator:
    """Like `_within`, retrying a retryable failure with backoff until the first item arrives."""
    for attempt in range(MAX_ATTEMPTS):
        started = False
        try:
            for item in _within(produce, deadline, timeout_s):
                started = True
                yield item
            return
        except LLMFailure as failure:
            wait = failure.wait_s if failure.wait_s is not None else BACKOFF_S * 2**attempt
            if started or not failure.retry or attempt == MAX_ATTEMPTS - 1 or time.monotonic() + wait >= deadline:
                raise
            log.info("language model: %s; retrying in %.1f s", failure.notice, wait)
            time.sleep(wait)


def _messages(name: str) -> RunnableLambda:
    """A runnable rendering prompts/<name>.txt strictly into chat messages."""
    return RunnableLambda(lambda values: load(name).render(**values), name=f"prompt:{name}")


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


def needs_condense(question: str, history: list[dict], people=frozenset()) -> bool:
    """Only a follow-up is condensed: one that refers back ('When is it?') or is too short to stand alone."""
    if not any(t["role"] == "user" for t in history):
        return False
    return rewrite(question, history, people) != question or bool(_REFERS.search(question)) or len(question.split()) <= 3


def _condensed(text: str) -> str | None:
    """The model's standalone question, tidied; None when it is not a usable question."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    line = re.sub(r"</?question>", "", lines[0], flags=re.I)
    line = re.sub(r"^(?:standalone question|question)\s*:\s*", "", line.strip(), flags=re.I).strip(" \"'“”")
    if not (3 <= len(line) <= 300 and (line.endswith("?") or _QUESTION_START.match(line))):
        return None  # "Sure! Here you go:" is not a question to search for
    try:
        return check_question(line)
    except BotError:
        return None


def to_passages(docs) -> list[Passage]:
    return [Passage(text=d.page_content, chunk_id=d.id or d.metadata.get("chunk_id", ""),
                    article_id=d.metadata.get("article_id", ""), article_title=d.metadata.get("article_title", ""),
                    paragraph=d.metadata.get("paragraph", 0), published=d.metadata.get("published")) for d in docs]


def stream(qa, question, history=None, *, id: str | None = None, article_id: str | None = None, model=None):
    """Yield the verified response text as it grows, then the finished `Answer`.

    `model`: a chat model to use instead of the one the settings configure (tests use fakes).
    """
    question, history = check_question(question), check_history(history)
    qa.load()  # once per process: not this question's time
    index, settings = qa.index(), qa.settings
    index.check_article(article_id)  # before any model call
    timeout_s = settings.llm_timeout_s
    query, notice, latency = rewrite(question, history, qa.people), None, {}
    backend = settings.llm if settings.llm != "extractive" else getattr(model, "_llm_type", "llm")
    try:
        model = model or chat_model(settings)  # built (and a local model loaded) once, outside the budget
    except BotError as e:
        notice = str(e)
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout_s
    if model is not None and history and needs_condense(question, history, qa.people):
        t = time.perf_counter()
        chain = _messages("condense") | model | StrOutputParser()
        values = {"history": history_block(history), "question": question}
        try:
            query = _condensed("".join(_within(lambda: iter([chain.invoke(values)]), deadline, timeout_s))) or query
        except LLMFailure as failure:
            notice = failure.notice
        latency["condense"] = (time.perf_counter() - t) * 1000
    t1 = time.perf_counter()
    docs = qa.retriever.search(query, article_id=article_id)
    t2 = time.perf_counter()
    extract = select(query, qa.embedder.embed_query(query), docs, index)
    common = dict(id=id, user_input=question, search_query=query, retrieved_contexts=tuple(d.page_content for d in docs),
                  retrieved_context_ids=tuple(d.id for d in docs), confidence=extract.confidence,
                  retrieval_scores=tuple(d.metadata["score"] for d in docs))

    def done(response, citations=(), abstained=False, backend="extractive", note=None) -> Answer:
        t3 = time.perf_counter()
        latency.update(retrieve=(t2 - t1) * 1000, answer=(t3 - t2) * 1000, total=(t3 - t0) * 1000)
        return Answer(response=response, citations=tuple(citations), abstained=abstained, backend=backend,
                      notice=note, latency_ms=dict(latency), **common)

    def fallback(reason: str | None) -> Answer:
        if reason:
            log.warning("%s: %s; answering extractively", describe(settings), reason)
        if extract.abstained:
            return done(refusal_text(question, extract.reason), abstained=True, note=reason and f"{reason}.")
        response, citations = compose(extract, index)
        return done(response, citations, note=reason and f"{reason}; {FALLBACK}.")

    if model is None or notice or extract.abstained:  # refusal before spending: the gate needs no model
        yield fallback(notice)
        return
    passages = to_passages(docs)
    checker, shown, raw, checked = Checker(passages, question=query), [], "", 0
    chain = _messages("answer") | model | StrOutputParser()
    values = {"passages": passages_block(docs), "question": query, "refusal": REFUSAL}
    try:
        for token in _with_retries(lambda: chain.stream(values), deadline, timeout_s):
            if "first_token" not in latency:
                latency["first_token"] = (time.perf_counter() - t2) * 1000
            raw += token
            complete = sentences(raw)[:-1]  # the last one may still be growing
            for sentence in complete[checked:]:
                verdict = checker.check(sentence)
                if verdict.text:
                    shown.append(verdict.text)
                    yield " ".join(shown)
            checked = max(checked, len(complete))
            if len(shown) >= MAX_SENTENCES or checked >= 2 * MAX_SENTENCES:  # enough said, or a model rambling on
                break
    except LLMFailure as failure:
        yield fallback(failure.notice)
        return
    for sentence in sentences(raw)[checked:] if len(shown) < MAX_SENTENCES else ():
        verdict = checker.check(sentence)
        if verdict.text:
            shown.append(verdict.text)
            yield " ".join(shown)
    if not shown:
        if is_refusal(raw, REFUSAL):
            # The gate found evidence, the model found none: show the evidence, say so.
            yield fallback(NO_ANSWER)
            return
        yield fallback(EMPTY if not raw.strip() else UNSUPPORTED)
        return
    removed = len(checker.removed)
    note = f"Removed {removed} sentence{'s' * (removed > 1)} the article does not support." if removed else None
    if removed:
        log.info("removed unsupported sentences: %s", [reason for _, reason in checker.removed])
    yield done(" ".join(shown), checker.citations(), backend=backend, note=note)


def answer(qa, question, history=None, *, id: str | None = None, article_id: str | None = None, model=None) -> Answer:
    """The finished `Answer` of `stream()`."""
    last = None
    for last in stream(qa, question, history, id=id, article_id=article_id, model=model):
        pass
    return last
