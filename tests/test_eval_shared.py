"""The eval over articles nobody tuned the bot on: BBC articles (JSON lines with
`article_id` and quoted contexts) and SQuAD 2.0 (the Normans article), each indexed into a
temporary store; the spans filled for multi-article sets; batch lines naming their article."""

import json
import shutil

import pytest
from conftest import EVAL_DIR, needs_shared

from bot.app import cli
from bot.evaluation.dataset import parse_example
from bot.evaluation.squad import compute_f1, read_squad, squad_scores
from bot.text.article import load_article, parse_article

pytestmark = pytest.mark.shared


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


BBC = ("bbc-business-241", "bbc-tech-183")  # two bbc-dev articles


@pytest.fixture(scope="module")
def shared():
    return needs_shared()


@pytest.fixture
def bbc(shared, tmp_path):
    """A folder with two BBC articles and their bbc-dev questions (no spans: located at scoring)."""
    folder = tmp_path / "articles"
    folder.mkdir()
    lines = [o for o in read_jsonl(shared / "bbc-dev.jsonl") if o["article_id"] in BBC]
    for article_id in BBC:
        shutil.copy(shared / "articles" / f"{article_id}.txt", folder)
    path = tmp_path / "bbc.jsonl"
    path.write_text("".join(json.dumps(o) + "\n" for o in lines), encoding="utf-8")
    return folder, path, lines


@pytest.fixture
def real_pipeline(monkeypatch, embedder):
    """The eval's own ArticleQA (over the settings it chose), sharing the session's model."""
    from bot.answering.pipeline import ArticleQA

    made = []

    def make(settings=None):
        qa = ArticleQA(settings)
        qa.embedder = embedder
        made.append(qa)
        return qa

    monkeypatch.setattr("bot.app.eval_command.ArticleQA", make)
    return made


def test_squad_spans_land_on_the_answers_in_the_cleaned_text(shared):
    articles, lines = read_squad(shared / "squad2-normans.json")
    assert list(articles) == ["squad-normans"] and len(lines) == 208
    assert sum(not o["answerable"] for o in lines) == 112
    text = parse_article(articles["squad-normans"], "squad-normans").text
    for o in lines:
        ex = parse_example(o, 1)
        assert ex.answerable == bool(ex.reference_spans), o["id"]
        for s, e in ex.reference_spans:
            assert text[s:e] in ex.references, (o["id"], text[s:e])


def test_squad_scores_follow_the_official_script():
    golds = {"a": ["Paris", "the city of Paris"], "b": [], "c": ["1066"], "d": []}
    preds = {"a": "city of Paris.", "b": "", "c": "in 1066", "d": "Rouen"}
    na = {"a": 0.2, "b": 0.9, "c": 0.4, "d": 0.3}
    s = squad_scores(golds, preds, na)
    # a: EM 1 (articles and punctuation go), c: F1 2/3, b: right to abstain, d: wrong
    assert (s["exact"], s["HasAns_exact"], s["NoAns_exact"]) == (50.0, 50.0, 50.0)
    assert s["f1"] == round(100 * (1 + 2 / 3 + 1) / 4, 4) and compute_f1("", "") == 1.0
    # abstaining above 0.3 drops d's wrong answer and c's partial one: best at 0.2
    assert (s["best_exact"], s["best_exact_thresh"]) == (75.0, 0.2)
    assert (s["best_f1"], s["best_f1_thresh"]) == (75.0, 0.2)


@pytest.mark.slow
def test_eval_reads_squad_json_into_a_temporary_store(shared, real_pipeline, tmp_path, capsys, monkeypatch):
    data = json.loads((shared / "squad2-normans.json").read_text(encoding="utf-8"))
    data["data"][0]["paragraphs"] = data["data"][0]["paragraphs"][:2]  # a few questions, the whole path
    path = tmp_path / "normans-small.json"  # detected by content, whatever its name
    path.write_text(json.dumps(data), encoding="utf-8")
    questions = sum(len(p["qas"]) for p in data["data"][0]["paragraphs"])
    user_index = tmp_path / "user-index"
    monkeypatch.setenv("BOT_INDEX_DIR", str(user_index))
    assert cli.main(["eval", str(path), "--out", str(tmp_path / "run"), "--no-plots"]) == 0
    out = capsys.readouterr().out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    squad = summary["squad"]
    assert squad["total"] == questions and squad["HasAns_total"] + squad["NoAns_total"] == questions
    for key in ("exact", "f1", "HasAns_f1", "NoAns_exact", "best_exact", "best_f1", "best_f1_thresh"):
        assert isinstance(squad[key], float), key
    assert "SQuAD 2.0 official figures" in out and "Headline: answerable answered right" in out
    assert summary["metrics"]["hit@5"]["n"] == squad["HasAns_total"]  # every answer span is gold evidence
    assert summary["metrics"]["citation_gold_hit"]["n"] > 0
    assert [a["id"] for a in summary["articles"]] == ["squad-normans"]
    settings = real_pipeline[0].settings
    assert not settings.index_dir.exists() and not settings.articles_dir.exists()  # cleaned up
    assert not user_index.exists()  # the user's index is never touched
    records = read_jsonl(tmp_path / "run" / "results.jsonl")
    refused = sum(r["abstained"] and not r["answerable"] for r in records)
    assert squad["NoAns_exact"] == pytest.approx(100 * refused / squad["NoAns_total"], abs=0.01)


