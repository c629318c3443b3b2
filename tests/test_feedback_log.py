"""The 👍/👎 log (`BOT_FEEDBACK_PATH`) as a full disk, a hand edit or an odd answer leave
it: a damaged line is skipped with a warning and never stops a rating, and every line
written is one JSON record, whatever the answer's text holds.
"""

from __future__ import annotations

import json
import logging

import pytest

from bot.app.feedback import feedback_record, read_records, record_feedback, vote, withdraw

# Characters that JSON leaves raw and str.splitlines (and many tools) cut a line at, and a
# lone surrogate, which a browser may send and UTF-8 cannot encode.
ODD = "one\u2028two\u2029three\x85four\nfive\rsix\x0bseven\x1ceight\ud800nine"


def answer(n: int, text: str = "An answer [1].") -> dict:
    return {"id": f"a{n}", "user_input": f"Question {n}?", "response": text, "citations": []}


def lines_of(path) -> list[dict]:
    """The log read as a strict reader does: every line, split at each Unicode line boundary."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_damaged_line_is_skipped_with_a_warning_and_rating_goes_on(tmp_path, caplog):
    log = tmp_path / "feedback.jsonl"
    vote(log, feedback_record(answer(1), "up"))
    with open(log, "ab") as f:
        f.write(b'{"answer_id": "a2", "rating": "do\n')  # a write cut short by a full disk
        f.write(b"\xff\xfe not UTF-8\n")
        f.write(b"[1, 2]\n")  # JSON, but not a record
    with caplog.at_level(logging.WARNING, logger="bot.app.feedback"):
        vote(log, feedback_record(answer(3), "down", "wrong paragraph"))
    assert [(r["answer_id"], r["rating"]) for r in lines_of(log)] == [("a1", "up"), ("a3", "down")]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w.split(":")[0] for w in warned] == [f"skipped line {n} of {log}" for n in (2, 3, 4)]
    assert all(" - " in w for w in warned)  # and what to do about it


def test_a_log_that_is_all_damage_still_takes_a_rating(tmp_path):
    log = tmp_path / "feedback.jsonl"
    log.write_bytes(b"\x00\x00\x00garbage")
    vote(log, feedback_record(answer(1), "up"))
    withdraw(log, "a0")
    assert [r["answer_id"] for r in read_records(log)] == ["a1"]


@pytest.mark.parametrize("how", ["vote", "append", "withdraw"])
def test_every_line_written_is_one_json_record_whatever_the_answer_holds(tmp_path, how):
    log = tmp_path / "feedback.jsonl"
    records = [feedback_record(answer(n, ODD), "up", ODD) for n in range(3)]
    for r in records:
        (vote if how != "append" else record_feedback)(log, r)
    if how == "withdraw":
        withdraw(log, "a1")  # the others are written again
        records = [records[0], records[2]]
    data = log.read_bytes()
    assert data.endswith(b"\n") and data.count(b"\n") == len(records)
    assert lines_of(log) == [json.loads(json.dumps(r)) for r in records]  # the text comes back as it was


def test_a_line_cut_short_does_not_swallow_the_next_record(tmp_path):
    log = tmp_path / "feedback.jsonl"
    record_feedback(log, feedback_record(answer(1), "up"))
    with open(log, "ab") as f:
        f.write(b'{"answer_id": "a2", "rat')  # no newline: the disk filled up mid-line
    record_feedback(log, feedback_record(answer(3), "down"))
    assert [r["answer_id"] for r in read_records(log)] == ["a1", "a3"]
