"""The Gradio chat: a thin layer over `ArticleQA` and the pure functions of `bot.render`.

`create_app()` builds the Blocks (testable, loads nothing); `launch()` warms the
model and index up in the background and serves the page. Programs call the `ask`
endpoint (`gradio_client.Client(url).predict(question, history, api_name="/ask")`)
and get `Answer.to_dict()` back.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import gradio as gr

from . import render
from .answer import Answer
from .errors import BotError
from .feedback import RATINGS, feedback_record, vote, withdraw

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4  # answering is CPU-bound and short: a few at once keeps p95 low on 2 cores
QUEUE_SIZE = 256
LOADING = "⏳ Loading the article index and the embedding model…"
# The evaluation summary shipped with the repository (`make eval` regenerates it).
SHIPPED_EVAL = Path(__file__).resolve().parent.parent / "docs" / "eval"
NO_EVAL = "No evaluation summary is shipped with this copy of the app."
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
#page-title h1 { font-size: 1.4em; margin: 0; }
#article-header p { margin: 2px 0; }
#article-header .article-title { font-weight: 600; }
#status p { font-size: 0.85em; margin: 0; opacity: 0.8; }
#sources .source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin: 8px 0;
                   scroll-margin: 12px; }
#sources .source.highlighted { border-color: var(--color-accent); box-shadow: 0 0 0 2px var(--color-accent);
                               animation: source-flash 1.2s ease-out 1; }
@keyframes source-flash { 0% { background: #fde68a; } 100% { background: transparent; } }
#sources .source-head { font-size: 0.9em; margin-bottom: 4px; }
#sources .source-label { font-weight: 600; }
#sources mark, #article-text .cited { background: #fde68a; color: inherit; padding: 0 2px; border-radius: 3px; }
#sources dl.meta-fields { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0; }
#sources dl.meta-fields dt { font-weight: 600; opacity: 0.8; }
#sources dl.meta-fields dd { margin: 0; }
#sources .sources-query, #sources .sources-backend, #sources .sources-notice { font-size: 0.85em; opacity: 0.85; margin: 2px 0; }
#sources .sources-empty, #sources .sources-none { opacity: 0.7; }
#chat details.msg-sources, #chat details.closest { font-size: 0.85em; opacity: 0.9; margin-top: 4px; }
#chat details summary { cursor: pointer; }
#chat .shown-in-sources { font-size: 0.8em; color: var(--color-accent); }
#chat a.cite { text-decoration: none; font-weight: 600; }
#article-text .para { margin: 6px 0; }
#article-text .pnum { font-size: 0.8em; opacity: 0.7; margin-right: 4px; }
#article-text .byline { opacity: 0.8; }
@media (max-width: 720px) {
  #chat { height: calc(100dvh - 420px) !important; min-height: 220px; }
  #page-title h1 { font-size: 1.15em; }
  #article-header { font-size: 0.85em; }
  #tools button { flex: 1 1 30%; min-width: 0; }
}
"""

