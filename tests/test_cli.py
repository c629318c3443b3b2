"""The command line as a user runs it: `python -m bot ...` in a subprocess.

Answering subprocesses load the model (~12 s each), so they are few, marked slow, and
each checks several things. Usage errors are found before the model loads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_contract import ANSWER_KEYS

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLES = ROOT / "index" / "articles"
RANGE = "What is the range of a Tomahawk missile?"


@pytest.fixture
def index_dir(qa, session_dir):
    """The session index, built by the `qa` fixture, so no subprocess builds one."""
    return session_dir / "chroma"


def bot_environment(index_dir: Path | None = None, **env) -> dict[str, str]:
    """The environment of a `python -m bot` subprocess: offline, over the seed article."""
    environ = {
        **os.environ,
        "BOT_ARTICLES_DIR": str(SEED_ARTICLES),
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "PYTHONIOENCODING": "utf-8",
        **env,
    }
    if index_dir is not None:
        environ["BOT_INDEX_DIR"] = str(index_dir)
    return environ


def bot(*args, index_dir: Path | None = None, timeout: float = 180, **env) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=bot_environment(index_dir, **env),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def error_lines(stderr: str) -> list[str]:
    """What the user sees on stderr, without library warnings."""
    return [x for x in stderr.splitlines() if x.strip() and "Warning" not in x and not x.startswith("  warnings.warn")]


# --- answering (each loads the model) ------------------------------------------------


@pytest.mark.slow
def test_ask_prints_the_answer_and_its_sources(index_dir):
    r = bot("ask", RANGE, index_dir=index_dir)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    answer = lines[: lines.index("Sources:")]
    assert "995 miles" in answer[0]  # the short answer first, then the quoted sentence with its marker
    assert any("[1]" in x for x in answer)
    cited = lines[lines.index("Sources:") + 1 :]
    # each citation on one line: [n] ¶<paragraph> <article title>: "<quote>"
    assert any(x.startswith("[1] ¶10 Trump And Putin Set To Meet") for x in cited)
    assert any('"The Tomahawk missile, with a range of around 995 miles' in x for x in cited)
    assert "Index:" not in r.stderr  # the session index was current: nothing rebuilt


@pytest.mark.slow
def test_ask_json_is_the_contract(index_dir):
    r = bot("ask", "Who wrote this?", "--json", index_dir=index_dir)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) == ANSWER_KEYS | {"load_ms"}
    # the question's own stages; loading the model and index is reported apart, as load_ms
    assert {"retrieve", "answer", "total"} <= set(d["latency_ms"]) and d["load_ms"] > d["latency_ms"]["total"]
    assert d["user_input"] == d["search_query"] == "Who wrote this?"
    assert d["abstained"] is False and d["backend"] == "extractive" and d["notice"] is None
    (c,) = d["citations"]
    assert c["paragraph"] == 0 and "Abhishek Tiwari" in c["quote"] and c["quote"] in c["text"]
    assert f"[{c['marker']}]" in d["response"]
    assert len(d["retrieved_contexts"]) == len(d["retrieved_context_ids"]) == len(d["retrieval_scores"])


LOADED = """
from bot.answering.pipeline import ArticleQA
from bot.core.settings import Settings
from bot.text import nlp

