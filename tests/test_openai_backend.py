"""The OpenAI backend over real HTTP: the real ChatOpenAI client against a scripted local server.

Each failure mode must leave the user with an answer: the generated one when the server
recovers in time, otherwise the extractive one with a one-line notice, within a bound.
"""

import json
import logging
import socket
import time

import pytest

from bot.core.settings import Settings
from bot.llm.backends import chat_model
from tests.openai_server import ChatServer, Step

WHERE = "Where are Trump and Putin going to hold their second meeting?"
GOOD = "Trump and Putin will hold their second meeting in Budapest, Hungary [1]."
TWO = f"{GOOD} The announcement came after a two-hour phone call with Putin [1]."
FALLBACK = "; showing the quoted answer from the article instead."
# Each timed check compares with what would happen without the behaviour under test (a
# server that holds its reply 60 s, a stream that would take 40 s), with room between the
# two for a machine that runs other work: a loaded CI machine cannot fail them.
SLACK_S = 10.0  # retrieval and the extractive answer around the model's budget, on a busy machine


@pytest.fixture
def server():
    with ChatServer() as s:
        yield s


def pipeline(qa, **settings):
    from bot.answering.pipeline import ArticleQA

    other = ArticleQA(Settings(**{**dict(qa.settings), **settings}))
    other.embedder = qa.embedder
    other.index(progress=False)
    chat_model(other.settings)  # built once per configuration, outside the answer's time budget
    return other


@pytest.fixture
def openai_qa(qa, server):
    return pipeline(qa, llm="openai", llm_model="test-model", llm_base_url=server.base_url, llm_timeout_s=5.0)


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def test_a_streamed_answer_over_http_is_verified_and_cited(openai_qa, server):
    server.script(Step(TWO))
    texts = list(openai_qa.stream(WHERE))
    answer = texts.pop()
    assert answer.backend == "openai" and answer.notice is None and not answer.abstained
    assert texts == [GOOD, answer.response] and answer.response.endswith("phone call with Putin [1].")
    assert answer.citations[0].chunk_id == answer.retrieved_context_ids[0]
    (request,) = server.requests
    body = request["json"]
    assert body["stream"] is True and body["model"] == "test-model" and body["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert (
        "<question>Where are Trump and Putin going to hold their second meeting?</question>"
        in body["messages"][1]["content"]
    )
    assert request["headers"]["authorization"] == "Bearer not-needed"


def test_ask_returns_the_same_answer_as_the_stream(openai_qa, server):
    server.script(Step(GOOD))
    answer = openai_qa.ask(WHERE, id="q1")
    assert (answer.id, answer.backend, answer.response, answer.notice) == ("q1", "openai", GOOD, None)
    assert json.loads(json.dumps(answer.to_dict()))["citations"][0]["marker"] == 1


def test_a_follow_up_is_condensed_without_streaming_then_answered_streaming(openai_qa, server):
    server.script(
        Step("Where did Trump and Putin meet before?"), Step("Trump and Putin previously met in Alaska in August.")
    )
    history = [
        {"role": "user", "content": "Where will Trump and Putin meet?"},
        {"role": "assistant", "content": "In Budapest, Hungary [1]."},
    ]
    answer = openai_qa.ask("Where did they meet before?", history)
    assert [r["json"].get("stream", False) for r in server.requests] == [False, True]
    assert answer.search_query == "Where did Trump and Putin meet before?"
    assert answer.backend == "openai" and "Alaska" in answer.citations[0].quote


def test_server_errors_are_retried_then_fall_back_with_a_notice(openai_qa, server):
    server.script(Step(status=500))
    answer, seconds = timed(openai_qa.ask, WHERE)
    assert len(server.requests) == 3  # one call, two retries
    assert answer.backend == "extractive" and answer.citations and not answer.abstained
    assert answer.notice == "The language model failed (HTTP 500)" + FALLBACK
    assert 1.5 <= seconds < 1.5 + SLACK_S  # backoff 0.5 s + 1 s waited, and no more than that


def test_rate_limited_then_answered(openai_qa, server):
    server.script(Step(status=429, headers={"Retry-After": "0.2"}), Step(GOOD))
    answer, seconds = timed(openai_qa.ask, WHERE)
    assert len(server.requests) == 2
    assert answer.backend == "openai" and answer.response == GOOD and answer.notice is None
    assert seconds < 30  # Retry-After honoured, not a long default backoff


def test_a_server_slower_than_the_timeout_falls_back_in_time(qa, server):
    # The budget covers the whole answer, retrieval included: 3 s leaves a busy machine time to
    # send the request, which the server then holds past the budget.
    slow = pipeline(qa, llm="openai", llm_model="test-model", llm_base_url=server.base_url, llm_timeout_s=3.0)
    server.script(Step(GOOD, delay_s=60.0))
    answer, seconds = timed(slow.ask, WHERE)
    assert seconds < 3.0 + SLACK_S and len(server.requests) == 1  # a timeout is not retried
    assert answer.backend == "extractive" and answer.citations
    assert answer.notice == "The language model did not answer within 3 s" + FALLBACK


