"""`python -m bot bench`: speed as ratios to floors measured in the same run.

- floor: one query embedding (the least any answer must spend);
- warm answers: p50/p95 over the dev questions, query cache cleared before each;
- cold start: a new process until its first answer, against a new process that only
  loads the two models every answer needs (sentence-transformers' MiniLM and spaCy's
  en_core_web_sm), embeds one query and parses it;
- indexing: embedding and storing the passages and the reader's analysis of each article
  (its spaCy parse, sentence and token vectors), against the raw work inside them: `encode`
  of the passages, `encode` of the sentences with their token vectors, and spaCy's `pipe`
  over the paragraphs.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.evaluation.metrics import percentile

# The budgets: a warm answer within 10x one query embedding (the reader reads 8 passages of a
# sentence and its neighbours, with a span head), a cold start within 1.5x its floor.
TARGETS = {"warm_p50_ratio": 10.0, "cold_start_ratio": 1.5, "indexing_ratio": 0.9}
DATASET = Path("tests/eval/article.jsonl")
FALLBACK_QUESTIONS = ["What is the range of a Tomahawk missile?", "Who wrote this?", "Where will they meet?"]


def _questions() -> list[str]:
    if DATASET.exists():
        from bot.evaluation.dataset import load_dataset

        examples, _ = load_dataset(DATASET)
        return [e.user_input for e in examples if not e.history]
    return FALLBACK_QUESTIONS


def _timed_process(code: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - t


def run_bench(repeat: int = 30, cold_runs: int = 3) -> int:
    from bot.answering.pipeline import ArticleQA
    from bot.store import embeddings

    qa = ArticleQA()
    qa.warm_up()
    model = qa.embedder.model
    questions = _questions()

    # Floor: one query embedding, straight through the model. Floor and answer are timed
    # on the same questions, one after the other, so that both see the same machine.
    for q in questions[:5]:
        model.encode(q, normalize_embeddings=True)
    floor, warm = [], []
    for i in range(max(repeat, len(questions))):
        q = questions[i % len(questions)]
        floor.append(qa.embedder.floor_ms(q) / 1000)
        embeddings.clear_query_cache()
        t = time.perf_counter()
        qa.ask(q)
        warm.append(time.perf_counter() - t)
    floor_p50 = statistics.median(floor)
    warm_p50, warm_p95 = statistics.median(warm), percentile(warm, 95) or 0.0  # warm is never empty

    # Indexing: full build (embed + store) of the passages against raw encode of the same texts.
    from bot.reading import tokens
    from bot.reading.analysis import analyse_article
    from bot.store.build import write_build
    from bot.store.chroma import connect
    from bot.text import nlp

    chunks = list(qa.index().chunks.values())
    texts = [c.text for c in chunks]
    parser = nlp.load()
    paragraphs = [a.text[p.start : p.end] for a in qa.index().articles.values() for p in a.paragraphs]
    sentences = [s.text for a in qa.index().articles.values() for s in qa.reader.analysis(a).sentences]
    rounds = 5
    raw_s = build_s = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        client = connect(Path(tmp) / "chroma")
        articles = list(qa.index().articles.values())
        for r in range(rounds):  # interleaved, so that a busy moment falls on both alike
            t = time.perf_counter()
            model.encode(texts, batch_size=embeddings.BATCH_SIZE, normalize_embeddings=True)
            tokens.encode(model, sentences)
            list(parser.pipe(paragraphs))
            raw_s += time.perf_counter() - t
            t = time.perf_counter()
            write_build(client, f"bench-{r}", "bench", articles, chunks, qa.embedder, progress=False)
            for a in articles:
                analyse_article(a, qa.embedder, None)
            build_s += time.perf_counter() - t
    raw_rate, build_rate = rounds * len(chunks) / raw_s, rounds * len(chunks) / build_s

    # Cold start: new processes, the index already built.
    model_dir = str(embeddings.bundled_model_dir())
    floor_code = (
        "import os; os.environ.setdefault('HF_HUB_OFFLINE','1')\n"
        "from sentence_transformers import SentenceTransformer\n"
        f"m = SentenceTransformer({model_dir!r}, device='cpu'); m.encode('What is the range?')\n"
        "import spacy\n"
        f"spacy.load({str(nlp.model_dir())!r})('What is the range?')"
    )
    cold_code = "import bot; bot.ask('What is the range of a Tomahawk missile?')"
    floors: list[float] = []
    colds: list[float] = []
    runs = [(floor_code, floors), (cold_code, colds)]
    for _ in range(cold_runs):  # side by side, taking turns to go first (the first warms the disk cache)
        for code, times in runs:
            times.append(_timed_process(code))
        runs.reverse()
    cold_floor, cold = statistics.median(floors), statistics.median(colds)

    result: dict[str, Any] = {
        "floor_query_embedding_ms": floor_p50 * 1000,
        "warm_answer_p50_ms": warm_p50 * 1000,
        "warm_answer_p95_ms": warm_p95 * 1000,
        "warm_p50_ratio": warm_p50 / floor_p50,
        "warm_p95_ratio": warm_p95 / floor_p50,
        "cold_start_s": cold,
        "cold_floor_s": cold_floor,
        "cold_start_ratio": cold / cold_floor,
        "raw_encode_passages_per_s": raw_rate,
        "indexing_passages_per_s": build_rate,
        "indexing_ratio": build_rate / raw_rate,
        "passages": len(chunks),
        "questions": len(questions),
    }
    print(f"floor (one query embedding)   {result['floor_query_embedding_ms']:8.1f} ms")
    print(
        f"warm answer p50 / p95         {result['warm_answer_p50_ms']:8.1f} / {result['warm_answer_p95_ms']:.1f} ms"
        f"   ratio p50 {result['warm_p50_ratio']:.2f}x (target <= {TARGETS['warm_p50_ratio']}x), p95 {result['warm_p95_ratio']:.2f}x"
    )
    print(
        f"cold start / its floor        {cold:8.2f} / {cold_floor:.2f} s   ratio {result['cold_start_ratio']:.2f}x"
        f" (target <= {TARGETS['cold_start_ratio']}x)"
    )
    print(
        f"indexing / raw encode         {build_rate:8.1f} / {raw_rate:.1f} passages/s   ratio {result['indexing_ratio']:.2f}x"
        f" (target >= {TARGETS['indexing_ratio']}x)"
    )
    stages: dict[str, list[float]] = {}
    for q in questions:
        for stage, ms in qa.ask(q).latency_ms.items():
            stages.setdefault(stage, []).append(ms)
    result["stage_p50_ms"] = {k: round(statistics.median(v), 2) for k, v in stages.items()}
    print("per-question stages, p50 ms  " + ", ".join(f"{k} {v}" for k, v in result["stage_p50_ms"].items()))
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}))
    return 0
