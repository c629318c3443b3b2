"""Calling a language model within one time budget, and what each failure means for the user.

429/5xx and lost connections are retried with backoff while the budget lasts and no token
has arrived; 4xx, timeouts and unreadable replies are not. Every failure becomes an
`LLMFailure` whose `notice` is the line shown to the user; the pipeline then shows the
extractive answer.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator

from ..core.answerer import Unanswered
from ..core.errors import LLMError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # one call and two retries, for 429, 5xx and lost connections
BACKOFF_S = 0.5  # doubled after each retry; a server's Retry-After is honoured within the budget
EMPTY = "The language model returned an empty answer"


class LLMFailure(LLMError, Unanswered):
    """A model call that failed; `notice` is the line shown to the user."""

    def __init__(self, notice: str, retry: bool = False, wait_s: float | None = None):
        super().__init__(notice)
        self.retry, self.wait_s = retry, wait_s


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
        return LLMFailure(
            f"The language model refused the credentials (HTTP {status}) - check OPENAI_API_KEY or HF_TOKEN"
        )
    if status:
        return LLMFailure(f"The language model rejected the request (HTTP {status})")
    if isinstance(exc, ValueError) and "no generation chunks" in str(exc).lower():  # langchain: nothing streamed
        return LLMFailure(EMPTY)
    if "Connection" in name or isinstance(exc, ConnectionError):
        return LLMFailure("The language model could not be reached", retry=True)
    return LLMFailure("The language model sent a reply the bot could not read")


def within(produce: Callable[[], Iterator], deadline: float, timeout_s: float) -> Iterator:
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


def with_retries(produce: Callable[[], Iterator], deadline: float, timeout_s: float) -> Iterator:
    """Like `within`, retrying a retryable failure with backoff until the first item arrives."""
    for attempt in range(MAX_ATTEMPTS):
        started = False
        try:
            for item in within(produce, deadline, timeout_s):
                started = True
                yield item
            return
        except LLMFailure as failure:
            wait = failure.wait_s if failure.wait_s is not None else BACKOFF_S * 2**attempt
            if started or not failure.retry or attempt == MAX_ATTEMPTS - 1 or time.monotonic() + wait >= deadline:
                raise
            log.info("language model: %s; retrying in %.1f s", failure.notice, wait)
            time.sleep(wait)
