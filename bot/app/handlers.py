"""What the chat page does, apart from how it looks: one method per page event.

`Handlers` is built by `bot.app.ui.create_app` over an `ArticleQA` (the shared one by
default, made on first use). Bad input and failures become messages on the page, never
exceptions; the `ask` API endpoint raises them as `gr.Error`.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from ..core.answer import Answer
from ..core.errors import BotError
from . import render
from .feedback import RATINGS, feedback_record, record_feedback

log = logging.getLogger(__name__)

NO_EVAL = "No evaluation run yet - run `python -m bot eval tests/eval/article.jsonl`"
UNEXPECTED = "Something went wrong on our side while answering - please ask again."
UNEXPECTED_LOAD = "The article index could not be loaded - see the server log, then reload the page."
EXAMPLES = {
    "2025-10-17-trump-putin-budapest": [
        "Where will Trump and Putin meet?",
        "What is the range of a Tomahawk missile?",
        "Who initiated the phone call?",
        "Who wrote the article?",
    ],
}
GENERIC_EXAMPLES = ["Who wrote the article?", "When was the article published?"]


def examples_for(articles) -> list[str]:
    """Example questions: hand-picked for a known article, generic otherwise."""
    for art in articles:
        if art.id in EXAMPLES:
            return EXAMPLES[art.id]
    return GENERIC_EXAMPLES


def last_answered(turns: list[dict]) -> int | None:
    """Index of the newest turn that has an answer (the one the sources panel shows)."""
    return next((n for n in range(len(turns) - 1, -1, -1) if turns[n].get("answer")), None)


def answer_turn(qa, message, turns: list[dict], article_id: str | None = None):
    """Yield (turns, growing text) while the answer streams; the last turn ends answered or failed.

    Bad input and failures become a friendly message in the chat, never an exception.
    """
    question = message if isinstance(message, str) else ""
    shown = question if len(question) <= render.SHOWN_QUESTION_CHARS * 2 else render.clip(question)
    turn: dict[str, Any] = {"question": shown, "answer": None, "error": None}
    history = render.qa_history(turns)
    yield turns + [turn], None
    try:
        for item in qa.stream(question, history, article_id=article_id or None):
            if isinstance(item, Answer):
                turn = {"question": item.user_input, "answer": item.to_dict(), "error": None}
            else:
                yield turns + [turn], item
    except BotError as e:
        turn = {**turn, "error": str(e)}
    except Exception:  # noqa: BLE001 - the page shows a message, the log keeps the trace
        log.exception("answering %r failed", question[:200])
        turn = {**turn, "error": UNEXPECTED}
    yield turns + [turn], None


def export_files(turns: list[dict], articles: list[dict], folder: Path | None = None) -> list[str]:
    """Write the conversation as Markdown and JSON files; return their paths."""
    folder = Path(folder or tempfile.mkdtemp(prefix="bot-export-"))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    md = folder / f"conversation-{stamp}.md"
    js = folder / f"conversation-{stamp}.json"
    md.write_text(render.export_markdown(turns, articles), encoding="utf-8")
    js.write_text(render.export_json(turns, articles), encoding="utf-8")
    return [str(md), str(js)]


def evaluation_view(root: str = "eval-runs", loader=None) -> tuple[str, list[str]]:
    """The newest evaluation run's summary and plots, or a note saying how to make one."""
    if loader is None:
        try:
            from ..evaluation.report import latest_report as loader
        except ImportError:
            return NO_EVAL, []
    try:
        found = loader(root)
    except Exception:  # noqa: BLE001 - a broken run folder must not break the page
        log.exception("reading the evaluation report under %s failed", root)
        return f"The newest evaluation run under `{root}` could not be read - see the server log. {NO_EVAL}", []
    if not found:
        return NO_EVAL, []
    summary, plots = found
    return summary, [str(p) for p in plots if Path(p).is_file()]


