"""`python -m bot eval` end to end on a small dataset: outputs, gates, baseline, bad lines."""

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest
from conftest import EVAL_DIR, SEED_ARTICLES

from bot.app import cli
from bot.evaluation.report import PLOTS, latest_report

PICK = ["q001", "q003", "q005"]  # answerable, with gold spans


def _no_nan(text):
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Three answerable questions, a follow-up, two unanswerable, one in the older field
    names, one the bot rejects as too long; line 3 is malformed."""
    lines = {json.loads(line)["id"]: json.loads(line) for line in (EVAL_DIR / "article.jsonl").read_text().splitlines()}
    follow_up = next(o for o in lines.values() if o["history"] and o["answerable"])
    unanswerable = [o for o in lines.values() if not o["answerable"]][:2]
    old_names = {"question": lines["q002"]["user_input"], "ground_truth": lines["q002"]["reference"], "id": "old"}
    rows = (
        [json.dumps(lines[i]) for i in PICK[:2]] + ["{not json"] + [json.dumps(lines[PICK[2]]), json.dumps(follow_up)]
    )
    too_long = {"id": "long", "user_input": "Why? " * 500, "answerable": False}  # the bot rejects it: an error record
    rows += [json.dumps(o) for o in unanswerable] + [json.dumps(old_names), json.dumps(too_long)]
    path = tmp_path_factory.mktemp("eval") / "small.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def clean_dataset(dataset, tmp_path_factory):
    """The same set less the question the bot rejects (an error fails every gate)."""
    lines = [x for x in dataset.read_text(encoding="utf-8").splitlines() if '"id": "long"' not in x]
    path = tmp_path_factory.mktemp("eval-clean") / "clean.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def first_run(dataset, tmp_path_factory, session_dir):
    """The real command in a fresh process, run from a folder of its own (default output folder).
    Module-scoped, so it sets the test environment itself (the autouse fixture is per test)."""
    cwd = tmp_path_factory.mktemp("cwd")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_") and k not in ("OPENAI_API_KEY", "HF_TOKEN")}
    env |= {
        "BOT_ARTICLES_DIR": str(SEED_ARTICLES),
        "BOT_INDEX_DIR": str(session_dir / "chroma"),
        "BOT_FEEDBACK_PATH": str(session_dir / "feedback.jsonl"),
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "eval", str(dataset)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    runs = sorted((cwd / "eval-runs").iterdir()) if (cwd / "eval-runs").exists() else []
    return proc, runs, cwd


@pytest.fixture
def in_process(qa, monkeypatch):
    """Runs the CLI in this process over the session's pipeline (no second model load)."""
    monkeypatch.setattr("bot.app.eval_command.ArticleQA", lambda *a, **k: qa)
    return cli.main


@pytest.mark.slow
def test_eval_writes_parseable_outputs_into_a_new_run_folder(first_run, dataset):
    proc, runs, _ = first_run
    assert proc.returncode == 0, proc.stderr
    assert len(runs) == 1
    run = runs[0]
    records = [_no_nan(line) for line in (run / "results.jsonl").read_text().splitlines()]
    lines = dataset.read_text().splitlines()
    assert [r["id"] for r in records] == [json.loads(line)["id"] for n, line in enumerate(lines, 1) if n != 3]
    for r in records[:-1]:
        assert {
            "user_input",
            "response",
            "abstained",
            "citations",
            "retrieved_contexts",
            "reference",
            "scores",
        } <= r.keys()
    summary = _no_nan((run / "summary.json").read_text())
    assert summary["dataset"]["sha256"] == hashlib.sha256(dataset.read_bytes()).hexdigest()
    assert summary["dataset"]["questions"] == 8 and summary["dataset"]["unanswerable"] == 3
    assert list(summary["skipped"]["errors"]) == ["long"] and "error" in records[-1] and "scores" not in records[-1]
    assert all(len(a["text_sha256"]) == 64 for a in summary["articles"])
    assert summary["backend"] == "extractive" and summary["models"]["embedding"]
    assert summary["settings"]["top_k"] >= 1 and len(summary["git_commit"] or "") >= 40
    m = summary["metrics"]
    assert m["recall@5"]["n"] == 4  # the line in older field names has no spans: skipped, counted
    assert summary["skipped"]["retrieval"] == {"no reference_spans": 1}
    assert m["correct_refusal_rate"]["n"] == 2 and m["answer_rate"]["n"] == 5
    assert m["hit@5"]["ci95"][0] <= m["hit@5"]["value"] <= m["hit@5"]["ci95"][1]
    assert summary["latency_ms"]["total"]["n"] == 7 and summary["latency_ms"]["floor"]["n"] == 7
    floor, total = summary["latency_ms"]["floor"], summary["latency_ms"]["total"]
    assert 0 < floor["p50"] < total["p50"]  # a question costs more than its own embedding
    assert summary["latency_x_floor"]["p95"] == round(total["p95"] / floor["p95"], 2)
    assert len(summary["threshold_sweep"]["rows"]) == 101
    report = (run / "report.md").read_text()
    for png in PLOTS:
        assert (run / png).read_bytes()[:4] == b"\x89PNG" and f"]({png})" in report
    assert "| recall@5 |" in proc.stdout and "| total |" in proc.stdout


