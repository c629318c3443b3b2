"""The Gradio chat: a thin layer over `ArticleQA` and the pure functions of `bot.app.render`
and `bot.app.panels`.

`create_app()` builds the Blocks in named steps (testable, loads nothing): the page's
components (`_layout`), then its events wired to `Handlers` (`_wire`), then the `ask`
API endpoint. `launch()` warms the model and index up in the background, logs one line
when they are ready, and serves the page with its style (page.css) and its script
(page.js: citation links, each answer's sources folded on a phone). Programs call the
`ask` endpoint (`gradio_client.Client(url).predict(question, history, api_name="/ask")`) and get
`Answer.to_dict()` back.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from . import panels
from .evaluation_tab import SHIPPED_EVAL
from .handlers import Handlers

log = logging.getLogger(__name__)

# Answering is CPU-bound and short: one at a time per core. Measured with 8 HTTP clients over
# the BBC corpus on 2 cores (docs/benchmarks.md): 2 at once against 4, p95 2,129 ms against
# 2,619, p50 1,674 against 1,594, the app's peak memory 1,179 MB against 1,225.
# At most 4 on larger machines: each answer under way holds its own activations in memory.
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
DEFAULT_CONCURRENCY = min(4, CORES)
QUEUE_SIZE = 256
LOADING = "⏳ Loading the article index and the embedding model…"
TITLE = "Chat with this article"
HERE = Path(__file__).resolve().parent


def create_app(qa=None, *, eval_dir=SHIPPED_EVAL) -> gr.Blocks:
    """The Blocks of the chat page. `qa` is an `ArticleQA`; by default the shared one, made on first use."""
    handlers = Handlers(qa, eval_dir)

    def ask(question: str, history: list[dict] | None = None, article_id: str | None = None) -> dict:
        """Answer a question about the article (`article_id`: one of several; none: all of
        them); returns the Answer as a dict with its citations."""
        return handlers.ask(question, history, article_id)

    with gr.Blocks(title=TITLE) as demo:
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
    """The page's components, by name: what it is, then the chat, the article and the evaluation."""
    page = SimpleNamespace()
    page.turns = gr.State([])
    page.current = gr.State(None)  # the turn whose sources the Sources panel shows
    page.rated_turn = gr.State(None)  # the turn a comment goes with
    page.metas = gr.State({})  # article id -> its own fields (title, author, dates, dateline, URL)
    page.title = gr.Markdown(f"# {TITLE}", elem_id="page-title")
    page.header = gr.Markdown("", elem_id="article-header")
    page.status = gr.Markdown(LOADING, elem_id="status")
    page.article = gr.Dropdown(
        label="Article", choices=[("All articles", "")], value="", visible=False, elem_id="article-selector"
    )
    with gr.Tabs():
        with gr.Tab("Chat", id="chat-tab"):
            with gr.Row():
                with gr.Column(scale=3, min_width=320):
                    _chat_column(page)
                with gr.Column(scale=2, min_width=300):
                    gr.Markdown("### Sources")
                    page.sources = gr.HTML(panels.sources_html(None), elem_id="sources", js_on_load=None)
        with gr.Tab("Read the article", id="read-tab"):
            page.reader = gr.HTML(panels.article_view([]), elem_id="article-text", js_on_load=None)
        with gr.Tab("Evaluation", id="eval-tab") as page.eval_tab:
            page.eval_md = gr.Markdown(elem_id="eval-summary")
            page.eval_plots = gr.Gallery(label="Plots", columns=2, height="auto", visible=False, elem_id="eval-plots")
    return page


def _chat_column(page: SimpleNamespace) -> None:
    page.chatbot = gr.Chatbot(
        elem_id="chat",
        label="Chat",
        show_label=False,
        height=480,
        latex_delimiters=[],
        feedback_options=("Like", "Dislike"),  # Gradio's own 👍/👎 under each answer
        buttons=["copy"],
        placeholder="Ask a question about the article. Every answer cites the passage it comes from.",
    )
    with gr.Row(equal_height=True):
        page.box = gr.Textbox(
            show_label=False,
            placeholder="Ask about the article…",
            scale=5,
            min_width=200,
            elem_id="question",
            interactive=False,
            autofocus=True,
        )
        page.send = gr.Button("Ask", variant="primary", scale=1, min_width=60, elem_id="ask-button")
    page.rated = gr.Markdown("", elem_id="rated")
    with gr.Row(visible=False, elem_id="feedback-row") as page.comment_row:
        page.comment = gr.Textbox(
            show_label=False,
            lines=1,
            scale=5,
            elem_id="feedback-comment",
            placeholder="A comment on the answer you rated (optional)",
        )
        page.comment_send = gr.Button("Send", size="sm", scale=1, elem_id="feedback-send")
    with gr.Row(elem_id="tools"):
        page.clear_btn = gr.Button("🗑️ Clear", size="sm", elem_id="clear-button")
        page.export_btn = gr.Button("⬇️ Export", size="sm", elem_id="export-button")
        page.upload = gr.UploadButton("📂 Load", size="sm", file_types=[".json"], elem_id="load-button")
    page.note = gr.Markdown("", elem_id="note")
    page.files = gr.File(
        label="Exported conversation", file_count="multiple", interactive=False, visible=False, elem_id="exports"
    )


