"""The Gradio chat: a thin layer over `ArticleQA` and the pure functions of `bot.app.render`.

`create_app()` builds the Blocks in named steps (testable, loads nothing): the page's
components (`_layout`), then its events wired to `Handlers` (`_wire`), then the `ask`
API endpoint. `launch()` warms the model and index up in the background and serves the
page. Programs call the `ask` endpoint
(`gradio_client.Client(url).predict(question, history, api_name="/ask")`) and get
`Answer.to_dict()` back.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from . import render
from .handlers import Handlers

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4  # answering is CPU-bound and short: a few at once keeps p95 low on 2 cores
QUEUE_SIZE = 256
LOADING = "⏳ Loading the article index and the embedding model…"

CSS = """
#sources .source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin: 8px 0; }
#sources .source-head { font-size: 0.9em; margin-bottom: 4px; }
#sources .source-label { font-weight: 600; }
#sources mark { background: #fde68a; color: inherit; padding: 0 2px; border-radius: 3px; }
#sources .sources-query, #sources .sources-backend, #sources .sources-notice { font-size: 0.85em; opacity: 0.85; margin: 2px 0; }
#sources .sources-empty, #sources .sources-none { opacity: 0.7; }
"""


def create_app(qa=None, *, eval_root: str = "eval-runs") -> gr.Blocks:
    """The Blocks of the chat page. `qa` is an `ArticleQA`; by default the shared one, made on first use."""
    handlers = Handlers(qa, eval_root)

    def ask(question: str, history: list[dict] | None = None) -> dict:
        """Answer a question about the article; returns the Answer as a dict with its citations."""
        return handlers.ask(question, history)

    with gr.Blocks(title="Ask the article") as demo:
        page = _layout()
        _wire(demo, page, handlers)
        gr.api(ask, api_name="ask")
    _optional_history(demo)
    return demo


def _optional_history(demo: gr.Blocks) -> None:
    """Let a caller of /ask leave `history` out, as the Python signature allows: Gradio
    counts the inputs before any default applies (and answered {"error": null})."""
    validate = demo.validate_inputs

    def validate_inputs(block_fn, inputs):
        if block_fn.api_name == "ask" and len(inputs) < len(block_fn.inputs):
            inputs.extend([None] * (len(block_fn.inputs) - len(inputs)))
        return validate(block_fn, inputs)

    demo.validate_inputs = validate_inputs  # type: ignore[method-assign]


def _layout() -> SimpleNamespace:
    """The page's components, by name: a chat column, a sources column, an evaluation tab."""
    page = SimpleNamespace()
    page.turns = gr.State([])
    page.current = gr.State(None)
    page.header = gr.Markdown("## Ask the article", elem_id="article-header")
    page.status = gr.Markdown(LOADING, elem_id="status")
    page.article = gr.Dropdown(
        label="Article", choices=[("All articles", "")], value="", visible=False, elem_id="article-selector"
    )
    with gr.Tabs():
        with gr.Tab("Chat", id="chat-tab"):
            with gr.Row():
                with gr.Column(scale=3):
                    _chat_column(page)
                with gr.Column(scale=2):
                    _sources_column(page)
        with gr.Tab("Evaluation", id="eval-tab") as page.eval_tab:
            page.eval_md = gr.Markdown(elem_id="eval-summary")
            page.eval_plots = gr.Gallery(label="Plots", columns=2, height="auto", visible=False, elem_id="eval-plots")
    return page


def _chat_column(page: SimpleNamespace) -> None:
    page.chatbot = gr.Chatbot(
        elem_id="chat",
        label="Chat",
        height=480,
        latex_delimiters=[],
        feedback_options=None,
        buttons=["copy"],
        placeholder="Ask a question about the article. Every answer cites the passage it comes from.",
    )
    with gr.Row():
        page.box = gr.Textbox(
            show_label=False,
            placeholder="Ask about the article…",
            scale=5,
            elem_id="question",
            interactive=False,
            autofocus=True,
        )
        page.send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask-button")
    with gr.Row():
        page.clear_btn = gr.Button("🗑️ Clear", size="sm", elem_id="clear-button")
        page.export_btn = gr.Button("⬇️ Export conversation", size="sm", elem_id="export-button")
        page.upload = gr.UploadButton("📂 Load conversation", size="sm", file_types=[".json"], elem_id="load-button")
    page.note = gr.Markdown("", elem_id="note")
    page.files = gr.File(
        label="Exported conversation", file_count="multiple", interactive=False, visible=False, elem_id="exports"
    )


def _sources_column(page: SimpleNamespace) -> None:
    gr.Markdown("### Sources")
    page.sources = gr.HTML(render.sources_html(None), elem_id="sources", js_on_load=None)
    page.comment = gr.Textbox(
        label="Comment (optional)", lines=2, elem_id="comment", placeholder="What was good or wrong about this answer?"
    )
    with gr.Row():
        page.up = gr.Button("👍 Helpful", size="sm", elem_id="rate-up")
        page.down = gr.Button("👎 Not helpful", size="sm", elem_id="rate-down")
    page.rated = gr.Markdown("", elem_id="rated")


def _wire(demo: gr.Blocks, p: SimpleNamespace, h: Handlers) -> None:
    """Every page event to its handler (none of them is part of the public API)."""
    demo.load(h.on_load, None, [p.header, p.status, p.chatbot, p.box, p.article], api_visibility="private")
    chat_io = dict(
        inputs=[p.box, p.turns, p.article],
        outputs=[p.chatbot, p.turns, p.current, p.sources, p.box],
        api_visibility="private",
    )
    p.box.submit(h.respond, **chat_io)
    p.send.click(h.respond, **chat_io)
    p.chatbot.example_select(h.pick_example, None, p.box, api_visibility="private").then(h.respond, **chat_io)
    p.chatbot.select(h.show_sources, [p.turns], [p.sources, p.current], api_visibility="private")
    p.up.click(h.rate("up"), [p.turns, p.current, p.comment], [p.rated, p.comment], api_visibility="private")
    p.down.click(h.rate("down"), [p.turns, p.current, p.comment], [p.rated, p.comment], api_visibility="private")
    p.export_btn.click(h.export, [p.turns], [p.files, p.note], api_visibility="private")
    cleared = [p.chatbot, p.turns, p.current, p.sources, p.files, p.rated, p.note]
    p.clear_btn.click(h.clear, None, cleared, api_visibility="private")
    p.chatbot.clear(h.clear, None, cleared, api_visibility="private")  # the chat's own 🗑 forgets the turns too
    p.upload.upload(
        h.load_conversation, [p.upload], [p.chatbot, p.turns, p.current, p.sources, p.note], api_visibility="private"
    )
    p.eval_tab.select(h.show_evaluation, None, [p.eval_md, p.eval_plots], api_visibility="private")


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
            from ..answering.pipeline import default

            qa = default()
        qa.warm_up()
    except Exception:  # noqa: BLE001 - the page's own load step shows the error to the user
        log.exception("warm-up failed")
