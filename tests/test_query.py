"""From what the user typed to what is searched: question checks and follow-up rewriting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.guards import check_question
from bot.core.errors import QuestionError, UsageError
from bot.retrieve.followup import entities, person_names, rewrite
from bot.text.article import load_articles

SEED_ARTICLES = Path(__file__).resolve().parent.parent / "index" / "articles"


@pytest.fixture(scope="module")
def people():
    return person_names(a.text for a in load_articles(SEED_ARTICLES))


def turn(question: str, answer: str) -> list[dict]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


TOMAHAWK = turn(
    "What is a Tomahawk missile?",
    "Zelenskyy is expected to push for additional long-range weapons, including Tomahawk missiles, capable of "
    "striking targets deep within Russian territory. [1]",
)
SNEGOVAYA = turn(
    "Who is Maria Snegovaya?",
    "Experts like Maria Snegovaya, a senior fellow at the Center for Strategic and International Studies, "
    "cautioned that massive pressure on Russia will be necessary to deter Putin from continuing the war. [1]",
)
TOMAHAWK_RANGE = turn(
    "What is the range of the Tomahawk?",
    "The Tomahawk missile, with a range of around 995 miles, would allow Ukraine to strike far deeper into Russian "
    "territory than other missiles. [1]",
)

# --- check_question ------------------------------------------------------------------

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


@pytest.mark.parametrize(
    "question, history, query",
    [
        ("What is its range?", TOMAHAWK, "What is Tomahawk's range?"),
        ("What did she say?", SNEGOVAYA, "What did Maria Snegovaya say?"),
        ("What is her view?", SNEGOVAYA, "What is Maria Snegovaya's view?"),
        ("And the ERAM?", TOMAHAWK_RANGE, "What is the range of the ERAM?"),
        ("What about the ATACMS?", TOMAHAWK_RANGE, "What is the range of the ATACMS?"),
        (
            "What did he reveal?",
            turn(
                "Who is Yuri Ushakov?",
                "The Russian President's foreign affairs adviser, "
                "Yuri Ushakov, revealed that Putin initiated the call [1]",
            ),
            "What did Yuri Ushakov reveal?",
        ),
        (
            "What did he say about Tomahawks?",
            turn("Who is Trump?", "US President Donald Trump [1]"),
            "What did Trump say about Tomahawks?",
        ),
        (
            "What do they want?",
            turn("What did Trump and Putin discuss?", "Trump and Putin discussed the war. [1]"),
            "What do Trump and Putin want?",
        ),
        ("Why?", turn("Who initiated the call?", "Putin initiated the call [1]"), "Why: Who initiated the call?"),
        # A bare wh-word takes the previous question's slot when that one is "wh + auxiliary".
        (
            "When?",
            turn("Where will Trump and Putin meet next?", "In Budapest [1]"),
            "When will Trump and Putin meet next?",
        ),
        ("Why?", turn("Did Trump endorse the bill?", "Not formally [1]"), "Why did Trump endorse the bill?"),
        ("Why not?", turn("Did Trump endorse the bill?", "Not formally [1]"), "Why not: Did Trump endorse the bill?"),
        (
            "When?",
            turn("Tell me about the Budapest meeting.", "It is planned [1]"),
            "When: Tell me about the Budapest meeting.",
        ),
    ],
)
def test_follow_ups_are_rewritten(people, question, history, query):
    assert rewrite(question, history, people) == query


@pytest.mark.parametrize(
    "question",
    [
        "Where will Trump and Putin meet?",
        "What is the range of a Tomahawk missile?",
        "Who is John Thune?",
        "How many ERAMs did the US approve?",
        "When was the article published?",
    ],
)
@pytest.mark.parametrize("history", [[], TOMAHAWK, SNEGOVAYA])
def test_standalone_questions_are_searched_as_asked(people, question, history):
    assert rewrite(question, history, people) == question


@pytest.mark.parametrize(
    "history", [None, [], [{"role": "assistant", "content": ""}], [{"role": "user", "content": ""}]]
)
def test_a_follow_up_without_usable_history_is_left_alone(people, history):
    assert rewrite("What is its range?", history, people) == "What is its range?"


def test_the_last_turn_wins(people):
    history = SNEGOVAYA + TOMAHAWK
    assert rewrite("What is its range?", history, people) == "What is Tomahawk's range?"
    assert rewrite("What did she say?", TOMAHAWK + SNEGOVAYA, people) == "What did Maria Snegovaya say?"


def test_a_chain_of_follow_ups_keeps_its_subject(people):
    # "Who makes it?" names nothing itself: read as it was searched ("Who makes Tomahawk?"),
    # it passes the subject on, instead of whatever the last answer happened to name.
    history = TOMAHAWK + turn(
        "Who makes it?", "Trump said Russia would not want Tomahawks going in their direction. [1]"
    )
    assert rewrite("When was it first used in combat?", history, people) == "When was Tomahawk first used in combat?"


def test_a_pronoun_already_resolved_in_the_question_is_kept(people):
    # "it" would resolve to Tomahawk, which the question already names.
    q = "Is the Tomahawk missile long-range, and how far can it fly?"
    assert rewrite(q, TOMAHAWK, people) == q


# --- names ---------------------------------------------------------------------------


def test_person_names_of_the_seed_article(people):
    for name in (
        "Donald Trump",
        "Trump",
        "Vladimir Putin",
        "Putin",
        "Maria Snegovaya",
        "Snegovaya",
        "Yuri Ushakov",
        "Mark Montgomery",
        "John Thune",
        "Marco Rubio",
        "Volodymyr Zelenskyy",
        "Zelenskyy",
    ):
        assert name in people
    for thing in ("Tomahawk", "Hungary", "Budapest", "White House", "Air Force One", "ERAM", "Russia"):
        assert thing not in people


@pytest.mark.parametrize(
    "text, names",
    [
        ("", set()),
        ("no names here at all.", set()),
        ("analyst Mark Montgomery said so", {"Mark Montgomery", "Montgomery"}),
        ("Senator John Thune spoke", {"John Thune", "Thune"}),
        ("said Maria Snegovaya", {"Maria Snegovaya", "Snegovaya"}),
        ("President Trump", set()),  # one capitalised word is not taken for a full name
    ],
)
def test_person_names(text, names):
    assert person_names([text]) == names


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", []),
        ("what is this", []),
        ("What is the range of the Tomahawk missile, says Trump?", ["Tomahawk", "Trump"]),
        ("Did the US approve ERAMs for Kyiv?", ["US", "ERAMs", "Kyiv"]),
        ("What did Maria Snegovaya say?", ["Maria Snegovaya"]),
        ("However, Trump said", ["Trump"]),  # discourse words are not names
        ("Who is Putin's adviser?", ["Putin"]),
        ("Is Air Force One his plane?", ["Air Force One"]),
        ("Tell me about the Secretary of State", ["Secretary of State"]),
    ],
)
def test_entities(text, expected):
    assert entities(text) == expected


@pytest.mark.parametrize(
    "prev_q, question, query",
    [
        # "it" is the compound the name modifies, not the name
        (
            "Who signed off on the new Hungary trade agreement?",
            "When does it start?",
            "When does the new Hungary trade agreement start?",
        ),
        (
            "Who is optimistic about the Russia sanctions bill?",
            "Whom would it hit?",
            "Whom would the Russia sanctions bill hit?",
        ),
        # a name before a single noun is the thing itself; with no preposition, the words
        # after a name may be a verb
        ("What is the range of a Tomahawk missile?", "What does it cost?", "What does Tomahawk cost?"),
        ("How far can a Tomahawk missile fly?", "What does it cost?", "What does Tomahawk cost?"),
    ],
)
def test_it_takes_the_compound_a_name_modifies(people, prev_q, question, query):
    assert rewrite(question, turn(prev_q, "The ministers."), people) == query
