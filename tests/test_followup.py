"""Follow-up rewriting with the parse of the last turns, on articles other than the seed."""

from __future__ import annotations

import pytest

from bot.retrieve.followup import rewrite, rewrite_followup


def turn(question: str, answer: str) -> list[dict]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


# bbc-business-279 (Deutsche Boerse and the LSE) and a sports story: not the seed's words.
BOERSE = turn(
    "Who met LSE chief executive Clara Furse?",
    "Werner Seifert met LSE chief executive Clara Furse amid rumours the German group may raise its bid [1]",
)
EURONEXT = turn("What did Euronext say about its offer?", "It may be prepared to make its offer in cash [1]")


@pytest.mark.parametrize(
    "question, history, must_hold",
    [
        ("What did he say about the bid?", BOERSE, "Werner Seifert"),  # he -> the person last named
        ("What does she run?", turn("Who is Clara Furse?", "The LSE's chief executive [1]"), "Clara Furse"),
        ("How much is it worth?", EURONEXT, "Euronext"),  # it -> the thing the last question was about
        ("And in cash?", EURONEXT, "What did Euronext say about its offer?"),  # no verb: the last question's slot
        ("What about Liffe?", EURONEXT, "What did Euronext say about its offer?"),
    ],
)
def test_follow_ups_take_their_subject_from_the_last_turns(question, history, must_hold):
    query, changed = rewrite_followup(question, history)
    assert changed
    assert must_hold in query


@pytest.mark.parametrize("history", [[], BOERSE])
def test_a_question_that_stands_alone_is_searched_as_asked(history):
    question = "How much did Deutsche Boerse offer for the London Stock Exchange?"
    assert rewrite(question, history) == question


def test_without_history_nothing_is_rewritten():
    assert rewrite_followup("What did he say?", []) == ("What did he say?", False)