@pytest.mark.slow
def test_eval_over_bbc_articles_locates_spans_and_reports_per_article_and_tag(bbc, real_pipeline, tmp_path, capsys):
    folder, path, lines = bbc
    argv = ["eval", str(path), "--articles", str(folder), "--out", str(tmp_path / "run"), "--no-plots"]
    gates = "answerable_right=0.01,unanswerable_refused=0,answerable_refused<=1"
    assert cli.main([*argv, "--fail-under", gates]) == 0
    out = capsys.readouterr().out
    assert "All gates met (2 metric floors, 1 ceiling)." in out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    answerable = sum(o["answerable"] for o in lines)
    m = summary["metrics"]
    assert m["recall@5"]["n"] == answerable and "retrieval" not in summary["skipped"]  # spans located
    records = read_jsonl(tmp_path / "run" / "results.jsonl")
    assert m["citation_gold_hit"]["n"] == sum(r["answerable"] and not r["abstained"] for r in records)
    head = summary["headline"]
    assert set(head["by_article"]) == set(BBC)
    assert head["set"]["answerable_right"]["n"] == answerable
    assert head["set"]["unanswerable_refused"]["n"] == len(lines) - answerable
    assert {t for o in lines for t in o["tags"]} == set(head["by_tag"])
    assert sum(f["questions"] for f in head["by_article"].values()) == len(lines)
    report = (tmp_path / "run" / "report.md").read_text()
    assert f"| {BBC[0]} | 13 |" in report and "| article | n | answerable answered right" in report
    settings = real_pipeline[0].settings  # a temporary store of the dataset's articles alone, removed after
    assert settings.articles_dir != folder and not settings.articles_dir.exists() and not settings.index_dir.exists()


def test_fill_spans_fills_a_multi_article_set(bbc, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(EVAL_DIR))
    from fill_spans import main

    folder, path, lines = bbc
    out = tmp_path / "filled.jsonl"
    assert main([str(path), "--articles", str(folder), "--out", str(out)]) == 0
    texts = {a: load_article(folder / f"{a}.txt").text for a in BBC}
    filled = read_jsonl(out)
    assert [o["id"] for o in filled] == [o["id"] for o in lines]
    for o in filled:
        assert len(o["reference_spans"]) == len(o["reference_contexts"])
        for (s, e), ctx in zip(o["reference_spans"], o["reference_contexts"]):
            assert " ".join(texts[o["article_id"]][s:e].split()) in " ".join(ctx.split())


def test_batch_lines_carry_their_article(bbc, embedder, tmp_path, capsys):
    from bot.answering.pipeline import ArticleQA
    from bot.app.batch import answer_batch
    from bot.core.settings import Settings

    folder, _, lines = bbc
    qa = ArticleQA(Settings(articles_dir=folder, index_dir=tmp_path / "chroma"))
    qa.embedder = embedder
    picked = [next(o for o in lines if o["article_id"] == a and o["answerable"]) for a in BBC]
    rows = [{"id": o["id"], "user_input": o["user_input"], "article_id": o["article_id"]} for o in picked]
    rows.append({"id": "nope", "user_input": "Who?", "article_id": "no-such-article"})
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert answer_batch(qa, str(src), str(tmp_path / "out.jsonl")) == 1  # one line failed, the rest answered
    out = read_jsonl(tmp_path / "out.jsonl")
    for record, o in zip(out, picked):
        assert record["id"] == o["id"]
        assert record["citations"] and all(c["article_id"] == o["article_id"] for c in record["citations"])
    assert out[-1]["id"] == "nope" and "No article has the id 'no-such-article'" in out[-1]["error"]
    assert "2 answered, 1 failed" in capsys.readouterr().err