# Citation links: a click shows the card in the Sources panel (the chat's own select event
# switches the panel to that answer first, when it showed another) and marks the passage in
# "Read the article".
CITE_SCRIPT = """
<script>
(() => {
  let cited = null;
  const mark = () => {
    document.querySelectorAll('#article-text .cited').forEach(e => e.classList.remove('cited'));
    if (!cited) return;
    const para = document.querySelector(
      `#article-text .reader[data-article="${CSS.escape(cited.article)}"] .para[data-paragraph="${cited.paragraph}"]`);
    if (para) para.classList.add('cited');
  };
  const show = (key, n, tries) => {
    const card = document.getElementById(`src-${key}-${n}`);
    if (!card) { if (tries > 0) setTimeout(() => show(key, n, tries - 1), 100); return; }
    document.querySelectorAll('#sources .source.highlighted').forEach(e => e.classList.remove('highlighted'));
    card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    void card.offsetWidth;  // restart the flash
    card.classList.add('highlighted');
    cited = {article: card.dataset.article, paragraph: card.dataset.paragraph};
    mark();
  };
  document.addEventListener('click', ev => {
    const link = ev.target.closest && ev.target.closest('a.cite');
    if (link) {
      ev.preventDefault();
      const m = /^#cite-(.+)-(\\d+)$/.exec(link.getAttribute('href') || '');
      if (m) show(m[1], m[2], 60);
    } else if (ev.target.closest && ev.target.closest('[role=tab]')) {
      setTimeout(mark, 50);  // the article view is drawn when its tab opens
    }
  }, true);
})();
</script>
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


def new_answer_id() -> str:
    """An id for an answer shown in the chat: its citation links and its feedback line use it."""
    return uuid.uuid4().hex[:12]


def answer_turn(qa, message, turns: list[dict], article_id: str | None = None):
    """Yield (turns, growing text) while the answer streams; the last turn ends answered or failed.

    Bad input and failures become a friendly message in the chat, never an exception.
    """
    question = message if isinstance(message, str) else ""
    shown = question if len(question) <= render.SHOWN_QUESTION_CHARS * 2 else render.clip(question)
    turn = {"question": shown, "answer": None, "error": None, "vote": None}
    history = render.qa_history(turns)
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


def export_files(turns: list[dict], articles: list[dict], folder: Path | None = None) -> list[str]:
    """Write the conversation as Markdown and JSON files; return their paths."""
    folder = Path(folder or tempfile.mkdtemp(prefix="bot-export-"))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    md = folder / f"conversation-{stamp}.md"
    js = folder / f"conversation-{stamp}.json"
    md.write_text(render.export_markdown(turns, articles), encoding="utf-8")
    js.write_text(render.export_json(turns, articles), encoding="utf-8")
    return [str(md), str(js)]


def shipped_report(folder) -> tuple[str, list[str]] | None:
    """(Markdown summary, plots) of the evaluation summary in `folder`, or None when it has none."""
    from .report import PLOTS, format_summary

    summary = Path(folder) / "summary.json"
    if not summary.is_file():
        return None
    text = format_summary(json.loads(summary.read_text(encoding="utf-8")))
    return text, [str(Path(folder) / p) for p in PLOTS]


def evaluation_view(folder=SHIPPED_EVAL, loader=None) -> tuple[str, list[str]]:
    """The shipped evaluation summary and its plots, or a note saying there is none."""
    loader = loader or shipped_report
    try:
        found = loader(str(folder))
    except Exception:  # noqa: BLE001 - a broken summary must not break the page
        log.exception("reading the evaluation summary in %s failed", folder)
        return f"The evaluation summary in `{folder}` could not be read - see the server log. {NO_EVAL}", []
    if not found:
        return NO_EVAL, []
    summary, plots = found
    return summary, [str(p) for p in plots if Path(p).is_file()]


def turn_of_message(index) -> int:
    """The turn a chat message belongs to: two messages per turn."""
    n = index if isinstance(index, int) else index[0]
    return n // 2


def create_app(qa=None, *, eval_dir=SHIPPED_EVAL) -> gr.Blocks:
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

    def chat_update(turns, shown, pending=None):
        return gr.Chatbot(value=render.chat_messages(turns, pending, shown),
                          feedback_value=render.feedback_values(turns))

    def on_load():
        try:
            pipeline = get_qa()
            pipeline.warm_up()
            articles = list(pipeline.index().articles.values())
        except BotError as e:
            return (gr.skip(), f"⚠️ {render.escape_md(str(e))}", gr.skip(), gr.Textbox(interactive=True), gr.skip(),
                    gr.skip(), gr.skip())
        except Exception:  # noqa: BLE001 - the page shows a message, the log keeps the trace
            log.exception("warm-up failed")
            return (gr.skip(), f"⚠️ {UNEXPECTED_LOAD}", gr.skip(), gr.Textbox(interactive=True), gr.skip(),
                    gr.skip(), gr.skip())
        backend = render.backend_name(pipeline.settings.llm)
        ready = f"✅ Ready - answers come from {render.escape_md(backend)}, each with its sources."
        examples = [{"text": q} for q in examples_for(articles)]
        # With several articles, a question can be limited to one of them.
        choices = [("All articles", "")] + [(f"{a.title} ({a.published or 'undated'})", a.id) for a in articles]
        selector = gr.Dropdown(choices=choices, value="", visible=len(articles) > 1)
        metas = {m["id"]: m for m in render.article_meta(articles)}
        return (render.article_header(articles), ready, gr.Chatbot(examples=examples), gr.Textbox(interactive=True),
                selector, render.article_view(articles), metas)

    def respond(message, turns, article_id, metas):
        turns = list(turns or [])
        for now, pending in answer_turn(get_qa(), message, turns, article_id):
            current = last_answered(now)
            yield (chat_update(now, current, pending), now, current,
                   render.sources_html(now[current] if current is not None else None, metas), "")

    def pick_example(evt: gr.SelectData):
        return evt.value["text"]

    def show_sources(turns, metas, evt: gr.SelectData):
        n = turn_of_message(evt.index)
        if not 0 <= n < len(turns or []) or not turns[n].get("answer"):
            return gr.skip(), gr.skip(), gr.skip()
        return render.sources_html(turns[n], metas), n, chat_update(turns, n)

    def on_like(turns, evt: gr.LikeData):
        n = turn_of_message(evt.index)
        turn = (turns or [])[n] if 0 <= n < len(turns or []) else None
        if not turn or not turn.get("answer"):
            return "Only an answer can be rated.", gr.skip(), gr.skip(), gr.skip()
        rating = {True: "up", False: "down"}.get(evt.liked)  # "" when the reader takes the vote back
        path = get_qa().settings.feedback_path
        try:
            if rating is None:
                withdraw(path, turn["answer"]["id"])
            else:
                vote(path, feedback_record(turn["answer"], rating, turn.get("comment")))
        except OSError as e:
            log.exception("writing feedback failed")
            return (f"⚠️ Your rating could not be saved ({render.escape_md(e.strerror or str(e))}).",
                    gr.skip(), gr.skip(), gr.skip())
        turns = [*turns[:n], {**turn, "vote": rating}, *turns[n + 1:]]
        question = render.escape_md(render.clip(turn["answer"]["user_input"], 80))
        if rating is None:
            return f"Your rating of “{question}” is withdrawn.", turns, None, gr.Row(visible=False)
        note = f"Thanks - {RATINGS[rating]} saved for “{question}”. You can add a comment."
        return note, turns, n, gr.Row(visible=True)

    def send_comment(turns, rated_turn, comment):
        turn = (turns or [])[rated_turn] if rated_turn is not None and rated_turn < len(turns or []) else None
        if not turn or not turn.get("vote"):
            return "Rate an answer with 👍 or 👎 first, then comment.", gr.skip(), gr.skip()
        try:
            vote(get_qa().settings.feedback_path, feedback_record(turn["answer"], turn["vote"], comment))
        except OSError as e:
            log.exception("writing feedback failed")
            return f"⚠️ Your comment could not be saved ({render.escape_md(e.strerror or str(e))}).", gr.skip(), gr.skip()
        turns = [*turns[:rated_turn], {**turn, "comment": comment}, *turns[rated_turn + 1:]]
        return f"Comment saved with your {RATINGS[turn['vote']]} - thanks.", turns, ""

    def export(turns):
        if not turns:
            return gr.File(value=None, visible=False), "Nothing to export yet - ask a question first."
        try:
            articles = render.article_meta(get_qa().index().articles.values())
        except BotError as e:
            return gr.skip(), f"⚠️ {render.escape_md(str(e))}"
        return gr.File(value=export_files(turns, articles), visible=True), "Conversation exported: Markdown and JSON."

    def clear():
        return ([], [], None, render.sources_html(None), gr.File(value=None, visible=False), "", "", None,
                gr.Row(visible=False))

    def load_conversation(path, metas):
        try:
            turns = render.turns_from_export(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), f"⚠️ {render.escape_md(str(e))}"
        for turn in turns:
            if turn["answer"] is not None:
                turn["answer"]["id"] = turn["answer"].get("id") or new_answer_id()
        current = last_answered(turns)
        return (chat_update(turns, current), turns, current,
                render.sources_html(turns[current] if current is not None else None, metas),
                f"Loaded a conversation of {len(turns)} question(s).")

    def show_evaluation():
        summary, plots = evaluation_view(eval_dir)
        return summary, gr.Gallery(value=plots or None, visible=bool(plots))

    with gr.Blocks(title="Chat with this article") as demo:
        turns = gr.State([])
        current = gr.State(None)
        rated_turn = gr.State(None)
        metas = gr.State({})
        gr.Markdown("# Chat with this article", elem_id="page-title")
        header = gr.Markdown("", elem_id="article-header")
        status = gr.Markdown(LOADING, elem_id="status")
        article = gr.Dropdown(label="Article", choices=[("All articles", "")], value="", visible=False,
                              elem_id="article-selector")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                with gr.Row():
                    with gr.Column(scale=3, min_width=320):
                        chatbot = gr.Chatbot(elem_id="chat", label="Chat", show_label=False, height=480, latex_delimiters=[],
                                             feedback_options=("Like", "Dislike"), buttons=["copy"],
                                             placeholder="Ask a question about the article. "
                                                         "Every answer cites the passage it comes from.")
                        with gr.Row(equal_height=True):
                            box = gr.Textbox(show_label=False, placeholder="Ask about the article…", scale=5,
                                             elem_id="question", interactive=False, autofocus=True, min_width=200)
                            send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask-button", min_width=60)
                        rated = gr.Markdown("", elem_id="rated")
                        with gr.Row(visible=False, elem_id="feedback-row") as comment_row:
                            comment = gr.Textbox(show_label=False, lines=1, scale=5, elem_id="feedback-comment",
                                                 placeholder="A comment on the answer you rated (optional)")
                            comment_send = gr.Button("Send", size="sm", scale=1, elem_id="feedback-send")
                        with gr.Row(elem_id="tools"):
                            clear_btn = gr.Button("🗑️ Clear", size="sm", elem_id="clear-button")
                            export_btn = gr.Button("⬇️ Export", size="sm", elem_id="export-button")
                            upload = gr.UploadButton("📂 Load", size="sm", file_types=[".json"],
                                                     elem_id="load-button")
                        note = gr.Markdown("", elem_id="note")
                        files = gr.File(label="Exported conversation", file_count="multiple", interactive=False,
                                        visible=False, elem_id="exports")
                    with gr.Column(scale=2, min_width=300):
                        gr.Markdown("### Sources")
                        sources = gr.HTML(render.sources_html(None), elem_id="sources", js_on_load=None)
            with gr.Tab("Read the article", id="read-tab"):
                reader = gr.HTML(render.article_view([]), elem_id="article-text", js_on_load=None)
            with gr.Tab("Evaluation", id="eval-tab") as eval_tab:
                eval_md = gr.Markdown(elem_id="eval-summary")
                eval_plots = gr.Gallery(label="Plots", columns=2, height="auto", visible=False, elem_id="eval-plots")

        demo.load(on_load, None, [header, status, chatbot, box, article, reader, metas], api_visibility="private")
        chat_io = dict(inputs=[box, turns, article, metas], outputs=[chatbot, turns, current, sources, box],
                       api_visibility="private")
        box.submit(respond, **chat_io)
        send.click(respond, **chat_io)
        chatbot.example_select(pick_example, None, box, api_visibility="private").then(respond, **chat_io)
        chatbot.select(show_sources, [turns, metas], [sources, current, chatbot], api_visibility="private")
        chatbot.like(on_like, [turns], [rated, turns, rated_turn, comment_row], api_visibility="private")
        comment_send.click(send_comment, [turns, rated_turn, comment], [rated, turns, comment],
                           api_visibility="private")
        comment.submit(send_comment, [turns, rated_turn, comment], [rated, turns, comment], api_visibility="private")
        export_btn.click(export, [turns], [files, note], api_visibility="private")
        cleared = [chatbot, turns, current, sources, files, rated, note, rated_turn, comment_row]
        clear_btn.click(clear, None, cleared, api_visibility="private")
        chatbot.clear(clear, None, cleared, api_visibility="private")  # the chat's own 🗑 forgets the turns too
        upload.upload(load_conversation, [upload, metas], [chatbot, turns, current, sources, note],
                      api_visibility="private")
        eval_tab.select(show_evaluation, None, [eval_md, eval_plots], api_visibility="private")
        gr.api(ask, api_name="ask")
    return demo


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
    demo.launch(css=CSS, head=CITE_SCRIPT, footer_links=["api"], **launch_kwargs)
    return demo


def _warm_up(qa) -> None:
    started = time.perf_counter()
    try:
        if qa is None:
            from .qa import default

            qa = default()
        qa.warm_up()
        index = qa.index()
    except Exception:  # noqa: BLE001 - the page's own load step shows the error to the user
        log.exception("warm-up failed")
        return
    log.info("Index ready: %d article(s), %d passages, model loaded, in %.1f s - answering questions",
             len(index.articles), len(index.chunks), time.perf_counter() - started)
