"""What the user typed: question checks (follow-up rewriting is in test_followup.py)."""

from __future__ import annotations

import pytest

from bot.answering.guards import check_question
from bot.core.errors import QuestionError, UsageError

EMPTY = "The question is empty - type a question about the article"
NO_WORDS = "The question has no words in it - ask about the article in words"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", EMPTY),
        ("   ", EMPTY),
        ("\t\n \r\n", EMPTY),
        ("\u00a0\u2003", EMPTY),
        ("a" * 2001, "The question is 2,001 characters long; the limit is 2,000 - shorten it to the question itself"),
        (
            "why " * 1000,
            "The question is 3,999 characters long; the limit is 2,000 - shorten it to the question itself",
        ),
        ("hi\x00there", "The question contains control characters (U+0000) - remove them and ask again"),
        ("ring\x07 the bell", "The question contains control characters (U+0007) - remove them and ask again"),
        ("What\x1b[31m is it?", "The question contains control characters (U+001B) - remove them and ask again"),
        (
            "\x7f\x01\x02\x03\x04",
            "The question contains control characters (U+0001, U+0002, U+0003) - remove them and ask again",
        ),
        ("next\x85line", "The question contains control characters (U+0085) - remove them and ask again"),
        ("🚀🚀", NO_WORDS),
        ("?!...", NO_WORDS),
        ("¿?", NO_WORDS),
        ("— … —", NO_WORDS),
        ("👍 ❤️ 🇺🇦", NO_WORDS),
        (None, "The question must be text - pass a string"),
        (42, "The question must be text - pass a string"),
        (["What?"], "The question must be text - pass a string"),
    ],
)
def test_check_question_errors(text, message):
    with pytest.raises(QuestionError) as e:
        check_question(text)
    assert str(e.value) == message
    assert isinstance(e.value, UsageError) and e.value.exit_code == 2


@pytest.mark.parametrize(
    "text, tidy",
    [
        ("What is the range?", "What is the range?"),
        ("  What   is\n the\trange?  ", "What is the range?"),
        ("a", "a"),
        ("a" * 2000, "a" * 2000),
        (" " * 100 + "a" * 2000 + " " * 100, "a" * 2000),  # the limit counts the tidied question
        ("Qué dijo Zelenskyy? 🚀", "Qué dijo Zelenskyy? 🚀"),
        ("Range in km?", "Range in km?"),
        ("2025?", "2025?"),
    ],
)
def test_check_question_accepts_and_tidies(text, tidy):
    assert check_question(text) == tidy


# --- follow-ups ----------------------------------------------------------------------