@pytest.mark.slow
def test_a_malformed_line_is_reported_with_its_number_and_the_rest_still_run(first_run):
    proc, runs, _ = first_run
    assert "line 3 is not valid JSON" in proc.stderr
    summary = json.loads((runs[0] / "summary.json").read_text())
    assert summary["skipped"]["dataset_lines"] == {
        "3": "line 3 is not valid JSON (Expecting property name enclosed in double quotes) - skipped"
    }
    assert len((runs[0] / "results.jsonl").read_text().splitlines()) == 8


@pytest.mark.slow
def test_extractive_answers_score_full_faithfulness(first_run):
    summary = json.loads((first_run[1][0] / "summary.json").read_text())
    faithfulness = summary["metrics"]["faithfulness"]
    assert faithfulness["n"] >= 3 and faithfulness["value"] == 1.0


@pytest.mark.slow
def test_latest_report_returns_the_newest_run(first_run):
    _, runs, cwd = first_run
    text, pngs = latest_report(cwd / "eval-runs")
    assert "| recall@5 |" in text and "backend `extractive`" in text
    assert pngs == [str(runs[0] / p) for p in PLOTS]


def test_latest_report_without_runs_is_none(tmp_path):
    assert latest_report(tmp_path / "eval-runs") is None
    (tmp_path / "eval-runs" / "broken").mkdir(parents=True)
    (tmp_path / "eval-runs" / "broken" / "summary.json").write_text("{")
    assert latest_report(tmp_path / "eval-runs") is None