def test_a_stream_that_stalls_midway_falls_back_in_time(qa, server):
    slow = pipeline(qa, llm="openai", llm_model="test-model", llm_base_url=server.base_url, llm_timeout_s=1.0)
    server.script(Step(TWO, chunk_delay_s=2.0))
    texts, seconds = timed(lambda: list(slow.stream(WHERE)))
    answer = texts[-1]
    assert seconds < 1.0 + SLACK_S and answer.backend == "extractive"  # 40 s if the stream were awaited
    assert answer.notice == "The language model did not answer within 1 s" + FALLBACK


@pytest.mark.parametrize(
    "body, reason",
    [
        (
            'data: {"id": "x", "choices": [{"delta": {"content": "Bud\n\n',
            "The language model sent a reply the bot could not read",
        ),
        ("<html>502 Bad Gateway</html>", "The language model returned an empty answer"),
    ],
)
def test_a_malformed_reply_falls_back_with_a_notice(openai_qa, server, body, reason):
    server.script(Step(body=body))
    answer, seconds = timed(openai_qa.ask, WHERE)
    assert answer.backend == "extractive" and answer.notice == reason + FALLBACK
    assert len(server.requests) == 1 and seconds < 1.5 + SLACK_S  # not retried (1.5 s of backoff per retry)


def test_malformed_json_in_a_plain_completion_falls_back(openai_qa, server):
    server.script(Step(body="{not json"))
    history = [
        {"role": "user", "content": "Where will Trump and Putin meet?"},
        {"role": "assistant", "content": "In Budapest, Hungary [1]."},
    ]
    answer = openai_qa.ask("Where did they meet before?", history)  # the condense call does not stream
    assert server.requests[0]["json"].get("stream", False) is False
    assert answer.backend == "extractive"
    assert answer.notice == "The language model sent a reply the bot could not read" + FALLBACK


@pytest.mark.parametrize(
    "status, notice",
    [
        (401, "The language model refused the credentials (HTTP 401) - check OPENAI_API_KEY or HF_TOKEN"),
        (400, "The language model rejected the request (HTTP 400)"),
    ],
)
def test_client_errors_are_not_retried(openai_qa, server, status, notice):
    server.script(Step(status=status))
    answer = openai_qa.ask(WHERE)
    assert len(server.requests) == 1 and answer.notice == notice + FALLBACK


def test_an_unreachable_server_falls_back_within_the_retry_budget(qa):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    down = pipeline(qa, llm="openai", llm_model="m", llm_base_url=f"http://127.0.0.1:{port}/v1", llm_timeout_s=60.0)
    down.load()  # the index and models, so that only the question is timed
    answer, seconds = timed(down.ask, WHERE)
    assert answer.notice == "The language model could not be reached" + FALLBACK
    assert seconds < 1.5 + SLACK_S  # three refused connections and 1.5 s of backoff, not the 60 s budget


def test_the_api_key_is_sent_but_never_logged_or_returned(qa, server, caplog):
    secret = "sk-test-SECRET-0123456789"
    keyed = pipeline(
        qa, llm="openai", llm_model="test-model", llm_base_url=server.base_url, secrets={"OPENAI_API_KEY": secret}
    )
    server.script(Step(status=401))
    with caplog.at_level(logging.DEBUG):
        answer = keyed.ask(WHERE)
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {secret}"
    assert secret not in caplog.text and secret not in json.dumps(answer.to_dict())
    assert secret not in repr(keyed.settings)


@pytest.fixture
def hub_offline_restored(monkeypatch):
    """The HF backend lifts huggingface_hub's offline switch; put it back after the test."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", constants.HF_HUB_OFFLINE)


def test_the_huggingface_backend_answers_through_an_endpoint_url(qa, server, hub_offline_restored):
    hf = pipeline(qa, llm="huggingface", llm_base_url=server.url, llm_timeout_s=5.0)
    server.script(Step(TWO))
    texts = list(hf.stream(WHERE))
    answer = texts.pop()
    assert answer.backend == "huggingface" and answer.notice is None
    assert texts == [GOOD, answer.response]
    assert server.requests[0]["path"] == "/v1/chat/completions" and server.requests[0]["json"]["stream"] is True


def test_the_huggingface_backend_falls_back_on_server_errors(qa, server, hub_offline_restored):
    hf = pipeline(qa, llm="huggingface", llm_base_url=server.url, llm_timeout_s=5.0)
    server.script(Step(status=503))
    answer = hf.ask(WHERE)
    assert answer.backend == "extractive" and answer.notice == "The language model failed (HTTP 503)" + FALLBACK
