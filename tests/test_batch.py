"""Batch answering (`python -m bot ask --batch`), line by line, over a fake pipeline:
good lines answered, bad ones given an error record that says what to fix, none lost."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest


class FakeQA:
    """Answers every question with its own text; validates like the real one."""

    def __init__(self, setup_error=None):
        self.asked = []
        self.setup_error = setup_error
        self.opened = 0

    def warm_up(self):
        self.opened += 1
        if self.setup_error:
            raise self.setup_error

    def index(self):
        from bot.store.index import Index

        index = SimpleNamespace(articles={"art": None})
        index.check_article = lambda article_id: Index.check_article(index, article_id)
        return index

    def ask(self, question, history=None, *, id=None, article_id=None):
        from bot.answering.guards import check_history, check_question
        from bot.core.answer import Answer

        question = check_question(question)
        check_history(history)
        self.asked.append((id, question, article_id))
        return Answer(user_input=question, response=f"echo: {question}", abstained=False, id=id)


@pytest.mark.parametrize(
    "line, record",
    [
        ('{"id": "a", "user_input": "Why?"}', {"id": "a", "response": "echo: Why?"}),
        ('{"id": 7, "question": "Why?"}', {"id": "7", "response": "echo: Why?"}),
        ('{"user_input": "Why?"}', {"id": "line1", "response": "echo: Why?"}),
        ('{"id": null, "user_input": "Why?"}', {"id": "line1", "response": "echo: Why?"}),
        ('{"id": "b"}', {"id": "b", "line": 1, "error": 'line 1 has no "user_input" (or "question") text - add it'}),
        (
            '{"id": "c", "user_input": 42}',
            {
                "id": "c",
                "line": 1,
                "error": 'line 1: "user_input" must be text, not a number - put the question in quotes',
            },
        ),
        (
            '{"id": {"n": 1}, "question": ["Why?"]}',
            {
                "id": '{"n": 1}',
                "line": 1,
                "error": 'line 1: "question" must be text, not a list - put the question in quotes',
            },
        ),
        (
            '{"id": "d", "user_input": ""}',
            {"id": "d", "line": 1, "error": "line 1: The question is empty - type a question about the article"},
        ),
        ("not json", {"id": "line1", "line": 1, "error": "line 1 is not valid JSON (Expecting value) - fix that line"}),
        (
            '"a string"',
            {"id": "line1", "line": 1, "error": 'line 1 is not a JSON object - write {"id": ..., "user_input": ...}'},
        ),
        (
            '{"id": "e", "user_input": "Why?", "history": [{"role": "bot", "content": "x"}]}',
            {
                "id": "e",
                "line": 1,
                "error": 'line 1: history turn 1 must be {"role": "user"|"assistant", "content": "..."} - fix or drop that turn',
            },
        ),
    ],
)
def test_answer_batch_records(tmp_path, capsys, line, record):
    from bot.app.batch import answer_batch

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(line + "\n", encoding="utf-8")
    code = answer_batch(FakeQA(), str(src), str(out))
    (got,) = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert {k: got[k] for k in record} == record
    assert code == (1 if "error" in record else 0)
    assert capsys.readouterr().err.splitlines()[-1] == (
        "0 answered, 1 failed" if "error" in record else "1 answered, 0 failed"
    )


def test_answer_batch_keeps_going_and_passes_the_article(tmp_path, capsys):
    from bot.app.batch import answer_batch

    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": "1", "user_input": "One?"}\n\n   \n{bad\n{"id": "3", "user_input": "Three?"}\n', encoding="utf-8"
    )
    qa = FakeQA()
    assert answer_batch(qa, str(src), None, article_id="art") == 1
    assert qa.asked == [("1", "One?", "art"), ("3", "Three?", "art")]
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["1", "line4", "3"]


def test_answer_batch_rejects_a_file_that_is_not_utf8(tmp_path):
    from bot.app.batch import answer_batch
    from bot.core.errors import UsageError

    src = tmp_path / "in.jsonl"
    src.write_bytes('{"user_input": "caf\u00e9?"}'.encode("latin-1"))
    with pytest.raises(UsageError) as e:
        answer_batch(FakeQA(), str(src), None)
    assert str(e.value) == f"Batch file {src} is not UTF-8 text - save it as UTF-8 JSON lines"


def test_answer_batch_splits_lines_only_at_newlines(tmp_path, capsys):
    from bot.app.batch import answer_batch

    src = tmp_path / "in.jsonl"
    # JSON leaves U+2028 and U+2029 unescaped inside strings; they do not end a line.
    src.write_text(
        '{"id": "a", "user_input": "Why\u2028now?"}\r\n{"id": "b", "user_input": "And\u2029then?"}\n', encoding="utf-8"
    )
    qa = FakeQA()
    assert answer_batch(qa, str(src), None) == 0
    assert [i for i, _, _ in qa.asked] == ["a", "b"]
    assert capsys.readouterr().err.splitlines()[-1] == "2 answered, 0 failed"


@pytest.mark.parametrize("existing", [True, False])
def test_a_setup_problem_ends_the_batch_once_instead_of_failing_every_line(tmp_path, existing):
    from bot.app.batch import answer_batch
    from bot.core.errors import ArticlesFolderError

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"user_input": "One?"}\n{"user_input": "Two?"}\n', encoding="utf-8")
    if existing:
        out.write_text("earlier answers\n", encoding="utf-8")
    qa = FakeQA(setup_error=ArticlesFolderError("Articles folder x does not exist - create it"))
    with pytest.raises(ArticlesFolderError, match="does not exist"):
        answer_batch(qa, str(src), str(out))
    assert qa.opened == 1 and qa.asked == []
    # A run that answered nothing leaves the out file as it was: neither emptied nor created.
    if existing:
        assert out.read_text(encoding="utf-8") == "earlier answers\n"
    else:
        assert not out.exists()


def test_an_unknown_article_ends_the_batch_once(tmp_path):
    from bot.app.batch import answer_batch
    from bot.core.errors import UsageError

    src = tmp_path / "in.jsonl"
    src.write_text('{"user_input": "One?"}\n{"user_input": "Two?"}\n', encoding="utf-8")
    qa = FakeQA()
    with pytest.raises(UsageError) as e:
        answer_batch(qa, str(src), None, article_id="nope")
    assert str(e.value) == "No article has the id 'nope' - use one of: art" and e.value.exit_code == 2
    assert qa.asked == []


@pytest.mark.parametrize("target", ["file", "/dev/null"])
def test_a_run_writes_its_answers_over_the_out_file(tmp_path, target):
    from bot.app.batch import answer_batch

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl" if target == "file" else target
    src.write_text('{"id": "a", "user_input": "One?"}\n', encoding="utf-8")
    if target == "file":
        out.write_text('{"id": "old"}\n{"id": "older"}\n', encoding="utf-8")
    assert answer_batch(FakeQA(), str(src), str(out)) == 0
    if target == "file":
        assert [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()] == ["a"]


@pytest.mark.parametrize(
    "make, why",
    [
        (lambda d: d / "missing" / "out.jsonl", "No such file or directory"),
        (lambda d: d, "Is a directory"),
    ],
)
def test_an_out_path_that_cannot_be_written_is_refused_before_the_model_loads(tmp_path, make, why):
    from bot.app.batch import answer_batch
    from bot.core.errors import UsageError

    src = tmp_path / "in.jsonl"
    src.write_text('{"user_input": "One?"}\n', encoding="utf-8")
    qa, out = FakeQA(), make(tmp_path)
    with pytest.raises(UsageError) as e:
        answer_batch(qa, str(src), str(out))
    assert str(e.value) == f"Cannot write {out} ({why}) - check that its folder exists and is writable"
    assert qa.opened == 0


@pytest.mark.parametrize("content", ["", "\n  \n"])
def test_a_batch_file_without_questions_says_so(tmp_path, content):
    from bot.app.batch import answer_batch
    from bot.core.errors import UsageError

    src = tmp_path / "in.jsonl"
    src.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError) as e:
        answer_batch(FakeQA(), str(src), None)
    assert str(e.value) == (
        f"Batch file {src} has no questions - write one JSON object per line, "
        'like {"id": "q1", "user_input": "Who wrote this?"}'
    )
