"""Evaluation dataset lines: each unusable line is reported with its number and what to
fix, and the others still load."""

from __future__ import annotations

import json

import pytest

from bot.evaluation.dataset import load_dataset, parse_example

GOOD = {"id": "g", "user_input": "Where is Zelenskyy meeting Trump?", "reference": "At the White House"}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"tags": 5}, '"tags" must be a list of strings'),
        ({"tags": "number"}, '"tags" must be a list of strings'),
        ({"reference_contexts": 7}, '"reference_contexts" must be a list of strings'),
        ({"alt_references": [1]}, '"alt_references" must be a list of strings'),
        ({"reference_spans": 5}, '"reference_spans" must be a list of [start, end] pairs'),
        ({"reference_spans": [[1, "2"]]}, '"reference_spans" must be a list of [start, end] pairs'),
        ({"reference": 3}, '"reference" must be text'),
        ({"answerable": "yes"}, '"answerable" must be true or false'),
        ({"reference": None}, 'has neither a "reference" answer nor "answerable": false - add the one that applies'),
        ({"history": "earlier"}, '"history" must be a list of {"role", "content"} turns'),
        ({"user_input": 5}, '"user_input" must be text'),
        ({"article_id": ["x"]}, '"article_id" must be text (an article\'s file name without .txt)'),
    ],
)
def test_a_malformed_field_is_reported_with_its_line(tmp_path, changes, message):
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(GOOD | changes) + "\n" + json.dumps(GOOD | {"id": "ok"}) + "\n", encoding="utf-8")
    examples, errors = load_dataset(path)
    assert [e.id for e in examples] == ["ok"]
    assert [(e.line, e.message) for e in errors] == [(1, f"line 1 {message} - skipped")]


def test_older_field_names_are_read_as_the_ragas_ones():
    ex = parse_example(
        {"question": "Who wrote it?", "ground_truth": "Abhishek Tiwari", "contexts": ["By Abhishek Tiwari"]}, 3
    )
    assert (ex.id, ex.user_input, ex.reference, ex.answerable) == ("line3", "Who wrote it?", "Abhishek Tiwari", True)
    assert ex.reference_contexts == ("By Abhishek Tiwari",)
    # The ragas name wins over an older one; "answer" (an older name for the bot's response) is no reference.
    assert (
        parse_example(
            {"user_input": "Who?", "question": "Other?", "reference": "Her", "ground_truth": "Him"}, 1
        ).reference
        == "Her"
    )
    with pytest.raises(ValueError, match='neither a "reference"'):
        parse_example({"question": "Who?", "answer": "a response, not the gold answer"}, 1)


def test_an_unanswerable_line_needs_no_reference():
    ex = parse_example({"user_input": "Who won the World Cup?", "answerable": False}, 1)
    assert ex.answerable is False and ex.references == []
