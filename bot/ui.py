"""The Gradio chat: a thin layer over `ArticleQA` and the pure functions of `bot.render`.

`create_app()` builds the Blocks (testable, loads nothing); `launch()` warms the
model and index up in the background and serves the page. Programs call the `ask`
endpoint (`gradio_client.Client(url).predict(question, history, api_name="/ask")`)
and get `Answer.to_dict()` back.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

import gradio as gr

from . import render
from .answer import Answer
from .errors import BotError
from .feedback import RATINGS, feedback_record, record_feedback

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4  # answering is CPU-bound and short: a few at once keeps p95 low on 2 cores
QUEUE_SIZE = 256
LOADING = "⏳ Loading the article index and the embedding model…"
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

CSS = """
#sources .source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin: 8px 0; }
#sources .source-head { font-size: 0.9em; margin-bottom: 4px; }
#sources .source-label { font-weight: 600; }
#sources mark { background: #fde68a; color: inherit; padding: 0 2px; border-radius: 3px; }
#sources .sources-query, #sources .sources-backend, #sources .sources-notice { font-size: 0.85em; opacity: 0.85; margin: 2px 0; }
#sources .sources-empty, #sources .sources-none { opacity: 0.7; }
"""


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
    turn = {"question": shown, "answer": None, "error": None}
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
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    md = folder / f"conversation-{stamp}.md"
    js = folder / f"conversation-{stamp}.json"
    md.write_text(render.export_markdown(turns, articles), encoding="utf-8")
    js.write_text(render.export_json(turns, articles), encoding="utf-8")
    return [str(md), str(js)]


def evaluation_view(root: str = "eval-runs", loader=None) -> tuple[str, list[str]]:
    """The newest evaluation run's summary and plots, or a note saying how to make one."""
    if loader is None:
        try:
            from .report import latest_report as loader
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


