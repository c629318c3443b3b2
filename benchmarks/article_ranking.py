"""Which article comes first, on retrieval alone, over an indexed archive:
`python -m benchmarks.article_ranking SET.jsonl [--n 700] [--held-out-quarter]`.

Opens the archive BOT_ARTICLES_DIR / BOT_INDEX_DIR names (built by `bot index`; `make
eval-archive` builds the BBC corpus's) and, for each standalone answerable question of SET
whose article it holds, ranks the articles several ways and prints how often the question's
article (or one with the same text) is first, among the first 3 and among the first 8:

- passages: the order of the articles' passages in the fused passage ranking (dense + BM25);
- whole-article BM25 (`BM25.group_search`);
- fused: RRF of those two, the ranking that leads from `FUSED_LEADS_FROM` articles;
- centroid: cosine of the question with the mean of each article's passage vectors;
- joint: the joint reader (bot.reading.joint) over the 16 best fused passages, each article
  ranked by its best passage's relevance; and its RRF with the two above.

`--held-out-quarter` keeps SET's questions on the quarter of the training articles the joint
reader never saw (bot.training.train.split_articles), so that its relevance is not in-sample.
Measured figures: docs/method.md ("Ranking articles with the joint reader").
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

RERANKED = 16  # fused passages the joint reader reads across articles


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.article_ranking", description=__doc__)
    ap.add_argument("sets", nargs="+", type=Path, help="jsonl sets (bbc-dev.jsonl, bbc-train*.jsonl)")
    ap.add_argument("--n", type=int, default=700, help="questions at most (a seeded sample)")
    ap.add_argument("--held-out-quarter", action="store_true", help="only the training articles the reader never saw")
    args = ap.parse_args(argv)
    missing = [p for p in args.sets if not p.is_file()]
    if missing:
        print(f"{missing[0]} is not a file - give evaluation sets in jsonl", file=sys.stderr)
        return 2

    from bot.core.settings import Settings
    from bot.reading import joint
    from bot.retrieve.fusion import rrf
    from bot.retrieve.hybrid import HybridRetriever
    from bot.store.embeddings import Embedder
    from bot.store.index import open_index

    settings = Settings.from_env()
    embedder = Embedder(settings.embedding_model)
    index = open_index(settings, embedder, build=False, progress=False)
    retriever = HybridRetriever(index=index)
    rows = [json.loads(line) for p in args.sets for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.held_out_quarter:
        from bot.training.train import split_articles

        quarter = split_articles({r["article_id"] for r in rows})
        rows = [r for r in rows if r["article_id"] in quarter]
    rows = [r for r in rows if r.get("answerable", True) and not r.get("history") and r["article_id"] in index.articles]
    random.Random(0).shuffle(rows)
    rows = rows[: args.n]
    if not rows:
        print("no standalone answerable question of these sets has its article in the archive", file=sys.stderr)
        return 2

    ids = list(index.chunks)
    vectors = {}
    for i in range(0, len(ids), 2000):
        got = index.chunks_col.get(ids=ids[i : i + 2000], include=["embeddings"])
        vectors.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))
    names = list(index.articles)
    centroids = np.stack([np.mean([vectors[c.id] for c in index.chunks_of(a)], axis=0) for a in names])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    reader = joint.load()

    def fuse(*rankings: list[str]) -> list[str]:
        scores = rrf(list(rankings))
        return sorted(scores, key=lambda a: -scores[a])

    hits: dict[str, list[tuple[bool, bool, bool]]] = {}
    for r in rows:
        q = r["user_input"]
        gold = index.articles[r["article_id"]].text
        rankings = retriever.article_rankings(q)
        passages, whole = rankings.by_passage, rankings.whole
        centroid = [names[i] for i in np.argsort(-(centroids @ embedder.embed_query(q)))[:20]]
        top = rankings.passages[:RERANKED]
        best: dict[str, float] = {}
        for c, read in zip(top, reader.read(q, [index.chunks[c].text for c in top])):
            a = index.chunks[c].article_id
            best[a] = max(best.get(a, -np.inf), read.z)
        by_joint = sorted(best, key=lambda a: -best[a])
        orders = {
            "passages": passages,
            "whole-article BM25": whole,
            "fused (passages + whole-article BM25)": rankings.fused,
            "centroid": centroid,
            "fused + centroid": fuse(passages, whole, centroid),
            "joint reader over the 16 best passages": by_joint,
            "fused + joint reader": fuse(passages, whole, by_joint),
        }
        for name, order in orders.items():
            found = [index.articles[a].text == gold for a in order[:8]]
            hits.setdefault(name, []).append((any(found[:1]), any(found[:3]), any(found)))
    print(f"{len(rows)} questions over {len(index.articles)} articles")
    print("| ranking | first | first 3 | first 8 |\n|---|---|---|---|")
    for name, h in hits.items():
        a = np.array(h, dtype=float).mean(axis=0) * 100
        print(f"| {name} | {a[0]:.1f}% | {a[1]:.1f}% | {a[2]:.1f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