qa = ArticleQA(Settings())
qa.load()
print(nlp._nlp is not None, qa.embedder.langchain is not None, qa.reader._models is not None)
print(qa.reader._models.joint_reader is not None)
"""


@pytest.mark.slow
def test_load_takes_every_start_up_cost_out_of_the_first_question(index_dir):
    # the question parser, the embedder, the reader's weights and its joint reader: none loads
    # inside a question's latency_ms
    environ = {
        **os.environ,
        "BOT_ARTICLES_DIR": str(SEED_ARTICLES),
        "BOT_INDEX_DIR": str(index_dir),
        "HF_HUB_OFFLINE": "1",
    }
    r = subprocess.run(
        [sys.executable, "-c", LOADED], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=180
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "True", "True", "True"]


BATCH_LINES = [
    json.dumps({"id": "good", "user_input": RANGE}),
    "{oops",
    json.dumps({"id": "no-question", "history": []}),
    json.dumps({"id": "empty", "user_input": "   "}),
    "",
    json.dumps({"id": "alias", "question": "Who wrote this?"}),
    json.dumps(
        {
            "id": "follow",
            "user_input": "What is its range?",
            "history": [
                {"role": "user", "content": "What is a Tomahawk missile?"},
                {"role": "assistant", "content": "Tomahawk missiles are long-range weapons. [1]"},
            ],
        }
    ),
    json.dumps({"id": "refuse", "user_input": "What is the boiling point of water?"}),
    "[1, 2]",
    json.dumps({"user_input": "How many ERAMs did the US approve?"}),
    json.dumps({"id": "bad-history", "user_input": RANGE, "history": "not a list"}),
]


@pytest.mark.slow
def test_batch_answers_good_lines_and_names_bad_ones(index_dir, tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(BATCH_LINES) + "\n", encoding="utf-8")
    r = bot("ask", "--batch", str(src), "--out", str(out), index_dir=index_dir)
    assert r.returncode == 1  # some lines failed
    assert r.stdout == ""  # everything went to --out
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in records] == [
        "good",
        "line2",
        "no-question",
        "empty",
        "alias",
        "follow",
        "refuse",
        "line9",
        "line10",
        "bad-history",
    ]  # the blank line 5 is skipped
    by_id = {x["id"]: x for x in records}
    errors = {x["id"]: (x["line"], x["error"]) for x in records if "error" in x}
    assert errors == {
        "line2": (2, "line 2 is not valid JSON (Expecting property name enclosed in double quotes) - fix that line"),
        "no-question": (3, 'line 3 has no "user_input" (or "question") text - add it'),
        "empty": (4, "line 4: The question is empty - type a question about the article"),
        "line9": (9, 'line 9 is not a JSON object - write {"id": ..., "user_input": ...}'),
        "bad-history": (11, 'line 11: history must be a list of {"role": "user"|"assistant", "content": "..."} turns'),
    }
    for rid in ("good", "alias", "follow", "refuse", "line10"):
        assert set(by_id[rid]) == ANSWER_KEYS
    assert by_id["good"]["citations"][0]["paragraph"] == 10
    assert by_id["alias"]["user_input"] == "Who wrote this?" and by_id["alias"]["citations"][0]["paragraph"] == 0
    assert by_id["follow"]["search_query"] == "What is Tomahawk's range?"
    assert by_id["refuse"]["abstained"] is True and by_id["refuse"]["citations"] == []
    assert "3350" in by_id["line10"]["response"]
    # stderr: one line per bad line, then the tally.
    lines = error_lines(r.stderr)
    assert [x for x in lines if x.startswith("error: ")] == [f"error: {e}" for _, e in errors.values()]
    assert lines[-1] == "5 answered, 5 failed"


@pytest.mark.slow
def test_batch_to_stdout_exits_0_when_every_line_is_answered(index_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": 1, "user_input": RANGE}) + "\n" + json.dumps({"id": 2, "question": "Who wrote this?"}),
        encoding="utf-8",
    )
    r = bot("ask", "--batch", str(src), index_dir=index_dir)
    assert r.returncode == 0, r.stderr
    records = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in records] == ["1", "2"]
    assert all(set(x) == ANSWER_KEYS for x in records)
    assert error_lines(r.stderr)[-1] == "2 answered, 0 failed"


@pytest.mark.slow
def test_index_reports_ready_without_rebuilding(index_dir):
    r = bot("index", index_dir=index_dir)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"Index ready at {index_dir}: 1 article(s), 13 passages (")
    assert "Index:" not in r.stderr


# --- the console script --------------------------------------------------------------


def console_script() -> str:
    """pyproject.toml's `bot = "module:function"` entry point."""
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["bot"]


def run_entry_point(target: str, args: list[str]) -> int:
    import importlib

    module, _, function = target.partition(":")
    try:
        return getattr(importlib.import_module(module), function)(args)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 1


def test_the_console_script_names_the_real_entry_point(capsys):
    assert run_entry_point(console_script(), ["ask", "--help"]) == 0
    assert "usage: bot ask" in capsys.readouterr().out


def test_the_installed_console_script_runs(capsys):
    from importlib.metadata import entry_points

    installed = [
        e for e in entry_points(group="console_scripts", name="bot") if e.dist and e.dist.name == "article-qa-bot"
    ]
    if not installed:
        pytest.skip("the package is not installed - run `.venv/bin/pip install -e . --no-deps`")
    (entry,) = installed
    assert entry.value == console_script(), "the installed script is stale - run `.venv/bin/pip install -e . --no-deps`"
    assert run_entry_point(entry.value, ["ask", "--help"]) == 0
    assert "usage: bot ask" in capsys.readouterr().out


# --- usage errors (found before the model loads) -------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["ask"],
            'error: No question given - run `python -m bot ask "your question"` or `python -m bot ask --batch in.jsonl`',
        ),
        (["ask", ""], "error: The question is empty - type a question about the article"),
        (["ask", RANGE, "--batch", "in.jsonl"], "error: Give either a question or --batch FILE, not both"),
        (["ask", RANGE, "--out", "out.jsonl"], "error: --out goes with --batch - add --batch IN.jsonl, or drop --out"),
        (
            ["ask", "--batch", "no/such/file.jsonl"],
            "error: Batch file no/such/file.jsonl does not exist - pass a JSON-lines file such as questions.jsonl",
        ),
        (
            ["ask", "--batch", "tests"],
            "error: Cannot read batch file tests (Is a directory) - pass a readable JSON-lines file",
        ),
        (["ask", "--bogus"], "error: unrecognized arguments: --bogus - see `python -m bot ask --help`"),
        (["frobnicate"], "error: argument command: invalid choice: 'frobnicate' (choose from "),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path, args, message):
    """The same checks as a user meets them, in a real process (about 2 s each)."""
    r = bot(*args, index_dir=tmp_path / "chroma")
    assert r.returncode == 2
    assert r.stdout == ""
    (line,) = error_lines(r.stderr)
    assert line.startswith(message)
    assert not (tmp_path / "chroma").exists()  # nothing was built


