"""Limits on everything that reaches search (issue 17, points 3 and 7): the question and
every history turn, by count and by size, the same in a batch file, through `bot.ask`
and on the app's /ask endpoint; every turn is checked and an error names the turn as the
caller numbers it; a lone surrogate is refused on its own line, not fatal to the batch.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from gradio_client.exceptions import AppError
from run_bot import bot as run_bot
from run_bot import warnings_free
from test_ui_client import app_url, client  # noqa: F401 - fixtures: a real app on 127.0.0.1

import bot

pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword):DeprecationWarning")

RANGE = "What is the range of a Tomahawk missile?"
FOLLOW_UP = "What is its range?"
HUGE = "x" * 5_000_000  # one 5 MB history turn (issue 17: 20 s and +380 MB per /ask)


def turns(n: int) -> list[dict]:
    return [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"Turn {i + 1} about the Tomahawk."}
        for i in range(n)
    ]


def with_bad(n: int, bad: int) -> list[dict]:
    """n well-formed turns, except turn `bad` (numbered from 1, oldest first)."""
    history = turns(n)
    history[bad - 1] = {"role": "robot", "content": "hi"}
    return history


# (history, what the error must say): the same cases on every surface
BAD_HISTORY = [
    pytest.param(
        [{"role": "user", "content": "Tomahawk?"}, {"role": "assistant", "content": HUGE}],
        ["history turn 2 is 5,000,000 characters long", "the limit is", " - "],
        id="a 5 MB turn",
    ),
    pytest.param(turns(1000), ["history has 1,000 turns", "the limit is", " - "], id="1000 turns"),
    pytest.param(with_bad(45, 44), ["history turn 44 must be"], id="turn 44 of 45 named as 44"),
    pytest.param(with_bad(41, 1), ["history turn 1 must be"], id="the oldest of 41 turns is checked"),
]


@pytest.mark.parametrize("history, says", BAD_HISTORY)
def test_the_api_refuses_history_over_the_limits_before_searching(history, says):
    started = time.monotonic()
    with pytest.raises(bot.BotError) as e:
        bot.ask(FOLLOW_UP, history)
    for part in says:
        assert part in str(e.value)
    assert time.monotonic() - started < 15  # refused up front, not after searching 5 MB (20 s)


@pytest.mark.parametrize("history, says", BAD_HISTORY)
def test_the_ask_endpoint_refuses_history_over_the_limits(client, history, says):  # noqa: F811
    with pytest.raises(AppError) as e:
        client.predict(FOLLOW_UP, history, api_name="/ask")
    for part in says:
        assert part in str(e.value)
    assert client.predict(RANGE, None, api_name="/ask")["citations"][0]["paragraph"] == 10


def call_ask(url: str, body: str) -> tuple[str, object]:
    """POST raw JSON text to /ask through Gradio's REST API: (event, data) of its last message."""
    request = urllib.request.Request(
        f"{url}/gradio_api/call/ask", data=body.encode("ascii"), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        event_id = json.load(r)["event_id"]
    with urllib.request.urlopen(f"{url}/gradio_api/call/ask/{event_id}", timeout=60) as r:
        stream = r.read().decode("utf-8")
    events = [line[len("event: ") :] for line in stream.splitlines() if line.startswith("event: ")]
    data = [line[len("data: ") :] for line in stream.splitlines() if line.startswith("data: ")]
    return events[-1], json.loads(data[-1])


def test_the_ask_endpoint_answers_without_a_history_argument(app_url):  # noqa: F811
    event, data = call_ask(app_url, json.dumps({"data": [RANGE]}))
    assert event == "complete", data
    assert data[0]["citations"][0]["paragraph"] == 10


@pytest.mark.parametrize(
    "body",
    [
        '{"data": ["What is the range\\ud800?", null]}',
        '{"data": ["What is its range?", [{"role": "user", "content": "Tomahawk \\udc00"}]]}',
    ],
)
def test_the_ask_endpoint_refuses_a_lone_surrogate_with_a_message(app_url, body):  # noqa: F811
    event, data = call_ask(app_url, body)
    assert event == "error"
    assert data is not None and "surrogate" in str(data) and " - " in str(data)


# --- a batch file: one process, every case a line ------------------------------------------


@pytest.fixture
def index_dir(qa, session_dir):
    """The session index, built by the `qa` fixture, so the subprocess builds nothing."""
    return session_dir / "chroma"


# json.dumps escapes a lone surrogate (\ud800), as a JSON line can carry one
BATCH = [
    (json.dumps({"id": "good", "user_input": RANGE}), None),
    (json.dumps({"id": "lone", "user_input": "What is the range\ud800?"}), ["line 2", "surrogate", " - "]),
    (
        json.dumps(
            {"id": "lone-history", "user_input": FOLLOW_UP, "history": [{"role": "user", "content": "a\udc00"}]}
        ),
        ["line 3", "surrogate", " - "],
    ),
    (json.dumps({"id": "id\ud800", "user_input": RANGE}), None),
    (
        json.dumps(
            {"id": "huge-turn", "user_input": FOLLOW_UP, "history": [{"role": "user", "content": "x" * 100_000}]}
        ),
        ["line 5", "history turn 1 is 100,000 characters long", "the limit is"],
    ),
    (
        json.dumps({"id": "many", "user_input": FOLLOW_UP, "history": turns(1000)}),
        ["line 6", "history has 1,000 turns"],
    ),
    (
        json.dumps({"id": "named", "user_input": FOLLOW_UP, "history": with_bad(45, 44)}),
        ["line 7", "history turn 44 must"],
    ),
    (
        json.dumps({"id": "oldest", "user_input": FOLLOW_UP, "history": with_bad(41, 1)}),
        ["line 8", "history turn 1 must"],
    ),
    (json.dumps({"id": "last", "user_input": "Who wrote the article?"}), None),
]


@pytest.mark.slow
def test_a_batch_answers_every_good_line_and_names_each_bad_one(index_dir, tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(line for line, _ in BATCH) + "\n", encoding="utf-8")
    r = run_bot("ask", "--batch", src, "--out", out, index=index_dir)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 1  # some lines failed, none was lost
    written = out.read_text(encoding="utf-8").splitlines()
    assert len(written) == len(BATCH)
    records = [json.loads(x) for x in written]
    assert [r["id"] for r in records] == [
        "good",
        "lone",
        "lone-history",
        "id\ud800",
        "huge-turn",
        "many",
        "named",
        "oldest",
        "last",
    ]
    for record, (_, says) in zip(records, BATCH):
        if says is None:
            assert "error" not in record and record["citations"], record
        else:
            for part in says:
                assert part in record["error"], record
    assert warnings_free(r.stderr)[-1] == "3 answered, 6 failed"
