"""Credentials in a server URL: a user:password in BOT_LLM_BASE_URL or BOT_CHROMA_URL is
never printed, logged (by any library), written to an evaluation run or shown by the app -
the URL is named without it. The password holds an '@' and the URL has another one later,
in its query: the forms a first-'@' or last-'@' rule gets wrong.
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

SECRET = "s3cret@Pa55word"
RANGE = "What is the range of a Tomahawk missile?"


def url_with_password(path: str = "") -> str:
    """A URL with credentials, to a port where nothing listens."""
    return f"http://alice:{SECRET}@127.0.0.1:{free_port()}{path}?next=editor@example.org"


def hidden(text: str) -> bool:
    return SECRET not in text and "Pa55word" not in text and "s3cret" not in text


@pytest.mark.parametrize(
    "url",
    [
        "http://alice:s3cret@Pa55word@127.0.0.1:8000/v1?next=editor@example.org",
        "https://alice:s3cret@Pa55word@example.org",
        "http://s3cret@Pa55word@10.0.0.1/",
        "chroma+http://alice:s3cret@Pa55word@host:1/x#a@b",
    ],
)
def test_any_url_form_is_redacted_in_every_library_log(url, caplog):
    from bot.core.secrets import guard_logging, redact

    guard_logging()
    caplog.set_level(logging.INFO)
    logging.getLogger("httpx").info('HTTP Request: POST %s "HTTP/1.1 200 OK"', url)
    try:
        raise ConnectionError(f"cannot connect to {url}")
    except ConnectionError:
        logging.getLogger("chromadb.api").exception("request failed")
    try:  # the password only in a chained cause's text
        try:
            raise ValueError(f"cannot reach {url}")
        except ValueError as e:
            raise RuntimeError("fetch failed") from e
    except RuntimeError:
        logging.getLogger("urllib3.connectionpool").exception("retrying")
    assert hidden(redact(url)) and "@" in redact(url)  # the host is still named
    assert "editor@example.org" in redact("http://h/v1?next=editor@example.org")  # not credentials
    assert hidden(caplog.text), caplog.text
    assert "HTTP Request: POST" in caplog.text and "request failed" in caplog.text


@pytest.fixture
def index_dir(qa, session_dir):
    return session_dir / "chroma"


@pytest.mark.parametrize("command", [["index"], ["ask", RANGE]])
def test_a_chroma_url_password_is_never_printed(command, tmp_path):
    url = url_with_password()
    r = bot(*command, index=tmp_path / "chroma", BOT_CHROMA_URL=url)
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    assert hidden(said(r))
    assert "127.0.0.1" in r.stderr  # the server is still named


@pytest.mark.slow
def test_an_llm_url_password_is_never_printed_nor_written_to_an_evaluation(index_dir, tmp_path):
    env = dict(
        BOT_LLM="openai", BOT_LLM_MODEL="some-model", BOT_LLM_BASE_URL=url_with_password("/v1"), BOT_LLM_TIMEOUT_S="3"
    )
    asked = bot("ask", RANGE, index=index_dir, **env)
    assert asked.returncode == 0, asked.stderr
    assert hidden(said(asked))

    dataset, out = tmp_path / "one.jsonl", tmp_path / "run"
    dataset.write_text(
        json.dumps({"id": "q1", "user_input": RANGE, "reference": "About 995 miles."}) + "\n", encoding="utf-8"
    )
    evaluated = bot("eval", dataset, "--out", out, "--no-plots", index=index_dir, **env)
    assert "Traceback" not in evaluated.stderr, evaluated.stderr
    assert hidden(said(evaluated))
    written = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file()}
    assert "summary.json" in written
    assert not [name for name, text in written.items() if not hidden(text)]
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
        assert hidden(shown)
        assert hidden(caplog.text)
    finally:
        demo.close()
