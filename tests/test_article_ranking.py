"""The retrieval-only article-ranking bench (benchmarks/article_ranking.py) on a small archive."""

from __future__ import annotations

import json

from conftest import qa_over

from benchmarks.article_ranking import main

ARTICLES = {
    "harbour": "Storm floods the harbour town\n\nThe storm flooded the harbour town of Port Ellis on Monday. "
    "The mayor, Jo Venn, ordered the quay evacuated and said repairs would cost £2m.",
    "chess": "Teenager wins the chess open\n\nA 15-year-old from Leeds, Amir Patel, won the Northern chess open "
    "on Sunday after beating the defending champion in 41 moves.",
    "budget": "Council sets its budget\n\nThe county council agreed a budget of £310m for next year, "
    "with council tax rising by 4.9%, after a three-hour meeting.",
}


def test_a_missing_set_exits_2_with_what_to_give(tmp_path, capsys):
    assert main([str(tmp_path / "nope.jsonl")]) == 2
    assert "is not a file - give evaluation sets in jsonl" in capsys.readouterr().err


def test_it_prints_how_often_each_ranking_puts_the_questions_article_first(tmp_path, embedder, monkeypatch, capsys):
    (tmp_path / "articles").mkdir()
    for aid, text in ARTICLES.items():
        (tmp_path / "articles" / f"{aid}.txt").write_text(text, encoding="utf-8")
    qa_over(tmp_path, embedder).index(progress=False)
    questions = [
        ("harbour", "Who ordered the quay in Port Ellis evacuated?"),
        ("chess", "How many moves did Amir Patel need to beat the champion?"),
        ("budget", "By how much is council tax rising under the county budget?"),
        ("budget", "Why was the storm so bad?"),  # unanswerable: left out
    ]
    rows = [{"article_id": a, "user_input": q, "answerable": i < 3} for i, (a, q) in enumerate(questions)]
    (tmp_path / "set.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    monkeypatch.setenv("BOT_ARTICLES_DIR", str(tmp_path / "articles"))
    monkeypatch.setenv("BOT_INDEX_DIR", str(tmp_path / "chroma"))
    assert main([str(tmp_path / "set.jsonl")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 questions over 3 articles")
    assert "| fused (passages + whole-article BM25) | 100.0% | 100.0% | 100.0% |" in out
    assert "| fused + joint reader | 100.0% | 100.0% | 100.0% |" in out
    assert len([line for line in out.splitlines() if line.startswith("| ") and "%" in line]) == 7