@pytest.mark.slow
def test_gates_met_and_an_unchanged_baseline_exit_0(in_process, first_run, clean_dataset, tmp_path, capsys):
    baseline = first_run[1][0] / "summary.json"
    code = in_process(
        [
            "eval",
            str(clean_dataset),
            "--out",
            str(tmp_path / "run"),
            "--no-plots",
            "--fail-under",
            "answer_rate=0.5,hit@5=0.5",
            "--max-p95-x",
            "100000",
            "--baseline",
            str(baseline),
            "--max-drop",
            "0.02",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "| hit@5 | 1.000 | 1.000 | +0.000 |" in out.out
    assert "All gates met (2 metric floors, p95 latency against its floor, max drop)." in out.out
    assert not list((tmp_path / "run").glob("*.png")) and "![" not in (tmp_path / "run" / "report.md").read_text()


@pytest.mark.slow
def test_missed_gates_exit_1_naming_each_miss(in_process, dataset, tmp_path, capsys):
    code = in_process(
        [
            "eval",
            str(dataset),
            "--out",
            str(tmp_path / "run"),
            "--no-plots",
            "--fail-under",
            "exact_match=0.9,answer_rate=0.5",
            "--max-p95-x",
            "0.001",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "FAIL: exact_match = 0.0000 is under 0.9" in err
    assert re.search(
        r"FAIL: total p95 latency = [\d.]+x its floor \([\d.]+ ms against [\d.]+ ms for one query embedding\) is over 0.001x",
        err,
    )
    assert "answer_rate" not in err


@pytest.mark.slow
def test_a_drop_beyond_max_drop_fails_against_the_baseline(in_process, first_run, dataset, tmp_path, capsys):
    baseline = json.loads((first_run[1][0] / "summary.json").read_text())
    baseline["metrics"]["hit@5"]["value"] = baseline["metrics"]["hit@5"]["value"] + 0.5
    path = tmp_path / "old.json"
    path.write_text(json.dumps(baseline))
    code = in_process(
        [
            "eval",
            str(dataset),
            "--out",
            str(tmp_path / "run"),
            "--no-plots",
            "--baseline",
            str(path),
            "--max-drop",
            "0.02",
        ]
    )
    out = capsys.readouterr()
    assert code == 1
    assert "| hit@5 | 1.500 | 1.000 | -0.500 **regression** |" in out.out
    assert "FAIL: hit@5 moved -0.5000 from the baseline's 1.5000 (allowed: 0.02)" in out.err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--fail-under", "recall@50=0.9"], "unknown metric 'recall@50' - use one of: hit@1, hit@3"),
        (
            ["--fail-under", "false_refusal_rate=0.1"],
            "is lower-is-better - give it a ceiling, like false_refusal_rate<=0.1",
        ),
        (["--fail-under", "answerable_right<=0.5"], "is higher-is-better - give it a floor, like answerable_right=0.5"),
        (["--fail-under", "recall@5"], "is not name=value"),
        (["--fail-under", "recall@5=high"], "is not a number"),
        (["--fail-under", "recall@5=1.5"], "is out of range"),
        (["--max-drop", "0.02"], "--max-drop needs --baseline"),
        (["--baseline", "missing/summary.json"], "does not exist"),
    ],
)
def test_usage_errors_exit_2_before_running(argv, message, dataset, tmp_path, capsys):
    code = cli.main(["eval", str(dataset), "--out", str(tmp_path / "run"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        '{"metrics": 3}',
        '{"metrics": {"f1": 0.5}}',
        '{"metrics": {"f1": {"value": "high"}}}',
        '{"metrics": {}}',
        '{"metrics": {"f1": {"value": NaN}}}',
        '{"metrics": {"speed": {"value": 1}}}',
    ],
)
def test_a_baseline_that_is_not_a_summary_is_a_usage_error(content, dataset, tmp_path, capsys):
    path = tmp_path / "summary.json"
    path.write_text(content)
    assert cli.main(["eval", str(dataset), "--baseline", str(path)]) == 2
    assert "is not a summary.json written by `python -m bot eval`" in capsys.readouterr().err


def test_a_baseline_that_is_a_folder_is_a_usage_error(dataset, tmp_path, capsys):
    assert cli.main(["eval", str(dataset), "--baseline", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"error: Cannot read baseline {tmp_path} (Is a directory) - pass the summary.json of an earlier run\n"
    )


@pytest.mark.parametrize("flag, value", [("--max-p95-x", "nan"), ("--max-p95-x", "-1"), ("--max-drop", "inf")])
def test_a_limit_that_would_let_every_run_pass_is_refused(flag, value, dataset, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["eval", str(dataset), flag, value])
    assert e.value.code == 2
    assert capsys.readouterr().err == (
        f"error: argument {flag}: {value!r} must be a finite number, 0 or more - see `python -m bot eval --help`\n"
    )


@pytest.mark.slow
def test_a_question_that_errors_fails_the_gates(in_process, dataset, tmp_path, capsys):
    code = in_process(
        ["eval", str(dataset), "--out", str(tmp_path / "run"), "--no-plots", "--fail-under", "answer_rate=0.5"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "FAIL: 1 question(s) errored, each a failure (first: long: The question is 2,499 characters long" in err


def test_without_matplotlib_the_run_goes_on_without_plots(in_process, clean_dataset, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    code = in_process(["eval", str(clean_dataset), "--out", str(tmp_path / "run"), "--fail-under", "answer_rate=0.5"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert (
        "Plots skipped: matplotlib is not installed - pip install -e '.[eval]' for them (or pass --no-plots)"
    ) in err
    assert (tmp_path / "run" / "summary.json").exists() and not list((tmp_path / "run").glob("*.png"))


def test_a_dataset_without_usable_lines_is_a_usage_error(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "x"}\n[1]\n')
    assert cli.main(["eval", str(path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert (
        'line 1 has no "user_input"' in err and "line 2 is not a JSON object" in err and "has no usable question" in err
    )


RAGAS_VENV = EVAL_DIR.parent.parent / ".venv-ragas"
# ragas's own loader, in its own venv: each line becomes a SingleTurnSample; print its fields.
RAGAS_LOAD = """
import json, sys
import ragas
data = ragas.EvaluationDataset.from_jsonl(sys.argv[1])
print(json.dumps([ragas.__version__, [s.model_dump() for s in data]]))
"""


@pytest.mark.ragas
@pytest.mark.slow
def test_results_load_in_ragas_unchanged(first_run):
    if not (RAGAS_VENV / ".installed").exists():  # the stamp: a venv whose install failed has none
        pytest.skip(
            "ragas is not set up - run `make setup-ragas` (a venv of its own, pinned in tests/ragas-requirements.txt)"
        )
    path = first_run[1][0] / "results.jsonl"
    done = subprocess.run(
        [str(RAGAS_VENV / "bin" / "python"), "-c", RAGAS_LOAD, str(path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    version, samples = json.loads(done.stdout.strip().splitlines()[-1])
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert version == "0.2.15" and len(samples) == len(records) > 0
    assert sum(s["response"] is not None for s in samples) >= len(records) - 1  # one line is an error record
    for sample, record in zip(samples, records):
        fields = ("user_input", "response", "retrieved_contexts", "reference", "reference_contexts")
        if "error" not in record:
            assert set(fields) <= set(record), record.get("id")
        for field in fields:
            assert sample[field] == record.get(field), field  # an error record has no response