def test_an_unwritable_out_path(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"user_input": RANGE}))
    out = tmp_path / "missing" / "out.jsonl"
    r = bot("ask", "--batch", str(src), "--out", str(out), index_dir=tmp_path / "chroma")
    assert r.returncode == 2
    assert error_lines(r.stderr) == [
        f"error: Cannot write {out} (No such file or directory) - check that its folder exists and is writable"
    ]


def test_a_missing_articles_folder(tmp_path):
    folder = tmp_path / "no-articles"
    r = bot("ask", RANGE, index_dir=tmp_path / "chroma", BOT_ARTICLES_DIR=str(folder))
    assert r.returncode == 2
    assert error_lines(r.stderr) == [
        f"error: Articles folder {folder} does not exist - create it and put the article .txt files in it, "
        "or set BOT_ARTICLES_DIR to the folder that has them"
    ]


def test_a_foreign_index_folder(tmp_path):
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"\xff\xd8")
    r = bot("ask", RANGE, index_dir=foreign)
    assert r.returncode == 2
    assert error_lines(r.stderr) == [
        f"error: {foreign} is not an index folder (it has files but no chroma.sqlite3) - set BOT_INDEX_DIR to an "
        "empty or new folder, or move those files away"
    ]
    assert sorted(p.name for p in foreign.iterdir()) == ["cat.jpg"]


def test_bad_settings(tmp_path):
    r = bot("ask", RANGE, index_dir=tmp_path / "chroma", BOT_TOP_K="many")
    assert r.returncode == 2
    assert error_lines(r.stderr) == ["error: BOT_TOP_K='many' is not a whole number - set it to a number from 1 to 50"]


# --- the same edge, in process (no subprocess, no model) ------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["ask", " \t "], "error: The question is empty - type a question about the article"),
        (
            ["ask", "x" * 2001],
            "error: The question is 2,001 characters long; the limit is 2,000 - shorten it to the question itself",
        ),
        (["ask", "why\x07"], "error: The question contains control characters (U+0007) - remove them and ask again"),
        (["ask", "🚀?"], "error: The question has no words in it - ask about the article in words"),
        (
            ["ask", "--out", "o.jsonl"],
            'error: No question given - run `python -m bot ask "your question"` or `python -m bot ask --batch in.jsonl`',
        ),
        ([], "error: the following arguments are required: command - see `python -m bot --help`"),
        (["ask", "--article"], "error: argument --article: expected one argument - see `python -m bot ask --help`"),
        (["index", "--fast"], "error: unrecognized arguments: --fast - see `python -m bot index --help`"),
        (["ask", "Why?", "now"], "error: unrecognized arguments: now - see `python -m bot ask --help`"),
        (
            ["bench", "--repeat", "x"],
            "error: argument --repeat: invalid int value: 'x' - see `python -m bot bench --help`",
        ),
    ],
)
def test_main_usage_errors(capsys, args, message):
    from bot.app.cli import main

    try:
        code = main(args)
    except SystemExit as e:  # argparse's own errors
        code = e.code
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [message]


@pytest.mark.parametrize(
    "env, message",
    [
        ({"BOT_TOP_K": "0"}, "error: BOT_TOP_K=0 is out of range - set it to a number from 1 to 50"),
        (
            {"BOT_LLM": "gpt5"},
            "error: BOT_LLM='gpt5' is not a backend - use one of: extractive, openai, huggingface, llamacpp",
        ),
        (
            {"BOT_LLM": "openai", "BOT_LLM_BASE_URL": "localhost:8080"},
            "error: BOT_LLM_BASE_URL='localhost:8080' is not an http(s) URL - set it like http://127.0.0.1:8080/v1",
        ),
        (
            {"BOT_LLM": "openai", "BOT_LLM_BASE_URL": "http://[::1"},
            "error: BOT_LLM_BASE_URL='http://[::1' is not an http(s) URL - set it like http://127.0.0.1:8080/v1",
        ),
        (
            {"BOT_CHROMA_URL": "http://127.0.0.1:99999"},
            "error: BOT_CHROMA_URL='http://127.0.0.1:99999' is not an http(s) URL - set it like http://127.0.0.1:8000",
        ),
        (
            {"BOT_CHROMA_URL": "127.0.0.1:8000"},
            "error: BOT_CHROMA_URL='127.0.0.1:8000' is not an http(s) URL - set it like http://127.0.0.1:8000",
        ),
        (
            {"BOT_LLM_TIMEOUT_S": "soon"},
            "error: BOT_LLM_TIMEOUT_S='soon' is not a number - set it to a number from 0.1 to 600.0",
        ),
    ],
)
def test_main_bad_settings(capsys, monkeypatch, env, message):
    from bot.app.cli import main

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["ask", RANGE]) == 2
    assert capsys.readouterr().err.splitlines() == [message]
