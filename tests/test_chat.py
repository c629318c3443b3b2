"""`python -m bot chat`: a conversation in the terminal, with follow-ups.

One real process, driven through a pipe, over the session index (it loads the model once,
~15 s, so it is marked slow); the rest runs the chat loop in process over a fake pipeline
that checks the question and the history as the real one does. Answer texts are not asserted: the
reader model is retrained from time to time; the structure is.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest
from test_cli import ROOT, bot_environment, error_lines

from bot.answering.guards import check_history, check_question
from bot.app.chat import LOADING, PROMPT, read_questions, render_text, run_chat
from bot.core.answer import Answer, Citation
from bot.core.errors import UsageError
from bot.core.settings import MAX_HISTORY_TURNS

QUESTIONS = [
    "What is the range of a Tomahawk missile?",
    "Who initiated the phone call?",
    "Where will Trump and Putin meet?",
    "When?",  # a follow-up of the question before
]
CITATION_LINE = re.compile(r'^\[(\d+)\] (¶\d+|article details) .+: ".+"$')


@pytest.fixture
def index_dir(qa, session_dir):
    """The session index, built by the `qa` fixture, so the chat process builds none."""
    return session_dir / "chroma"


def transcript(stdout: str) -> list[tuple[str, list[str]]]:
    """(question echoed after the prompt, the lines printed for it) per question."""
    blocks: list[tuple[str, list[str]]] = []
    for line in stdout.splitlines():
        if line.startswith(PROMPT):
            blocks.append((line[len(PROMPT) :], []))
        elif blocks:
            blocks[-1][1].append(line)
    return blocks


@pytest.mark.slow
def test_a_piped_chat_answers_each_question_with_its_citations_and_loads_once(index_dir):
    piped = "\n".join(
        [QUESTIONS[0], "", QUESTIONS[1], "   ", QUESTIONS[2], QUESTIONS[3], "x" * 2001, "quit", "Ignored?"]
    )
    r = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input=piped + "\n",
        cwd=ROOT,
        env=bot_environment(index_dir),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    blocks = transcript(r.stdout)
    # the empty lines were skipped, "quit" ended the chat, the line after it was never read
    assert [q for q, _ in blocks] == QUESTIONS + ["x" * 300 + "… (2,001 characters)"]
    for question, lines in blocks[:4]:
        lines = [x for x in lines if x.strip()]
        assert lines and not lines[0].startswith("["), (question, lines)  # the answer comes first
        if lines[0] != "The article doesn't say.":
            assert "Sources:" in lines, (question, lines)
            cited = lines[lines.index("Sources:") + 1 :]
            assert cited and all(CITATION_LINE.match(x) for x in cited), (question, cited)
            markers = {int(CITATION_LINE.match(x)[1]) for x in cited}
            answer_text = " ".join(lines[: lines.index("Sources:")])
            assert all(f"[{n}]" in answer_text for n in markers), (question, lines)
    # the first three are answered from the article, with a citation line each
    assert all(any(CITATION_LINE.match(x) for x in lines) for _, lines in blocks[:3])
    assert blocks[4][1] == []  # the question too long was told on stderr, and the chat went on
    errors = [x for x in error_lines(r.stderr) if x.startswith("error: ")]
    assert errors == [
        "error: The question is 2,001 characters long; the limit is 2,000 - shorten it to the question itself"
    ]
    # one process, loaded once: one loading line, one ready line
    assert r.stderr.count(LOADING) == 1 and r.stderr.count("Ready: 1 article(s)") == 1
    assert "Index:" not in r.stderr  # the session index was current: nothing rebuilt


# --- the loop, over a fake pipeline (no model) -----------------------------------------


class FakeQA:
    """Checks the question and the history as `ArticleQA.ask` does, and answers with one citation."""

    def __init__(self):
        self.loads, self.asked = 0, []
        self.articles = {"a": object()}

    def load(self):
        self.loads += 1

    def index(self):
        def check_article(article_id):
            if article_id and article_id not in self.articles:
                raise UsageError(f"No article has the id {article_id!r} - use one of: a")

        return SimpleNamespace(articles=self.articles, chunks={"c1": None}, check_article=check_article)

    def ask(self, question, history=None, *, article_id=None, id=None):
        question, history = check_question(question), check_history(history)
        self.asked.append((question, history, article_id))
        cite = Citation(1, "c1", "a", "A Title", 10, "It is 995 miles.", "Intro. It is 995 miles.", 0.9, (7, 23))
        return Answer(
            user_input=question,
            response=f"It is 995 miles. [1] ({len(self.asked)})",
            abstained=False,
            search_query=question,
            citations=(cite,),
            short_answer="995 miles",
        )


def chat(text: str, qa=None, **kwargs) -> tuple[int, str, FakeQA]:
    qa = qa or FakeQA()
    out = io.StringIO()
    code = run_chat(qa, stdin=io.StringIO(text), out=out, **kwargs)
    return code, out.getvalue(), qa


def test_each_answer_prints_its_short_answer_then_the_quote_then_its_citations(capsys):
    code, out, qa = chat("What is the range?\n")
    assert code == 0 and qa.loads == 1
    assert out.splitlines() == [
        "> What is the range?",
        "995 miles",
        "It is 995 miles. [1] (1)",
        "",
        "Sources:",
        '[1] ¶10 A Title: "It is 995 miles."',
        "",
    ]
    assert capsys.readouterr().err.splitlines()[0] == LOADING


@pytest.mark.parametrize("end", ["exit", "quit", " QUIT ", "Exit"])
def test_exit_or_quit_ends_the_chat(end):
    code, out, qa = chat(f"First?\n{end}\nNever asked?\n")
    assert code == 0 and [q for q, _, _ in qa.asked] == ["First?"]


def test_empty_lines_are_skipped_and_the_end_of_input_ends_the_chat():
    code, out, qa = chat("\n   \n\t\nFirst?\n\n")
    assert code == 0 and [q for q, _, _ in qa.asked] == ["First?"]
    assert out.count(PROMPT) == 1


def test_bad_input_is_told_and_the_chat_goes_on(capsys):
    code, out, qa = chat("x" * 2001 + "\nbell\x07?\n🙂🙂\nSecond?\n")
    assert code == 0 and [q for q, _, _ in qa.asked] == ["Second?"]
    errors = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error: ")]
    assert errors == [
        "error: The question is 2,001 characters long; the limit is 2,000 - shorten it to the question itself",
        "error: The question contains control characters (U+0007) - remove them and ask again",
        "error: The question has no words in it - ask about the article in words",
    ]
    assert "\x07" not in out  # the echoed line shows the control character as U+FFFD


def test_the_history_is_passed_on_and_stays_within_the_limit():
    questions = [f"Question {n}?" for n in range(MAX_HISTORY_TURNS)]  # twice as many turns as fit
    code, _, qa = chat("".join(q + "\n" for q in questions))
    assert code == 0 and len(qa.asked) == len(questions)  # the Nth question never fails on the history's size
    assert qa.asked[0][1] == []
    assert qa.asked[1][1] == [
        {"role": "user", "content": "Question 0?"},
        {"role": "assistant", "content": "It is 995 miles. [1] (1)"},
    ]
    last = qa.asked[-1][1]
    assert len(last) == MAX_HISTORY_TURNS and last[-2]["content"] == questions[-2]


class Interrupted(FakeQA):
    def ask(self, question, history=None, **kwargs):
        if question == "Stop?":
            raise KeyboardInterrupt
        return super().ask(question, history, **kwargs)


def test_ctrl_c_ends_the_chat_cleanly():
    code, _, qa = chat("First?\nStop?\nNever?\n", Interrupted())
    assert code == 0 and [q for q, _, _ in qa.asked] == ["First?"]


class Broken(FakeQA):
    def ask(self, question, history=None, **kwargs):
        if question == "Break?":
            raise RuntimeError("index exploded at 0xdeadbeef")
        return super().ask(question, history, **kwargs)


def test_an_unexpected_failure_is_one_line_and_the_chat_goes_on(capsys):
    code, _, qa = chat("Break?\nAfter?\n", Broken())
    assert code == 0 and [q for q, _, _ in qa.asked] == ["After?"]
    err = capsys.readouterr().err
    assert "0xdeadbeef" not in err and "Traceback" not in err
    assert "error: Something went wrong on our side while answering (RuntimeError)" in err


def test_the_article_option_is_checked_once_and_passed_with_each_question():
    _, _, qa = chat("First?\nSecond?\n", article_id="a")
    assert [a for _, _, a in qa.asked] == ["a", "a"]
    with pytest.raises(UsageError, match="No article has the id 'nope'"):
        chat("First?\n", article_id="nope")


def test_json_prints_one_answer_per_line_and_echoes_nothing():
    _, out, _ = chat("First?\nSecond?\n", as_json=True)
    records = [json.loads(x) for x in out.splitlines()]
    assert [r["user_input"] for r in records] == ["First?", "Second?"]
    assert records[0]["citations"][0]["paragraph"] == 10


def test_read_questions_at_a_terminal_prompts_and_ends_at_ctrl_d(monkeypatch):
    typed = iter(["First?", "", "Second?"])

    def fake_input(prompt):
        assert prompt == PROMPT
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("builtins.input", fake_input)
    out = io.StringIO()
    assert list(read_questions(Terminal(), out)) == ["First?", "Second?"]
    assert out.getvalue() == "\n"  # the prompt's line is ended, nothing echoed


def test_a_response_that_leads_with_its_short_answer_does_not_repeat_it():
    cite = Citation(1, "c1", "a", "A Title", 10, "It is 995 miles.", "It is 995 miles.", 0.9)
    answer = Answer(
        user_input="How far?",
        response="995 miles [1]\n\nIt is 995 miles. [1]",
        abstained=False,
        citations=(cite,),
        short_answer="995 miles",
    )
    assert render_text(answer).splitlines()[:3] == ["995 miles [1]", "", "It is 995 miles. [1]"]


def test_render_text_makes_an_articles_control_characters_harmless():
    cite = Citation(1, "c1", "a", "Evil\x1b[2J Title", 0, "By\x1b]0;pwned\x07 me", "By me", 0.9)
    text = render_text(Answer(user_input="Who?", response="By me [1]", abstained=False, citations=(cite,)))
    assert "\x1b" not in text and "\x07" not in text
    assert text.splitlines()[-1].startswith("[1] article details Evil\ufffd[2J Title: ")


def test_render_text_of_a_refusal_has_no_short_answer_and_no_sources():
    text = render_text(Answer(user_input="Why?", response="The article doesn't say.", abstained=True))
    assert text == "The article doesn't say."


@pytest.mark.parametrize(
    "args, message",
    [
        (["chat", "extra"], "error: unrecognized arguments: extra - see `python -m bot chat --help`"),
        (["chat", "--article"], "error: argument --article: expected one argument - see `python -m bot chat --help`"),
    ],
)
def test_chat_usage_errors_exit_2_with_one_line(capsys, args, message):
    from bot.app.cli import main

    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    assert capsys.readouterr().err.splitlines() == [message]
