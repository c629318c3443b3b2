"""The UI's conversation: answering a turn (streaming, bad input, failures), the
evaluation tab, and building the app without loading anything.

Answers come from the real session pipeline (`qa`) or from small fakes; nothing here
starts a server (see test_ui_client.py and test_browser.py for that).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest
from conftest import read_jsonl

from bot.answering.guards import check_history
from bot.app import panels, render
from bot.app.evaluation_tab import NO_EVAL, evaluation_view
from bot.app.handlers import EMPTY_QUESTION, UNEXPECTED, Handlers, answer_turn
from bot.app.ui import create_app
from bot.core.answer import Answer
from bot.core.settings import MAX_HISTORY_TURNS

TOMAHAWK = "What is the range of a Tomahawk missile?"


# --- answering a turn: streaming, bad input, failures ---------------------------------


def run_turn(qa, message, turns=()):
    steps = list(answer_turn(qa, message, list(turns)))
    return steps, steps[-1][0]


def test_answer_turn_streams_then_stores_the_answer(qa):
    steps, turns = run_turn(qa, TOMAHAWK)
    assert steps[0] == ([{"question": TOMAHAWK, "answer": None, "error": None, "vote": None}], None)
    partial = [text for _, text in steps if text]
    assert partial and all(turns[-1]["answer"]["response"].startswith(p) for p in partial)
    answer = turns[-1]["answer"]
    assert answer["citations"][0]["paragraph"] == 10 and "[1]" in answer["response"]
    assert answer["id"] and run_turn(qa, TOMAHAWK)[1][-1]["answer"]["id"] != answer["id"]  # each its own id


def test_a_follow_up_uses_the_answered_history(qa):
    _, turns = run_turn(qa, "Tell me about the Tomahawk missile.")
    _, turns = run_turn(qa, "", turns)  # a failed turn in between is not history
    _, turns = run_turn(qa, "What is its range?", turns)
    answer = turns[-1]["answer"]
    assert "Tomahawk" in answer["search_query"] and answer["search_query"] != answer["user_input"]
    assert "995 miles" in answer["response"]


@pytest.mark.parametrize(
    "message, says",
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("why " * 25_000, "limit is 2,000"),
        ("🙂🚀🙂", "no words"),
        ("What is\x00 the range?\x1b[31m", "control characters"),
        (None, "empty"),
    ],
)
def test_bad_input_becomes_a_message_and_the_session_goes_on(qa, message, says):
    _, turns = run_turn(qa, message)
    assert turns[-1]["answer"] is None and says in turns[-1]["error"]
    assert len(render.chat_messages(turns)[0]["content"]) < 400
    _, turns = run_turn(qa, TOMAHAWK, turns)
    assert turns[-1]["answer"]["citations"][0]["paragraph"] == 10


def test_a_turn_limited_to_one_article_searches_only_that_article(qa):
    article_id = next(iter(qa.index().articles))
    _, turns = run_turn_in(qa, TOMAHAWK, article_id)
    assert turns[-1]["answer"]["citations"][0]["article_id"] == article_id
    # An article removed since the page loaded: the chat says so, rather than "the article doesn't say".
    _, turns = run_turn_in(qa, TOMAHAWK, "no-such-article")
    assert turns[-1]["answer"] is None
    assert turns[-1]["error"] == f"No article has the id 'no-such-article' - use one of: {article_id}"


def run_turn_in(qa, message, article_id):
    steps = list(answer_turn(qa, message, [], article_id))
    return steps, steps[-1][0]


class BrokenQA:
    """Fails the way a bug would: not a BotError."""

    def stream(self, question, history=None, article_id=None):
        raise RuntimeError("index exploded at 0xdeadbeef")
        yield  # a generator, like ArticleQA.stream


class StreamingQA:
    """Streams like an LLM backend: growing text, then an Answer that fell back with a notice."""

    def stream(self, question, history=None, article_id=None):
        yield "The Tomahawk"
        yield "The Tomahawk has a range"
        yield Answer(
            user_input=question,
            response="The Tomahawk has a range of 995 miles. [1]",
            abstained=False,
            backend="openai",
            notice="The language model timed out - this answer is extractive",
        )


def test_streamed_tokens_show_as_they_come_and_the_notice_stays():
    steps, turns = run_turn(StreamingQA(), "Range?")
    shown = [render.chat_messages(t, pending)[-1]["content"] for t, pending in steps]
    assert shown[1:3] == ["The Tomahawk …", "The Tomahawk has a range …"]
    assert "⚠️ The language model timed out" in shown[-1]
    panel = panels.sources_html(turns[-1])
    assert "OpenAI-compatible" in panel and "timed out" in panel


@pytest.mark.parametrize(
    "backend, name",
    [
        ("extractive", "the extractive answerer (quotes the article, no language model)"),
        ("llamacpp", "a local language model (llama.cpp)"),
        ("openai:gpt-4o-mini", "a language model through an OpenAI-compatible API (gpt-4o-mini)"),
        ("somethingnew", "somethingnew"),
        ("", "the extractive answerer (quotes the article, no language model)"),
    ],
)
def test_backend_name(backend, name):
    assert panels.backend_name(backend) == name


def test_an_unexpected_failure_shows_no_traceback():
    _, turns = run_turn(BrokenQA(), "Anything?")
    assert turns[-1]["error"] == UNEXPECTED
    assert "0xdeadbeef" not in json.dumps(render.chat_messages(turns))


# --- the evaluation tab and the app itself --------------------------------------------


def test_evaluation_view_shows_the_latest_run(tmp_path):
    plot = tmp_path / "recall.png"
    plot.write_bytes(b"\x89PNG\r\n\x1a\n")
    seen = []

    def loader(root):
        seen.append(root)
        return "## Run 1\nrecall@5 0.97", [str(plot), str(tmp_path / "gone.png")]

    assert evaluation_view(str(tmp_path), loader) == ("## Run 1\nrecall@5 0.97", [str(plot)])
    assert seen == [str(tmp_path)]
    assert evaluation_view(str(tmp_path), lambda root: None) == (NO_EVAL, [])


def test_evaluation_view_survives_a_broken_report(tmp_path):
    def loader(root):
        raise KeyError("summary.json")

    summary, plots = evaluation_view(str(tmp_path), loader)
    assert "could not be read" in summary and NO_EVAL in summary and plots == []


def test_the_evaluation_tab_shows_the_summary_shipped_in_the_repository():
    summary, plots = evaluation_view()  # docs/eval/, which `make eval` regenerates
    table, details = summary.split("<details>", 1)  # the plain figures lead; every metric is folded below
    for name in ("bbc-dev", "bbc-dev-archive", "seed-dev"):
        assert f"| {name} | " in table
    assert "answerable answered right" in table and "correct_refusal_rate" not in table
    assert "tests/eval/article.jsonl" in details and "correct_refusal_rate" in details
    assert "python -m bot" not in summary  # a summary, not a command to run
    assert [Path(p).name for p in plots] == ["metrics.png"]  # one plot
    assert Path(plots[0]).parent.name == "bbc-dev"


def test_evaluation_view_default_loader_never_raises(tmp_path):
    summary, plots = evaluation_view(str(tmp_path / "no-runs-here"))
    assert summary == NO_EVAL and plots == []


class UntouchableQA:
    def __getattr__(self, name):
        raise AssertionError(f"create_app touched qa.{name} while building the page")


def test_create_app_loads_nothing_and_names_the_ask_endpoint():
    demo = create_app(UntouchableQA())
    names = [fn.api_name for fn in demo.fns.values()]
    assert "ask" in names


def test_importing_the_app_loads_no_model():
    code = (
        "import sys, app, bot.app.ui; bot.app.ui.create_app(); "
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'chromadb', 'bot.answering.pipeline') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=str(Path(__file__).parent.parent)
    )
    assert out.stdout.strip() == "[]"


# --- the page's handlers: an empty Ask, a long chat, a changed vote --------------------


@pytest.mark.parametrize("message", ["", "   ", " \n\t ", None])
def test_an_empty_ask_adds_nothing_to_the_chat_and_asks_nothing(message):
    turns = [{"question": "Q?", "answer": None, "error": "earlier", "vote": None}]
    with pytest.warns(UserWarning, match=EMPTY_QUESTION):  # outside a running page, Gradio's toast is a warning
        updates = list(Handlers(UntouchableQA()).respond(message, turns, "", {}))
    (update,) = updates
    chatbot, new_turns, current, sources, box = update
    assert all(isinstance(x, dict) and x.get("__type__") == "update" and len(x) == 1 for x in update[:4])
    assert box == ""  # the spaces typed are cleared
    assert turns == [{"question": "Q?", "answer": None, "error": "earlier", "vote": None}]


class HistoryCheckingQA:
    """Answers anything, checking the history it is sent as `ArticleQA` does."""

    def __init__(self):
        self.sent = []

    def stream(self, question, history=None, article_id=None):
        self.sent.append(check_history(history))
        yield Answer(user_input=question, response=f"Answer {len(self.sent)}.", abstained=False)


def test_a_long_chat_sends_the_last_turns_that_fit_and_never_fails_on_its_length():
    qa, turns = HistoryCheckingQA(), []
    for n in range(MAX_HISTORY_TURNS):  # twice as many turns as the history limit takes
        _, turns = run_turn(qa, f"Question {n}?", turns)
        assert turns[-1]["error"] is None and turns[-1]["answer"], turns[-1]
    last = qa.sent[-1]
    assert len(last) == MAX_HISTORY_TURNS and last[-2:] == render.qa_history(turns[-2:-1])


class FeedbackQA:
    def __init__(self, path):
        self.settings = SimpleNamespace(feedback_path=path)


def like(n: int, liked) -> gr.LikeData:
    return gr.LikeData(None, {"index": [2 * n + 1, 0], "value": "…", "liked": liked})


def test_a_changed_vote_does_not_carry_the_comment_written_for_the_old_one(tmp_path):
    path = tmp_path / "feedback.jsonl"
    handlers = Handlers(FeedbackQA(path))
    answer = Answer(user_input="Q?", response="A. [1]", abstained=False, id="a1").to_dict()
    turns = [{"question": "Q?", "answer": answer, "error": None, "vote": None}]
    _, turns, rated, _ = handlers.rate(turns, like(0, False))
    _, turns, _ = handlers.send_comment(turns, rated, "wrong paragraph")
    assert [(r["rating"], r["comment"]) for r in read_jsonl(path)] == [("down", "wrong paragraph")]
    _, turns, _, _ = handlers.rate(turns, like(0, True))  # a change of mind: 👎 with a comment -> 👍
    assert [(r["rating"], r["comment"]) for r in read_jsonl(path)] == [("up", None)]
    assert turns[0]["vote"] == "up" and turns[0]["comment"] is None
    _, turns, _ = handlers.send_comment(turns, 0, "right after all")
    assert [(r["rating"], r["comment"]) for r in read_jsonl(path)] == [("up", "right after all")]
    _, turns, _, _ = handlers.rate(turns, like(0, ""))  # taken back: the vote and its comment go
    assert read_jsonl(path) == [] and turns[0]["comment"] is None
    _, turns, _, _ = handlers.rate(turns, like(0, False))
    assert [(r["rating"], r["comment"]) for r in read_jsonl(path)] == [("down", None)]


def test_a_damaged_line_in_the_feedback_log_does_not_stop_a_rating(tmp_path):
    path = tmp_path / "feedback.jsonl"
    path.write_bytes(b'{"answer_id": "old", "rating": "up"}\n{"answer_id": "cut", "ra\n')  # a write cut short
    handlers = Handlers(FeedbackQA(path))
    answer = Answer(user_input="Q?", response="A\u2028B. [1]", abstained=False, id="a1").to_dict()
    turns = [{"question": "Q?", "answer": answer, "error": None, "vote": None}]
    status, turns, _, _ = handlers.rate(turns, like(0, True))
    assert status.startswith("Thanks") and turns[0]["vote"] == "up"
    _, turns, _ = handlers.send_comment(turns, 0, "right paragraph")
    # One record per line, even for a reader that splits at U+2028 (str.splitlines).
    assert [(r["answer_id"], r.get("answer"), r.get("comment")) for r in read_jsonl(path)] == [
        ("old", None, None),
        ("a1", "A\u2028B. [1]", "right paragraph"),
    ]
