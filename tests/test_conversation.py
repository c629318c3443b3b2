"""What the page and the terminal chat share: the history that fits the pipeline's
limits, and which follow-up rewrites are shown as "Searched for: …". No model loads."""

from __future__ import annotations

import pytest

from bot.answering.guards import check_history
from bot.app.conversation import fitting_history, reads_as_question, shown_search_query
from bot.core.settings import MAX_HISTORY_TURN_CHARS, MAX_HISTORY_TURNS


def pair(n: int, reply: str | None = None) -> list[dict]:
    return [{"role": "user", "content": f"Q{n}?"}, {"role": "assistant", "content": reply or f"A{n}."}]


def chat(turns: int) -> list[dict]:
    return [m for n in range(turns) for m in pair(n)]


@pytest.mark.parametrize("turns", [0, 1, MAX_HISTORY_TURNS // 2, MAX_HISTORY_TURNS // 2 + 1, 500])
def test_the_history_sent_always_passes_the_pipelines_check(turns):
    history = fitting_history(chat(turns))
    assert check_history(history) == history  # never "history has 42 turns; the limit is 40"
    assert len(history) == min(2 * turns, MAX_HISTORY_TURNS)
    if turns:
        assert history[-2:] == pair(turns - 1)  # the newest turns are the ones kept, in order
        assert history[0]["role"] == "user"


def test_a_turn_too_long_to_send_ends_the_history_there():
    history = chat(3)[:4] + pair(9, "x" * (MAX_HISTORY_TURN_CHARS + 1)) + pair(10)
    assert fitting_history(history) == pair(10)
    assert fitting_history(pair(1, "x" * MAX_HISTORY_TURN_CHARS)) == pair(1, "x" * MAX_HISTORY_TURN_CHARS)


def test_a_reply_without_its_question_is_not_sent():
    history = [{"role": "assistant", "content": "A."}, *pair(1)]
    assert fitting_history(history) == pair(1)
    # a question too long to send: its reply is not sent without it
    long_question = [
        {"role": "user", "content": "x" * (MAX_HISTORY_TURN_CHARS + 1)},
        {"role": "assistant", "content": "A."},
    ]
    assert fitting_history(chat(2) + long_question + pair(5)) == pair(5)


@pytest.mark.parametrize(
    "query, question",
    [
        ("What is the range of the Tomahawk?", "What is its range?"),
        ("What is Tomahawk's range?", "What is its range?"),
        ("How far is the Tomahawk missile?", "How far is it?"),
        ("What did Vladimir Putin say?", "What did he say?"),
        ("Did Mark Montgomery back the sale?", "Did he back the sale?"),
        ("When will Trump and Putin meet?", "When will they meet?"),
    ],
)
def test_a_rewrite_that_reads_as_a_question_is_shown(query, question):
    assert reads_as_question(query, question)
    assert shown_search_query({"user_input": question, "search_query": query}) == query


@pytest.mark.parametrize(
    "query, question",
    [
        # "it" replaced by the last question's opening noun chunk: garbled
        ("What share of homes will How many sites reach?", "What share of homes will it reach?"),
        ("Where will Trump and Putin meet? When?", "When?"),  # two questions pasted together
        ("Trump and Putin meet in Budapest", "Where?"),  # not a question
        ("the Tomahawk missile range?", "Its range?"),  # opens with neither a wh-word nor an auxiliary
        ("What is " + "the very long range " * 6 + "of it?", "What is its range?"),  # far longer than asked
        ("", "What is its range?"),
    ],
)
def test_a_rewrite_that_does_not_read_as_a_question_is_not_shown(query, question):
    assert not reads_as_question(query, question)
    assert shown_search_query({"user_input": question, "search_query": query}) is None


def test_a_question_searched_as_asked_shows_no_rewrite():
    assert shown_search_query({"user_input": "What is its range?", "search_query": "What is its range?"}) is None
    assert shown_search_query({"user_input": "What is its range?", "search_query": None}) is None
    assert shown_search_query({"user_input": "What is its range?"}) is None
