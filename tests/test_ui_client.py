"""The app as programs see it: a real server on 127.0.0.1, asked through gradio_client.

One server per module, over the session pipeline; `app.py` itself is started once as
a subprocess to check the Space entry (host and port from GRADIO_SERVER_*).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

# Gradio's queue statistics use a pandas option that pandas 3 deprecates: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword):DeprecationWarning")

ROOT = Path(__file__).resolve().parent.parent
TOMAHAWK = "What is the range of a Tomahawk missile?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(qa):
    from bot.app.ui import launch

    demo = launch(qa, server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    yield demo.local_url.rstrip("/")
    demo.close()


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False, httpx_kwargs={"timeout": 60})


def test_only_the_ask_endpoint_is_public(client):
    api = client.view_api(return_format="dict", print_info=False)
    assert list(api["named_endpoints"]) == ["/ask"]
    names = [p["parameter_name"] for p in api["named_endpoints"]["/ask"]["parameters"]]
    assert names == ["question", "history", "article_id"]


def test_ask_can_pin_an_article_by_id(client, qa):
    (article_id,) = qa.index().articles
    answer = client.predict(TOMAHAWK, None, article_id, api_name="/ask")
    assert answer["citations"][0]["article_id"] == article_id
    with pytest.raises(Exception, match="No article has the id 'nope'"):
        client.predict(TOMAHAWK, None, "nope", api_name="/ask")


def test_ask_returns_the_answer_with_its_citations(client):
    answer = client.predict(TOMAHAWK, None, api_name="/ask")
    assert answer["user_input"] == TOMAHAWK and answer["abstained"] is False
    assert "995 miles" in answer["response"] and "[1]" in answer["response"]
    cite = answer["citations"][0]
    assert cite["marker"] == 1 and cite["paragraph"] == 10
    start, end = cite["quote_span"]
    assert cite["text"][start:end] == cite["quote"]
    assert answer["backend"] == "extractive" and answer["latency_ms"]["total"] > 0


def test_a_follow_up_with_history_is_searched_rewritten(client):
    first = client.predict("Tell me about the Tomahawk missile.", [], api_name="/ask")
    history = [{"role": "user", "content": first["user_input"]}, {"role": "assistant", "content": first["response"]}]
    answer = client.predict("What is its range?", history, api_name="/ask")
    assert answer["search_query"] != answer["user_input"] and "Tomahawk" in answer["search_query"]
    assert any(c["paragraph"] == 10 for c in answer["citations"])


def test_a_question_the_article_does_not_answer_is_refused(client):
    answer = client.predict("What is the boiling point of water?", None, api_name="/ask")
    assert answer["abstained"] is True and answer["citations"] == []
    assert answer["response"].startswith("The article doesn't say")


@pytest.mark.parametrize(
    "question, history, says",
    [
        ("", None, "The question is empty - type a question about the article"),
        ("x" * 100_000, None, "the limit is 2,000"),
        ("🙂🙂", None, "The question has no words in it"),
        ("bell\x07", None, "control characters (U+0007)"),
        ("What is its range?", [{"role": "robot", "content": "hi"}], "history turn 1 must be"),
    ],
)
def test_bad_input_gets_the_fix_and_the_server_goes_on(client, question, history, says):
    with pytest.raises(AppError, match=None) as err:
        client.predict(question, history, api_name="/ask")
    assert says in str(err.value) and "Traceback" not in str(err.value)
    assert client.predict(TOMAHAWK, None, api_name="/ask")["citations"][0]["paragraph"] == 10


def test_the_page_is_served(app_url):
    with urllib.request.urlopen(app_url + "/", timeout=10) as page:
        assert page.status == 200 and "<!doctype html>" in page.read().decode().lower()
    with urllib.request.urlopen(app_url + "/config", timeout=10) as config:
        assert json.load(config)["title"] == "Chat with this article"


@pytest.mark.slow
def test_app_py_serves_on_the_gradio_host_and_port(qa, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "BOT_INDEX_DIR": str(qa.settings.index_dir),
        "BOT_FEEDBACK_PATH": str(tmp_path / "fb.jsonl"),
    }
    log = open(tmp_path / "app.log", "w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("app.py did not serve:\n" + (tmp_path / "app.log").read_text()[-3000:])
                time.sleep(0.5)
        answer = Client(url, verbose=False, httpx_kwargs={"timeout": 60}).predict(TOMAHAWK, None, api_name="/ask")
        assert answer["citations"][0]["paragraph"] == 10
        while "Index ready" not in (tmp_path / "app.log").read_text():  # one line says when answering can start
            if time.monotonic() > deadline:
                pytest.fail("app.py logged no 'Index ready' line:\n" + (tmp_path / "app.log").read_text()[-3000:])
            time.sleep(0.5)
        ready = [x for x in (tmp_path / "app.log").read_text().splitlines() if "Index ready" in x]
        assert len(ready) == 1 and "1 article(s)" in ready[0]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
