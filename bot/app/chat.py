"""The terminal's side of the bot: loading the pipeline, printing an answer, and
`python -m bot chat`, a conversation with follow-ups.

    $ python -m bot chat
    > Who runs the company?
    …
    > Since when?

The model and the index load once, before the first question. Each answer is sent the
conversation so far as history (as much of it as the pipeline takes), so "Since when?" is
read against the last turn. `exit`, `quit`, end of input (Ctrl-D) or Ctrl-C end the chat with
exit code 0; an empty line is skipped; a question the bot cannot take gets its one-line
message and the chat goes on. Standard input need not be a terminal: piped lines are read
one by one, and each is echoed after the prompt so the output reads as a transcript.
`python -m bot ask` prints its answer with `render_text` and loads with `load` too.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from typing import TextIO

from ..core.errors import BotError, UsageError
from .batch import json_line
from .conversation import fitting_history, shown_search_query

log = logging.getLogger(__name__)

PROMPT = "> "
EXIT_WORDS = frozenset({"exit", "quit"})
LOADING = "Loading the model and the article index…"
UNEXPECTED = "Something went wrong on our side while answering ({name}) - ask again, or another question"


def load(qa) -> float:
    """Load `qa`'s model and index (the start-up cost, which no question's `latency_ms`
    includes); the milliseconds it took."""
    started = time.perf_counter()
    qa.load()
    return (time.perf_counter() - started) * 1000


def render_text(answer) -> str:
    """An answer as the terminal shows it: the short answer first (when the question asks
    for a fact), the response with its [n] markers, then each citation on one line,
    `[n] ¶10 <article title>: "<the quoted sentence(s)>"`. Article text has its control
    characters made visible, so an article cannot send escape sequences to the terminal."""
    from .render import clean_text

    def line(text: str) -> str:
        return clean_text(" ".join(text.split()))

    lines = []
    short = answer.short_answer
    if short and not answer.abstained and not answer.response.startswith(short):  # the quoted answerer leads with it
        lines.append(line(short))
    lines.append(clean_text(answer.response))
    if answer.notice:
        lines.append(f"({line(answer.notice)})")
    query = shown_search_query(answer.to_dict())
    if query:
        lines.append(f"Searched for: {line(query)}")
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            lines.append(f'[{c.marker}] {c.label} {line(c.article_title)}: "{line(c.quote)}"')
    return "\n".join(lines)


def read_questions(stdin: TextIO, out: TextIO, *, echo: bool = True) -> Iterator[str]:
    """The questions typed (or piped) in, until `exit`, `quit` or the end of the input.
    Empty lines are skipped. At a terminal the prompt comes first; from a pipe the line is
    echoed after it (`echo`), so the output reads like the session would at a terminal."""
    from .render import clean_text, clip

    interactive = stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401 - line editing and ↑ for earlier questions in input()
        except ImportError:
            pass
    while True:
        if interactive:
            try:
                line = input(PROMPT)
            except EOFError:
                print(file=out)
                return
        else:
            line = stdin.readline()
            if not line:
                return
            line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if line.strip().lower() in EXIT_WORDS:
            return
        if echo and not interactive:
            print(PROMPT + clean_text(clip(line)), file=out)
        yield line


def run_chat(qa, *, article_id: str | None = None, as_json: bool = False, stdin=None, out=None) -> int:
    """The conversation over a loaded-on-start `qa` (an `ArticleQA`); 0 when it ends as asked.

    A problem before the first question (no articles, a broken index, an unknown
    `article_id`) is raised, as `ask` raises it; during the chat, a question's error is
    printed and the chat goes on."""
    stdin = sys.stdin if stdin is None else stdin
    out = sys.stdout if out is None else out
    if stdin is None:  # started with standard input closed
        raise UsageError("No input to read questions from - run it at a terminal, or pipe the questions in")
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(errors="replace")  # a stray byte in a pipe is a U+FFFD, not a crash
    print(LOADING, file=sys.stderr, flush=True)
    load(qa)
    index = qa.index()
    index.check_article(article_id)
    print(
        f"Ready: {len(index.articles)} article(s), {len(index.chunks)} passages. "
        "Ask a question; exit, quit or Ctrl-D ends the chat.",
        file=sys.stderr,
        flush=True,
    )
    history: list[dict] = []
    try:
        for question in read_questions(stdin, out, echo=not as_json):
            try:
                answer = qa.ask(question, history, article_id=article_id)
            except BotError as e:
                print(f"error: {e}", file=sys.stderr, flush=True)
                continue
            except Exception as e:  # noqa: BLE001 - one failed question must not end the chat
                log.debug("answering %r failed", question[:200], exc_info=True)
                print(f"error: {UNEXPECTED.format(name=e.__class__.__name__)}", file=sys.stderr, flush=True)
                continue
            turn = [{"role": "user", "content": answer.user_input}, {"role": "assistant", "content": answer.response}]
            history = fitting_history(history + turn)  # kept as long as it is sent, no longer
            if as_json:  # one JSON line per answer
                print(json_line(answer.to_dict()), file=out, flush=True)
            else:
                print(render_text(answer) + "\n", file=out, flush=True)
    except KeyboardInterrupt:  # Ctrl-C ends the chat as exit does
        print(file=out)
    return 0