def create_app(qa=None, *, eval_root: str = "eval-runs") -> gr.Blocks:
    """The Blocks of the chat page. `qa` is an `ArticleQA`; by default the shared one, made on first use."""

    def get_qa():
        if qa is not None:
            return qa
        from .qa import default

        return default()

    def ask(question: str, history: list[dict] | None = None) -> dict:
        """Answer a question about the article; returns the Answer as a dict with its citations."""
        try:
            return get_qa().ask(question, history or None).to_dict()
        except BotError as e:
            raise gr.Error(str(e), print_exception=False) from None

    def on_load():
        try:
            pipeline = get_qa()
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
        return (render.article_header(articles), ready, gr.Chatbot(examples=examples), gr.Textbox(interactive=True),
                selector)

    def respond(message, turns, article_id=""):
        turns = list(turns or [])
        for now, pending in answer_turn(get_qa(), message, turns, article_id):
            current = last_answered(now)
            yield (render.chat_messages(now, pending), now, current,
                   render.sources_html(now[current] if current is not None else None), "")

    def pick_example(evt: gr.SelectData):
        return evt.value["text"]

    def show_sources(turns, evt: gr.SelectData):
        n = evt.index if isinstance(evt.index, int) else evt.index[0]
        n //= 2  # two messages per turn
        if not 0 <= n < len(turns or []):
            return gr.skip(), gr.skip()
        return render.sources_html(turns[n]), n

    def rate(rating):
        def handler(turns, current, comment):
            turn = (turns or [])[current] if current is not None and current < len(turns or []) else None
            if not turn or not turn.get("answer"):
                return "Ask a question first, then rate its answer.", gr.skip()
            try:
                record_feedback(get_qa().settings.feedback_path, feedback_record(turn["answer"], rating, comment))
            except OSError as e:
                log.exception("writing feedback failed")
                return f"⚠️ Your rating could not be saved ({render.escape_md(e.strerror or str(e))}).", gr.skip()
            question = render.escape_md(render.clip(turn["answer"]["user_input"], 80))
            return f"Thanks - {RATINGS[rating]} saved for “{question}”.", ""

        return handler

    def export(turns):
        if not turns:
            return gr.File(value=None, visible=False), "Nothing to export yet - ask a question first."
        try:
            articles = render.article_meta(get_qa().index().articles.values())
        except BotError as e:
            return gr.skip(), f"⚠️ {render.escape_md(str(e))}"
        return gr.File(value=export_files(turns, articles), visible=True), "Conversation exported: Markdown and JSON."

    def clear():
        return [], [], None, render.sources_html(None), gr.File(value=None, visible=False), "", ""

    def load_conversation(path):
        try:
            turns = render.turns_from_export(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), f"⚠️ {render.escape_md(str(e))}"
        current = last_answered(turns)
        return (render.chat_messages(turns), turns, current,
                render.sources_html(turns[current] if current is not None else None),
                f"Loaded a conversation of {len(turns)} question(s).")

    def show_evaluation():
        summary, plots = evaluation_view(eval_root)
        return summary, gr.Gallery(value=plots or None, visible=bool(plots))

    with gr.Blocks(title="Ask the article") as demo:
        turns = gr.State([])
        current = gr.State(None)
        header = gr.Markdown("## Ask the article", elem_id="article-header")
        status = gr.Markdown(LOADING, elem_id="status")
        article = gr.Dropdown(label="Article", choices=[("All articles", "")], value="", visible=False,
                              elem_id="article-selector")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(elem_id="chat", label="Chat", height=480, latex_delimiters=[],
                                             feedback_options=None, buttons=["copy"],
                                             placeholder="Ask a question about the article. "
                                                         "Every answer cites the passage it comes from.")
                        with gr.Row():
                            box = gr.Textbox(show_label=False, placeholder="Ask about the article…", scale=5,
                                             elem_id="question", interactive=False, autofocus=True)
                            send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask-button")
                        with gr.Row():
                            clear_btn = gr.Button("🗑️ Clear", size="sm", elem_id="clear-button")
                            export_btn = gr.Button("⬇️ Export conversation", size="sm", elem_id="export-button")
                            upload = gr.UploadButton("📂 Load conversation", size="sm", file_types=[".json"],
                                                     elem_id="load-button")
                        note = gr.Markdown("", elem_id="note")
                        files = gr.File(label="Exported conversation", file_count="multiple", interactive=False,
                                        visible=False, elem_id="exports")
                    with gr.Column(scale=2):
                        gr.Markdown("### Sources")
                        sources = gr.HTML(render.sources_html(None), elem_id="sources", js_on_load=None)
                        comment = gr.Textbox(label="Comment (optional)", lines=2, elem_id="comment",
                                             placeholder="What was good or wrong about this answer?")
                        with gr.Row():
                            up = gr.Button("👍 Helpful", size="sm", elem_id="rate-up")
                            down = gr.Button("👎 Not helpful", size="sm", elem_id="rate-down")
                        rated = gr.Markdown("", elem_id="rated")
            with gr.Tab("Evaluation", id="eval-tab") as eval_tab:
                eval_md = gr.Markdown(elem_id="eval-summary")
                eval_plots = gr.Gallery(label="Plots", columns=2, height="auto", visible=False, elem_id="eval-plots")

        demo.load(on_load, None, [header, status, chatbot, box, article], api_visibility="private")
        chat_io = dict(inputs=[box, turns, article], outputs=[chatbot, turns, current, sources, box],
                       api_visibility="private")
        box.submit(respond, **chat_io)
        send.click(respond, **chat_io)
        chatbot.example_select(pick_example, None, box, api_visibility="private").then(respond, **chat_io)
        chatbot.select(show_sources, [turns], [sources, current], api_visibility="private")
        up.click(rate("up"), [turns, current, comment], [rated, comment], api_visibility="private")
        down.click(rate("down"), [turns, current, comment], [rated, comment], api_visibility="private")
        export_btn.click(export, [turns], [files, note], api_visibility="private")
        cleared = [chatbot, turns, current, sources, files, rated, note]
        clear_btn.click(clear, None, cleared, api_visibility="private")
        chatbot.clear(clear, None, cleared, api_visibility="private")  # the chat's own 🗑 forgets the turns too
        upload.upload(load_conversation, [upload], [chatbot, turns, current, sources, note], api_visibility="private")
        eval_tab.select(show_evaluation, None, [eval_md, eval_plots], api_visibility="private")
        gr.api(ask, api_name="ask")
    return demo


def concurrency_limit() -> int | str:
    """Gradio's own GRADIO_DEFAULT_CONCURRENCY_LIMIT wins when set; else our default."""
    return "not_set" if os.environ.get("GRADIO_DEFAULT_CONCURRENCY_LIMIT") else DEFAULT_CONCURRENCY


def launch(qa=None, *, eval_root: str = "eval-runs", warm: bool = True, **launch_kwargs) -> gr.Blocks:
    """Build the app, start warming the model and index up, and serve it.

    `launch_kwargs` go to `Blocks.launch` (server_name, server_port, prevent_thread_lock, …).
    """
    demo = create_app(qa, eval_root=eval_root)
    if warm:
        threading.Thread(target=_warm_up, args=(qa,), name="warm-up", daemon=True).start()
    demo.queue(default_concurrency_limit=concurrency_limit(), max_size=QUEUE_SIZE)
    launch_kwargs.setdefault("allowed_paths", [str(Path(eval_root).resolve())])
    demo.launch(css=CSS, footer_links=["api"], **launch_kwargs)
    return demo


def _warm_up(qa) -> None:
    try:
        if qa is None:
            from .qa import default

            qa = default()
        qa.warm_up()
    except Exception:  # noqa: BLE001 - the page's own load step shows the error to the user
        log.exception("warm-up failed")
