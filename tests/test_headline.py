"""The headline figures and the short answer's scores, whatever the answerer puts in
`short_answer` (absent, null or text); gates with ceilings."""

import pytest

from bot.core.errors import UsageError
from bot.evaluation import metrics as M
from bot.evaluation.gates import check_gates, parse_gates
from bot.evaluation.headline import breakdown, headline_scores

ANSWERED = {"abstained": False, "response": "Max Lawson of Oxfam welcomed it. [1]"}


@pytest.mark.parametrize("short", ["absent", None, "", "  "])
def test_without_a_short_answer_no_short_score(short):
    answer = ANSWERED if short == "absent" else ANSWERED | {"short_answer": short}
    scores = headline_scores(answer, True, ["Max Lawson"], 1.0)
    assert scores == {"answerable_right": 1.0, "answerable_refused": 0.0, "overall_right": 1.0, "precision": 1.0}


def test_a_short_answer_is_scored_with_squad_normalisation():
    scores = headline_scores(ANSWERED | {"short_answer": "Lawson"}, True, ["Max Lawson"], 1.0)
    assert (scores["short_exact_match"], scores["short_f1"], scores["short_correct"]) == (0.0, 0.6667, 1.0)
    exact = headline_scores(ANSWERED | {"short_answer": "the Max Lawson."}, True, ["Max Lawson"], 1.0)
    assert exact["short_exact_match"] == 1.0 and exact["short_correct"] == 1.0


def test_right_needs_the_gold_passage_and_most_of_a_reference():
    assert headline_scores(ANSWERED, True, ["Max Lawson"], 0.0)["answerable_right"] == 0.0  # wrong passage
    assert headline_scores(ANSWERED, True, ["Max Lawson"], None)["answerable_right"] == 1.0  # gold unknown
    assert headline_scores(ANSWERED, True, ["Gordon Brown"], 1.0)["answerable_right"] == 0.0
    refused = headline_scores({"abstained": True, "short_answer": "x"}, True, ["Max Lawson"], None)
    assert refused == {"answerable_right": 0.0, "answerable_refused": 1.0, "overall_right": 0.0}


def test_breakdown_counts_per_article_and_tag():
    records = [
        {"article_id": "a", "tags": ["who"], "answerable": True, "scores": {"answerable_right": 1.0}},
        {"article_id": "a", "tags": ["unanswerable"], "answerable": False, "scores": {"unanswerable_refused": 0.0}},
        {"article_id": "b", "tags": ["who"], "answerable": True, "scores": {"answerable_right": 0.0}},
        {"article_id": "b", "answerable": True, "error": "too long"},
    ]
    head = breakdown(records)
    assert head["set"]["answerable_right"] == {"right": 1, "n": 2, "value": 0.5}
    assert head["by_article"]["a"]["questions"] == 2 and head["by_tag"]["who"]["answerable_right"]["n"] == 2


def test_a_ceiling_gate_fails_above_its_limit():
    gates = parse_gates("answerable_right=0.5, answerable_refused<=0.15")
    assert gates == {"answerable_right": (">=", 0.5), "answerable_refused": ("<=", 0.15)}
    summary = {"metrics": {"answerable_right": {"value": 0.6}, "answerable_refused": {"value": 0.2}}}
    assert check_gates(summary, gates, None) == ["answerable_refused = 0.2000 is over 0.15"]
    with pytest.raises(UsageError, match="give it a ceiling"):
        parse_gates("answerable_refused=0.1")


def test_a_question_that_errored_fails_every_gate():
    gates = parse_gates("answerable_right=0.5")
    summary = {"metrics": {"answerable_right": {"value": 0.9}}, "skipped": {"errors": {"q7": "history too long"}}}
    assert check_gates(summary, gates, None) == ["1 question(s) errored, each a failure (first: q7: history too long)"]
    assert check_gates({**summary, "skipped": {"errors": {}}}, gates, None) == []


def test_precision_is_the_share_of_given_answers_that_are_right():
    right = headline_scores({"abstained": False, "response": "Budapest [1]"}, True, ["Budapest"], 1.0)
    wrong = headline_scores({"abstained": False, "response": "Vienna [1]"}, True, ["Budapest"], 1.0)
    refused = headline_scores({"abstained": True}, True, ["Budapest"], None)
    answered_unanswerable = headline_scores({"abstained": False, "response": "x"}, False, [], None)
    assert (right["precision"], wrong["precision"], answered_unanswerable["precision"]) == (1.0, 0.0, 0.0)
    assert "precision" not in refused


def test_the_latency_gate_reads_the_ratio_to_its_floor_not_milliseconds():
    def summary(total_p95, floor_p95):
        latency = {"total": {"p50": total_p95, "p95": total_p95}, "floor": {"p50": floor_p95, "p95": floor_p95}}
        return {"metrics": {}, "latency_ms": latency, "latency_x_floor": M.latency_x_floor(latency)}

    busy = summary(2100.0, 500.0)  # a loaded machine: both slow, the ratio holds
    assert check_gates(busy, {}, 30) == []
    slow = summary(800.0, 20.0)  # the answer itself got slower
    assert check_gates(slow, {}, 30) == [
        "total p95 latency = 40.0x its floor (800.0 ms against 20.0 ms for one query embedding) is over 30x"
    ]
    assert check_gates(summary(800.0, None), {}, 30) == [
        "total p95 latency (800.0 ms) cannot be judged: no floor was timed"
    ]