class Handlers:
    """The page's event handlers over one `ArticleQA` (`qa`; None: the shared default)."""

    def __init__(self, qa=None, eval_root: str = "eval-runs"):
        self._qa, self.eval_root = qa, eval_root

    def qa(self):
        if self._qa is not None:
            return self._qa
        from ..answering.pipeline import default

        return default()

    def ask(self, question: str, history: list[dict] | None = None) -> dict:
        try:
            return self.qa().ask(question, history or None).to_dict()
        except BotError as e:
            raise gr.Error(str(e), print_exception=False) from None

    def on_load(self):
        try:
            pipeline = self.qa()
            pipeline.warm_up()
            articles = list(pipeline.index().articles.values())
        except BotError as e:
            return gr.skip(), f"⚠️ {render.escape_md(str(e))}", gr.skip(), gr.Textbox(interactive=True), gr.skip()
        except Exception:  # noqa: BLE001 - the page shows a message, the log keeps the trace
            log.exception("warm-up failed")
            return gr.skip(), f"⚠️ {UNEXPECTED_LOAD}", gr.skip(), gr.Textbox(interactive=True), gr.skip()
        backend = render.backend_name(pipeline.settings.llm)
        ready = f"✅ Ready - answers come from {render.escape_md(backend)}, each with its sources."
        examples = [{"text": q} for q in examples_for(articles)]
        # With several articles, a question can be limited to one of them.
        choices = [("All articles", "")] + [(f"{a.title} ({a.published or 'undated'})", a.id) for a in articles]
        selector = gr.Dropdown(choices=choices, value="", visible=len(articles) > 1)
        return (
            render.article_header(articles),
            ready,
            gr.Chatbot(examples=examples),
            gr.Textbox(interactive=True),
            selector,
        )

    def respond(self, message, turns, article_id=""):
        turns = list(turns or [])
        for now, pending in answer_turn(self.qa(), message, turns, article_id):
            current = last_answered(now)
            yield (
                render.chat_messages(now, pending),
                now,
                current,
                render.sources_html(now[current] if current is not None else None),
                "",
            )

    @staticmethod
    def pick_example(evt: gr.SelectData):
        return evt.value["text"]

    @staticmethod
    def show_sources(turns, evt: gr.SelectData):
        n = evt.index if isinstance(evt.index, int) else evt.index[0]
        n //= 2  # two messages per turn
        if not 0 <= n < len(turns or []):
            return gr.skip(), gr.skip()
        return render.sources_html(turns[n]), n

    def rate(self, rating):
        def handler(turns, current, comment):
            turn = (turns or [])[current] if current is not None and current < len(turns or []) else None
            if not turn or not turn.get("answer"):
                return "Ask a question first, then rate its answer.", gr.skip()
            if turn.get("loaded"):
                return (
                    "Only answers given in this session can be rated - ask that question again to rate it.",
                    gr.skip(),
                )
            try:
                record_feedback(self.qa().settings.feedback_path, feedback_record(turn["answer"], rating, comment))
            except OSError as e:
                log.exception("writing feedback failed")
                return f"⚠️ Your rating could not be saved ({render.escape_md(e.strerror or str(e))}).", gr.skip()
            question = render.escape_md(render.clip(turn["answer"]["user_input"], 80))
            return f"Thanks - {RATINGS[rating]} saved for “{question}”.", ""

        return handler

    def export(self, turns):
        if not turns:
            return gr.File(value=None, visible=False), "Nothing to export yet - ask a question first."
        try:
            articles = render.article_meta(self.qa().index().articles.values())
        except BotError as e:
            return gr.skip(), f"⚠️ {render.escape_md(str(e))}"
        return gr.File(value=export_files(turns, articles), visible=True), "Conversation exported: Markdown and JSON."

    @staticmethod
    def clear():
        return [], [], None, render.sources_html(None), gr.File(value=None, visible=False), "", ""

    @staticmethod
    def load_conversation(path):
        try:
            turns = render.turns_from_export(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), f"⚠️ {render.escape_md(str(e))}"
        current = last_answered(turns)
        return (
            render.chat_messages(turns),
            turns,
            current,
            render.sources_html(turns[current] if current is not None else None),
            f"Loaded a conversation of {len(turns)} question(s).",
        )

    def show_evaluation(self):
        summary, plots = evaluation_view(self.eval_root)
        return summary, gr.Gallery(value=plots or None, visible=bool(plots))
