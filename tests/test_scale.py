"""The scale bench: its synthetic archive, and a small run in both store modes."""

from __future__ import annotations

import io

import pytest

from benchmarks.scale import parse_sizes, run_scale, synthetic_articles
from bot.app.cli import main
from bot.store.chunking import chunk_article
from bot.text.article import parse_article


def test_the_synthetic_archive_is_seeded_and_has_about_15_passages_per_article():
    a, b = synthetic_articles(30, seed=3), synthetic_articles(30, seed=3)
    assert [x.text for x in a] == [x.text for x in b]
    assert [x.text for x in a] != [x.text for x in synthetic_articles(30, seed=4)]
    for art in a:
        parsed = parse_article(art.text, art.id)
        assert len(chunk_article(parsed)) == 15
        assert parsed.author and parsed.published
        assert len(set(art.questions)) == len(art.questions) >= 40
    assert len({x.id for x in a}) == 30


@pytest.mark.parametrize("raw, expected", [("1,100,1000", [1, 100, 1000]), ("100, 1", [1, 100]), ("5,5", [5])])
def test_parse_sizes(raw, expected):
    assert parse_sizes(raw) == expected


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--sizes", "1,ten"], "--sizes '1,ten' must be article counts separated by commas, like 1,100,1000"),
        (["--sizes", "0"], "--sizes '0' must be positive article counts, like 1,100,1000"),
        (["--modes", "cloud"], "--modes 'cloud' must be embedded, server or embedded,server"),
    ],
)
def test_bad_scale_flags_exit_2_with_the_fix(argv, message, capsys):
    assert main(["bench", "--scale", *argv]) == 2
    assert capsys.readouterr().err.strip().endswith(message)


@pytest.mark.slow
def test_the_scale_bench_runs_small_sizes_in_both_modes(embedder):
    out = io.StringIO()
    rows = run_scale([1, 8], ["embedded", "server"], embedder=embedder, isolate=False, queries=12, out=out)
    assert [(r.mode, r.articles, r.chunks) for r in rows] == [
        ("embedded", 1, 15),
        ("embedded", 8, 120),
        ("server", 1, 15),
        ("server", 8, 120),
    ]
    for r in rows:
        assert r.index_per_s > 0 and r.encode_per_s > 0 and 0 < r.p50_ms <= r.p95_ms
        assert r.hit_rate >= 0.75, r  # the questions' own article is retrieved
        assert 100 < r.rss_mb <= r.peak_rss_mb and r.disk_mb > 0
        assert (r.server_rss_mb is not None) == (r.mode == "server")
    assert [r.p50_ratio for r in rows if r.articles == 1] == [1.0, 1.0]
    assert rows[1].disk_mb > rows[0].disk_mb
    lines = out.getvalue().splitlines()
    assert len(lines) == 4 and all(len(line.split()) == 14 for line in lines)
    assert lines[2].startswith("server           1      15 ")


@pytest.mark.slow
def test_an_isolated_build_runs_in_a_process_of_its_own(embedder):
    # what `python -m bot bench --scale` does by default: each size built by a fresh process
    out = io.StringIO()
    (row,) = run_scale([1], ["embedded"], embedder=embedder, isolate=True, queries=4, out=out)
    assert (row.mode, row.articles, row.chunks) == ("embedded", 1, 15)
    assert row.index_per_s > 0 and 100 < row.rss_mb <= row.peak_rss_mb and row.p50_ratio == 1.0


def test_each_mode_is_timed_with_an_empty_query_cache(embedder):
    """Both modes ask the same questions: the second must not find their vectors cached."""
    from benchmarks.scale import time_questions
    from bot.store import embeddings

    embedder.embed_query("a question the first mode asked")
    assert embeddings._cached_query.cache_info().currsize > 0
    time_questions([], [], embedder, queries=0, seed=7)
    assert embeddings._cached_query.cache_info().currsize == 0


def _corpus(tmp_path, n: int = 6):
    """A corpus laid out as the BBC one (a folder per section), and questions over it."""
    import json

    corpus = tmp_path / "corpus"
    rows = []
    for i, art in enumerate(synthetic_articles(n, seed=5)):
        section = ("business", "sport")[i % 2]
        (corpus / section).mkdir(parents=True, exist_ok=True)
        (corpus / section / f"{i:03d}.txt").write_text(art.text, encoding="utf-8")
        for q in art.questions[:2]:
            rows.append({"id": f"{i}-{q}", "article_id": f"bbc-{section}-{i:03d}", "user_input": q})
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return corpus, questions


@pytest.mark.slow
def test_the_corpus_bench_indexes_a_real_layout_in_both_modes_and_serves_concurrent_clients(tmp_path):
    from benchmarks.corpus import run_corpus

    corpus, questions = _corpus(tmp_path)
    out = io.StringIO()
    assert run_corpus(corpus, questions, ["embedded", "server"], 2, out=out) == 0, out.getvalue()
    text = out.getvalue()
    rows = [line.split() for line in text.splitlines() if line.startswith(("embedded ", "server "))]
    assert [(r[0], r[1]) for r in rows] == [("embedded", "6"), ("server", "6")], text
    for r in rows:
        assert float(r[5]) > 0  # indexing against its floor
        assert float(r[12]) > 0 and float(r[13]) > 100  # p50 ratio, peak RSS MB
    assert "2 concurrent clients over HTTP (/ask, none pinned): 24 answers, 0 failed" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--corpus", "nowhere"], "nowhere holds no articles in section folders - give the BBC corpus"),
        (["--modes", "cloud"], "--modes must be embedded, server or embedded,server (got 'cloud')"),
    ],
)
def test_bad_corpus_bench_flags_exit_2_with_the_fix(argv, message, capsys, tmp_path):
    corpus, questions = _corpus(tmp_path, 2)
    if argv[0] == "--modes":
        argv = ["--corpus", str(corpus), *argv]
    assert main(["bench", *argv, "--questions", str(questions)]) == 2
    assert message in capsys.readouterr().err