def _wire(demo: gr.Blocks, p: SimpleNamespace, h: Handlers) -> None:
    """Every page event to its handler (none of them is part of the public API)."""
    private: Any = dict(api_visibility="private")
    loaded = [p.header, p.status, p.chatbot, p.box, p.article, p.reader, p.metas, p.title]
    demo.load(h.on_load, None, loaded, **private)
    chat_io: Any = dict(
        inputs=[p.box, p.turns, p.article, p.metas], outputs=[p.chatbot, p.turns, p.current, p.sources, p.box]
    )
    p.box.submit(h.respond, **chat_io, **private)
    p.send.click(h.respond, **chat_io, **private)
    p.chatbot.example_select(h.pick_example, None, p.box, **private).then(h.respond, **chat_io, **private)
    p.chatbot.select(h.show_sources, [p.turns, p.metas], [p.sources, p.current, p.chatbot], **private)
    p.chatbot.like(h.rate, [p.turns], [p.rated, p.turns, p.rated_turn, p.comment_row], **private)
    comment_io: Any = dict(inputs=[p.turns, p.rated_turn, p.comment], outputs=[p.rated, p.turns, p.comment])
    p.comment_send.click(h.send_comment, **comment_io, **private)
    p.comment.submit(h.send_comment, **comment_io, **private)
    p.export_btn.click(h.export, [p.turns], [p.files, p.note], **private)
    cleared = [p.chatbot, p.turns, p.current, p.sources, p.files, p.rated, p.note, p.rated_turn, p.comment_row]
    p.clear_btn.click(h.clear, None, cleared, **private)
    p.chatbot.clear(h.clear, None, cleared, **private)  # the chat's own 🗑 forgets the turns too
    p.upload.upload(
        h.load_conversation, [p.upload, p.metas], [p.chatbot, p.turns, p.current, p.sources, p.note], **private
    )
    p.eval_tab.select(h.show_evaluation, None, [p.eval_md, p.eval_plots], **private)
    p.article.change(h.on_article, [p.article], [p.header, p.status, p.chatbot, p.reader, p.title], **private)


def concurrency_limit() -> int | str:
    """Gradio's own GRADIO_DEFAULT_CONCURRENCY_LIMIT wins when set; else our default."""
    return "not_set" if os.environ.get("GRADIO_DEFAULT_CONCURRENCY_LIMIT") else DEFAULT_CONCURRENCY


def launch(qa=None, *, eval_dir=SHIPPED_EVAL, warm: bool = True, **launch_kwargs) -> gr.Blocks:
    """Build the app, start warming the model and index up, and serve it.

    `launch_kwargs` go to `Blocks.launch` (server_name, server_port, prevent_thread_lock, …).
    """
    demo = create_app(qa, eval_dir=eval_dir)
    if warm:
        threading.Thread(target=_warm_up, args=(qa,), name="warm-up", daemon=True).start()
    demo.queue(default_concurrency_limit=concurrency_limit(), max_size=QUEUE_SIZE)
    launch_kwargs.setdefault("allowed_paths", [str(Path(eval_dir).resolve())])
    css = (HERE / "page.css").read_text(encoding="utf-8")
    script = f"<script>\n{(HERE / 'page.js').read_text(encoding='utf-8')}</script>"
    demo.launch(css=css, head=script, footer_links=["api"], **launch_kwargs)
    return demo


def _warm_up(qa) -> None:
    started = time.perf_counter()
    try:
        if qa is None:
            from ..answering.pipeline import default

            qa = default()
        qa.warm_up()
        index = qa.index()
    except Exception:  # noqa: BLE001 - the page's own load step shows the error to the user
        log.exception("warm-up failed")
        return
    log.info(
        "Index ready: %d article(s), %d passages, model loaded, in %.1f s - answering questions",
        len(index.articles),
        len(index.chunks),
        time.perf_counter() - started,
    )
