"""Credentials in a server URL (issue 17, point 7): a user:password in BOT_LLM_BASE_URL or
BOT_CHROMA_URL is never printed, logged, written to an evaluation run or shown by the
app - the URL is named without it.
"""

from __future__ import annotations

import json
import logging

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from run_bot import bot, said
from test_ui_client import free_port

pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword):DeprecationWarning")

SECRET = "s3cret-Pa55word"
RANGE = "What is the range of a Tomahawk missile?"


def url_with_password(path: str = "") -> str:
    """A URL with credentials, to a port where nothing listens."""
    return f"http://alice:{SECRET}@127.0.0.1:{free_port()}{path}"


@pytest.fixture
def index_dir(qa, session_dir):
    return session_dir / "chroma"


@pytest.mark.parametrize("command", [["index"], ["ask", RANGE]])
def test_a_chroma_url_password_is_never_printed(command, tmp_path):
    url = url_with_password()
    r = bot(*command, index=tmp_path / "chroma", BOT_CHROMA_URL=url)
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    assert SECRET not in said(r)
    assert "127.0.0.1" in r.stderr  # the server is still named


@pytest.mark.slow
def test_an_llm_url_password_is_never_printed_nor_written_to_an_evaluation(index_dir, tmp_path):
    env = dict(
        BOT_LLM="openai", BOT_LLM_MODEL="some-model", BOT_LLM_BASE_URL=url_with_password("/v1"), BOT_LLM_TIMEOUT_S="3"
    )
    asked = bot("ask", RANGE, index=index_dir, **env)
    assert asked.returncode == 0, asked.stderr
    assert SECRET not in said(asked)

    dataset, out = tmp_path / "one.jsonl", tmp_path / "run"
    dataset.write_text(
        json.dumps({"id": "q1", "user_input": RANGE, "reference": "About 995 miles."}) + "\n", encoding="utf-8"
    )
    evaluated = bot("eval", dataset, "--out", out, "--no-plots", index=index_dir, **env)
    assert "Traceback" not in evaluated.stderr, evaluated.stderr
    assert SECRET not in said(evaluated)
    written = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file()}
    assert "summary.json" in written
    assert not [name for name, text in written.items() if SECRET in text]
    assert "127.0.0.1" in written["summary.json"]  # the server is still recorded


def serve(qa):
    from bot.app.ui import launch

    demo = launch(
        qa, server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True, warm=False
    )
    return demo, Client(demo.local_url, verbose=False, httpx_kwargs={"timeout": 120})


@pytest.mark.parametrize(
    "changes",
    [
        dict(chroma_url="CHROMA"),
        dict(llm="openai", llm_model="some-model", llm_base_url="LLM", llm_timeout_s=3.0),
    ],
)
def test_the_app_never_shows_or_logs_a_url_password(changes, make_settings, embedder, caplog):
    from bot.answering.pipeline import ArticleQA

    changes = {
        k: (url_with_password("/v1" if v == "LLM" else "") if v in ("CHROMA", "LLM") else v) for k, v in changes.items()
    }
    qa = ArticleQA(make_settings(**changes))
    qa.embedder = embedder
    demo, client = serve(qa)
    caplog.set_level(logging.INFO)
    try:
        try:
            shown = json.dumps(client.predict(RANGE, None, api_name="/ask"), ensure_ascii=False)
        except AppError as e:
            shown = str(e)
            assert "127.0.0.1" in shown  # the server is still named
        assert SECRET not in shown
        assert SECRET not in caplog.text
    finally:
        demo.close()
