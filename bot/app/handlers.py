"""What the chat page does, apart from how it looks: one method per page event.

`Handlers` is built by `bot.app.ui.create_app` over an `ArticleQA` (the shared one by
default, made on first use). Bad input and failures become messages on the page, never
exceptions; the `ask` API endpoint raises them as `gr.Error`.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import gradio as gr

from ..core.answer import Answer
from ..core.errors import BotError
from . import panels, render
from .conversation import fitting_history
from .evaluation_tab import SHIPPED_EVAL, evaluation_view
from .examples import examples_for
from .exports import export_files, turns_from_export
from .feedback import RATINGS, feedback_record, vote, withdraw

log = logging.getLogger(__name__)

# The evaluation summary shipped with the repository (`make eval` regenerates it).
UNEXPECTED = "Something went wrong on our side while answering - please ask again."
UNEXPECTED_LOAD = "The article index could not be loaded - see the server log, then reload the page."
EMPTY_QUESTION = "Type a question about the article first."


def page_title(n_articles: int) -> str:
    """The page's heading: one article, or how many the chat reads.

    >>> page_title(1), page_title(3)
    ('# Chat with this article', '# Chat with 3 articles')
    """
    return "# Chat with this article" if n_articles == 1 else f"# Chat with {n_articles} articles"


def last_answered(turns: list[dict]) -> int | None:
    """Index of the newest turn that has an answer (the one the sources panel shows)."""
    return next((n for n in range(len(turns) - 1, -1, -1) if turns[n].get("answer")), None)


def is_blank(message) -> bool:
    """Nothing to ask: no text, or only spaces (an Ask pressed on an empty box)."""
    return not isinstance(message, str) or not message.strip()


def new_answer_id() -> str:
    """An id for an answer shown in the chat: its citation links and its feedback line use it."""
    return uuid.uuid4().hex[:12]


def answer_turn(qa, message, turns: list[dict], article_id: str | None = None):
    """Yield (turns, growing text) while the answer streams; the last turn ends answered or failed.

    Bad input and failures become a friendly message in the chat, never an exception.
    """
    question = message if isinstance(message, str) else ""
    shown = question if len(question) <= render.SHOWN_QUESTION_CHARS * 2 else render.clip(question)
    turn: dict[str, Any] = {"question": shown, "answer": None, "error": None, "vote": None}
    history = fitting_history(render.qa_history(turns))  # a long chat sends its last turns, never fails on length
    yield turns + [turn], None
    try:
        for item in qa.stream(question, history, article_id=article_id or None):
            if isinstance(item, Answer):
                answer = item.to_dict()
                answer["id"] = answer.get("id") or new_answer_id()
                turn = {**turn, "question": item.user_input, "answer": answer}
            else:
                yield turns + [turn], item
    except BotError as e:
        turn = {**turn, "error": str(e)}
    except Exception:  # noqa: BLE001 - the page shows a message, the log keeps the trace
        log.exception("answering %r failed", question[:200])
        turn = {**turn, "error": UNEXPECTED}
    yield turns + [turn], None


def turn_of_message(index) -> int:
    """The turn a chat message belongs to: two messages per turn."""
    n = index if isinstance(index, int) else index[0]
    return n // 2


def chat_update(turns: list[dict], shown: int | None, pending: str | None = None):
    """The chat's messages and each answer's 👍/👎 state, the answer `shown` marked."""
    messages: Any = render.chat_messages(turns, pending, shown)  # message dicts, as Gradio takes them
    return gr.Chatbot(value=messages, feedback_value=render.feedback_values(turns))


def _saving_failed(e: OSError, what: str) -> str:
    log.exception("writing feedback failed")
    return f"⚠️ Your {what} could not be saved ({render.escape_md(e.strerror or str(e))})."


class Handlers:
    """The page's event handlers over one `ArticleQA` (`qa`; None: the shared default)."""

    def __init__(self, qa=None, eval_dir=SHIPPED_EVAL):
        self._qa, self.eval_dir = qa, eval_dir

    def qa(self):
        if self._qa is not None:
            return self._qa
        from ..answering.pipeline import default

        return default()

    def ask(self, question: str, history: list[dict] | None = None, article_id: str | None = None) -> dict:
        try:
            return self.qa().ask(question, history or None, article_id=article_id or None).to_dict()
        except BotError as e:
            raise gr.Error(str(e), print_exception=False) from None

    def on_load(self):
        skip = (gr.skip(), gr.skip(), gr.skip())
        try:
            pipeline = self.qa()
            pipeline.warm_up()
            articles = list(pipeline.index().articles.values())
        except BotError as e:
            return gr.skip(), f"⚠️ {render.escape_md(str(e))}", gr.skip(), gr.Textbox(interactive=True), gr.skip(), *skip
        except Exception:  # noqa: BLE001 - the page shows a message, the log keeps the trace
            log.exception("warm-up failed")
            return gr.skip(), f"⚠️ {UNEXPECTED_LOAD}", gr.skip(), gr.Textbox(interactive=True), gr.skip(), *skip
        backend = panels.backend_name(pipeline.settings.llm)
        ready = f"✅ Ready - answers come from {render.escape_md(backend)}, each with its sources."
        examples = [{"text": q} for q in examples_for(pipeline, articles)]
        # With several articles, a question can be limited to one of them.
        choices = [("All articles", "")] + [(f"{a.title} ({a.published or 'undated'})", a.id) for a in articles]
        selector = gr.Dropdown(choices=choices, value="", visible=len(articles) > 1)
        return (
            render.article_header(articles),
            ready,
            gr.Chatbot(examples=examples),
            gr.Textbox(interactive=True),
            selector,
            panels.article_view(articles),
            {m["id"]: m for m in render.article_meta(articles)},
            page_title(len(articles)),
        )

    def respond(self, message, turns, article_id, metas):
        turns = list(turns or [])
        if is_blank(message):  # no bubble and no call to the bot: a passing note (no 👍/👎 on it) says why
            gr.Warning(EMPTY_QUESTION, duration=4)
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), ""
            return
        for now, pending in answer_turn(self.qa(), message, turns, article_id):
            current = last_answered(now)
            shown = now[current] if current is not None else None
            yield chat_update(now, current, pending), now, current, panels.sources_html(shown, metas), ""

    def on_article(self, article_id):
        """The selection changed: the header, the examples and the article view follow it."""
        try:
            pipeline = self.qa()
            articles = list(pipeline.index().articles.values())
            chosen = [a for a in articles if a.id == article_id] or articles
            examples = [{"text": q} for q in examples_for(pipeline, articles, article_id or None)]
        except BotError as e:
            return gr.skip(), f"⚠️ {render.escape_md(str(e))}", gr.skip(), gr.skip(), gr.skip()
        except Exception:  # noqa: BLE001 - the page shows a message, the log keeps the trace
            log.exception("switching articles failed")
            return gr.skip(), f"⚠️ {UNEXPECTED_LOAD}", gr.skip(), gr.skip(), gr.skip()
        title = page_title(len(chosen))
        return (
            render.article_header(chosen),
            gr.skip(),
            gr.Chatbot(examples=examples),
            panels.article_view(chosen),
            title,
        )

    @staticmethod
    def pick_example(evt: gr.SelectData):
        return evt.value["text"]

    @staticmethod
    def show_sources(turns, metas, evt: gr.SelectData):
        """A click on an answer (or on one of its [n] links) shows its sources and marks it."""
        n = turn_of_message(evt.index)
        if not 0 <= n < len(turns or []) or not turns[n].get("answer"):
            return gr.skip(), gr.skip(), gr.skip()
        return panels.sources_html(turns[n], metas), n, chat_update(turns, n)

    def rate(self, turns, evt: gr.LikeData):
        """Gradio's 👍/👎 on a message: the answer's one vote, replaced on a change, removed when taken back."""
        n = turn_of_message(evt.index)
        turn = (turns or [])[n] if 0 <= n < len(turns or []) else None
        if not turn or not turn.get("answer"):
            return "Only an answer can be rated.", gr.skip(), gr.skip(), gr.skip()
        if turn.get("loaded"):
            return (
                "Only answers given in this session can be rated - ask that question again to rate it.",
                gr.skip(),
                gr.skip(),
                gr.skip(),
            )
        rating = "up" if evt.liked is True else "down" if evt.liked is False else None  # "": taken back
        # A comment belongs to the vote it was written for: a changed or withdrawn vote drops it.
        comment = turn.get("comment") if rating is not None and rating == turn.get("vote") else None
        path = self.qa().settings.feedback_path
        try:
            if rating is None:
                withdraw(path, turn["answer"]["id"])
            else:
                vote(path, feedback_record(turn["answer"], rating, comment))
        except OSError as e:
            return _saving_failed(e, "rating"), gr.skip(), gr.skip(), gr.skip()
        turns = [*turns[:n], {**turn, "vote": rating, "comment": comment}, *turns[n + 1 :]]
        question = render.escape_md(render.clip(turn["answer"]["user_input"], 80))
        if rating is None:
            return f"Your rating of “{question}” is withdrawn.", turns, None, gr.Row(visible=False)
        return (
            f"Thanks - {RATINGS[rating]} saved for “{question}”. You can add a comment.",
            turns,
            n,
            gr.Row(visible=True),
        )

    def send_comment(self, turns, rated_turn, comment):
        turn = (turns or [])[rated_turn] if rated_turn is not None and rated_turn < len(turns or []) else None
        if not turn or not turn.get("vote"):
            return "Rate an answer with 👍 or 👎 first, then comment.", gr.skip(), gr.skip()
        try:
            vote(self.qa().settings.feedback_path, feedback_record(turn["answer"], turn["vote"], comment))
        except OSError as e:
            return _saving_failed(e, "comment"), gr.skip(), gr.skip()
        turns = [*turns[:rated_turn], {**turn, "comment": comment}, *turns[rated_turn + 1 :]]
        return f"Comment saved with your {RATINGS[turn['vote']]} - thanks.", turns, ""

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
        hidden = gr.File(value=None, visible=False)
        return [], [], None, panels.sources_html(None), hidden, "", "", None, gr.Row(visible=False)

    @staticmethod
    def load_conversation(path, metas):
        try:
            turns = turns_from_export(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), f"⚠️ {render.escape_md(str(e))}"
        for turn in turns:
            if turn["answer"] is not None:
                turn["answer"]["id"] = turn["answer"].get("id") or new_answer_id()
        current = last_answered(turns)
        return (
            chat_update(turns, current),
            turns,
            current,
            panels.sources_html(turns[current] if current is not None else None, metas),
            f"Loaded a conversation of {len(turns)} question(s).",
        )

    def show_evaluation(self):
        summary, plots = evaluation_view(self.eval_dir)
        return summary, gr.Gallery(value=plots or None, visible=bool(plots))
