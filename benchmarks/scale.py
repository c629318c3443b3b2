"""`python -m bot bench --scale`: how indexing and questions scale with the archive.

A seeded generator writes synthetic news articles (about 15 passages each; no external
data); for each size the archive is indexed, in the embedded store and on a Chroma
server started here, and then asked questions it can answer. Per size it prints:
indexing throughput against a raw `SentenceTransformer.encode` of the same passages,
warm question latency p50/p95 and p50 over the one-article p50, how often the right
article is among the retrieved passages, resident memory and disk: the store plus the
reader's analyses made so far (an index opening analyses its first 256 articles, the rest
are analysed when first read).

By default each (mode, size) runs in a fresh process, so memory is that size's alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.core.errors import StoreError, UsageError
from bot.evaluation.metrics import percentile

from .chroma_server import chroma_server

ROOT = Path(__file__).resolve().parent.parent  # where `python -m benchmarks.scale` finds the package

ENCODE_SAMPLE = 3000  # raw encode is timed on at most this many of the passages
WARMUP = 5

_SYLLABLES = (
    "ka lo mi ra ten vor sel din bar ost ul fen gri mar tho eli san ver dra kum bel nor vik has pel rud zan cor lin"
).split()
_NOUNS = (
    "bridge budget railway hospital harbour vaccine election treaty pipeline reactor stadium airport "
    "reservoir factory tariff subsidy curriculum archive festival ferry tunnel satellite refinery "
    "orchard wind-farm courthouse library museum port highway"
).split()
_ROLES = "minister mayor director spokesperson chair governor auditor engineer economist negotiator".split()
_VERBS = "expand delay rebuild fund inspect close reopen privatise modernise relocate".split()
_MONTHS = ("January February March April May June July August September October November December").split()


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()


@dataclass(frozen=True)
class SyntheticArticle:
    id: str
    text: str  # in the seed's plain form
    questions: tuple[str, ...]  # four per paragraph, each answered by it


def synthetic_articles(n: int, seed: int = 7) -> list[SyntheticArticle]:
    """n reproducible articles of a title, byline, date and 14 paragraphs of 3 sentences.

    >>> synthetic_articles(2)[0].id == synthetic_articles(2)[0].id
    True
    """
    rng = random.Random(seed)
    people = [f"{_name(rng, 2)} {_name(rng, 3)}" for _ in range(max(50, n // 2))]
    places = [_name(rng, 3) for _ in range(max(30, n // 4))]
    orgs = [
        f"{_name(rng, 2)} {rng.choice(['Authority', 'Council', 'Group', 'Agency', 'Trust'])}"
        for _ in range(max(20, n // 8))
    ]
    out = []
    for i in range(n):
        place, org = rng.choice(places), rng.choice(orgs)
        title = f"{place} {rng.choice(_NOUNS).capitalize()} Plan Divides {org}"
        paragraphs, questions = [], []
        for _ in range(14):
            person, noun, verb, role = rng.choice(people), rng.choice(_NOUNS), rng.choice(_VERBS), rng.choice(_ROLES)
            amount, month, where = rng.randint(2, 950), rng.choice(_MONTHS), rng.choice(places)
            paragraphs.append(
                f"{person}, the {role} of {org}, said the {noun} in {where} would {verb} its work by {amount} "
                f"days before {month}. Officials confirmed that {rng.randint(3, 90)} inspectors had visited the "
                f'{noun} since the spring. "We will {verb} the {noun} only if {where} agrees," {person.split()[0]} '
                f"told reporters, adding that the {org} would publish its figures in {month}."
            )
            questions += [
                f"What did {person} say about the {noun} in {where}?",
                f"How many inspectors visited the {noun} in {where}?",
                f"By how many days would the {noun} in {where} {verb} its work?",
                f"When will {org} publish its figures on the {noun} in {where}?",
            ]
        day = rng.randint(1, 28)
        text = (
            f"{title}\n\nBy {rng.choice(people)}\nPublished On: {day} {rng.choice(_MONTHS)} 2025\n\n"
            + "\n\n".join(paragraphs)
            + "\n"
        )
        out.append(SyntheticArticle(f"synthetic-{i:05d}", text, tuple(dict.fromkeys(questions))))
    return out


def write_articles(articles: list[SyntheticArticle], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for a in articles:
        (folder / f"{a.id}.txt").write_text(a.text, encoding="utf-8")


# --- measuring --------------------------------------------------------------------------------


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process in MB (Linux /proc)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def archive_disk_mb(store: Path, qa) -> float:
    """The store's folder and the reader's analyses beside it."""
    return disk_mb(store) + (disk_mb(qa.reader.cache_dir) if qa.reader.cache_dir else 0.0)


@dataclass
class Row:
    mode: str
    articles: int
    chunks: int
    index_per_s: float
    encode_per_s: float
    rss_mb: float  # after opening the index and a few questions
    peak_rss_mb: float  # the building process's peak (its own process when isolated)
    server_rss_mb: float | None
    disk_mb: float  # the store and the reader's analyses beside it
    p50_ms: float = float("nan")
    p95_ms: float = float("nan")
    hit_rate: float = float("nan")  # share of questions whose article is among the retrieved passages
    p50_ratio: float = float("nan")

    @property
    def index_vs_encode(self) -> float:
        return self.index_per_s / self.encode_per_s if self.encode_per_s else float("nan")


def _settings(workdir: Path, url: str | None = None):
    from bot.core.settings import Settings

    return Settings(
        articles_dir=workdir / "articles",
        index_dir=workdir / "chroma",
        chroma_url=url,
        feedback_path=workdir / "feedback.jsonl",
    )


def _questions(n: int, count: int, seed: int) -> list[tuple[str, str]]:
    """(question, its article id): distinct (a repeat would hit the query-vector cache), archive-wide."""
    rng = random.Random(seed + n)
    per_article = max(1, -(-count // n))
    asked = [
        (q, a.id)
        for a in synthetic_articles(n, seed)
        for q in rng.sample(a.questions, min(per_article, len(a.questions)))
    ]
    rng.shuffle(asked)
    return asked[:count]


def build(mode: str, n: int, embedder, workdir: Path, *, seed: int = 7) -> Row:
    """Write and index n synthetic articles under `workdir`; time it against raw encode."""
    from bot.answering.pipeline import ArticleQA
    from bot.store.chunking import chunk_article
    from bot.store.index import open_index
    from bot.text.article import load_articles

    if mode not in ("embedded", "server"):
        raise UsageError(f"Unknown mode {mode!r} - use embedded or server")
    write_articles(synthetic_articles(n, seed), workdir / "articles")
    # Only the count and a sample are kept: the bench's own copy of every passage would
    # count in the memory measured (the index holds its own).
    passages = [c.text for a in load_articles(workdir / "articles") for c in chunk_article(a)]
    n_passages, sample = len(passages), passages[:ENCODE_SAMPLE]
    del passages
    embedder.model.encode(sample[:32], batch_size=32)  # warm the model's kernels
    t = time.perf_counter()
    embedder.model.encode(sample, batch_size=32)
    encode_per_s = len(sample) / (time.perf_counter() - t)
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(chroma_server(workdir / "chroma-server")) if mode == "server" else None
        settings = _settings(workdir, server and server.url)
        t = time.perf_counter()
        open_index(settings, embedder, progress=False)
        index_per_s = n_passages / (time.perf_counter() - t)
        qa = ArticleQA(settings)
        qa.embedder = embedder
        for q, _ in _questions(n, WARMUP, seed + 1):
            qa.ask(q)
        return Row(
            mode=mode,
            articles=n,
            chunks=n_passages,
            index_per_s=index_per_s,
            encode_per_s=encode_per_s,
            rss_mb=rss_mb(),
            peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            server_rss_mb=rss_mb(server.process.pid) if server else None,
            disk_mb=archive_disk_mb(server.path if server else settings.index_dir, qa),
        )


def time_questions(rows: list[Row], workdirs: list[Path], embedder, *, queries: int, seed: int) -> None:
    """Warm question latency for every size, interleaved round by round, so that a busy
    machine slows every size alike and the p50 ratios stay fair."""
    from bot.answering.pipeline import ArticleQA
    from bot.store import embeddings

    # Every mode asks the same questions: without this, the second mode would find their
    # query vectors cached by the first and skip the embedding that the floor includes.
    embeddings.clear_query_cache()
    with contextlib.ExitStack() as stack:
        runs: list[tuple] = []
        for row, workdir in zip(rows, workdirs):
            url = stack.enter_context(chroma_server(workdir / "chroma-server")).url if row.mode == "server" else None
            qa = ArticleQA(_settings(workdir, url))
            qa.embedder = embedder
            warm = _questions(row.articles, WARMUP, seed + 1)
            for q, _ in warm:
                qa.ask(q)
            asked = [x for x in _questions(row.articles, queries + WARMUP, seed) if x not in warm][:queries]
            runs.append((row, qa, asked, [], []))
        order = random.Random(seed)
        for i in range(queries):
            for _row, qa, asked, latencies, hits in order.sample(runs, len(runs)):
                q, article_id = asked[i % len(asked)]
                t = time.perf_counter()
                answer = qa.ask(q)
                latencies.append((time.perf_counter() - t) * 1000)
                hits.append(any(qa.index().chunks[c].article_id == article_id for c in answer.retrieved_context_ids))
        for row, _, _, latencies, hits in runs:
            row.p50_ms, row.p95_ms = statistics.median(latencies), percentile(latencies, 95)
            row.hit_rate = sum(hits) / len(hits)
        for row in rows:
            row.p50_ratio = row.p50_ms / rows[0].p50_ms


def run_scale(
    sizes: list[int],
    modes: list[str],
    *,
    embedder=None,
    isolate: bool = True,
    queries: int = 40,
    seed: int = 7,
    out=sys.stdout,
) -> list[Row]:
    """Every (mode, size). With `isolate` each build runs in a fresh process, so the
    memory reported is that size's alone; questions are then timed here, interleaved."""
    if embedder is None:
        from bot.store.embeddings import Embedder

        embedder = Embedder()
    sizes = sorted(set(sizes) | {1})  # one article: the base every p50 ratio divides by
    all_rows = []
    with tempfile.TemporaryDirectory(prefix="bot-scale-") as root:
        for mode in modes:
            rows, workdirs = [], []
            for n in sizes:
                workdir = Path(root) / f"{mode}-{n}"
                if isolate:
                    cmd = [sys.executable, "-m", "benchmarks.scale", mode, str(n), str(seed), str(workdir)]
                    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
                    if done.returncode != 0:
                        raise StoreError(
                            f"The scale bench failed at {n} articles ({mode}): {done.stderr.strip()[-600:]}"
                        )
                    row = Row(**json.loads(done.stdout.strip().splitlines()[-1]))
                else:
                    row = build(mode, n, embedder, workdir, seed=seed)
                print(
                    f"  built {mode} {n} article(s): {row.chunks} passages, {row.index_per_s:.1f}/s indexed vs "
                    f"{row.encode_per_s:.1f}/s raw encode; RSS {row.rss_mb:.0f} MB (peak {row.peak_rss_mb:.0f}), disk {row.disk_mb:.1f} MB",
                    file=sys.stderr,
                    flush=True,
                )
                rows.append(row)
                workdirs.append(workdir)
            time_questions(rows, workdirs, embedder, queries=queries, seed=seed)
            for row in rows:
                print(format_row(row), file=out, flush=True)
            all_rows += rows
    return all_rows


HEADER = "mode      articles  chunks  index/s  encode/s  idx/enc  p50 ms  p95 ms  p50/p50@1  hit  RSS MB  peak MB  server MB  disk MB"


def format_row(r: Row) -> str:
    server = f"{r.server_rss_mb:9.0f}" if r.server_rss_mb is not None else f"{'-':>9}"
    return (
        f"{r.mode:<9} {r.articles:>8} {r.chunks:>7} {r.index_per_s:>8.0f} {r.encode_per_s:>9.0f} "
        f"{r.index_vs_encode:>8.2f} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f} {r.p50_ratio:>10.2f} "
        f"{r.hit_rate:>4.2f} {r.rss_mb:>7.0f} {r.peak_rss_mb:>8.0f} {server}  {r.disk_mb:>7.1f}"
    )


def parse_sizes(raw: str) -> list[int]:
    """'1,100,1000' -> [1, 100, 1000]. (`run_scale` adds one article, the base of its ratios.)"""
    try:
        sizes = [int(x) for x in raw.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"--sizes {raw!r} must be article counts separated by commas, like 1,100,1000") from None
    if not sizes or min(sizes) < 1:
        raise UsageError(f"--sizes {raw!r} must be positive article counts, like 1,100,1000")
    return sorted(set(sizes))


def run_cli(args) -> int:
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - {"embedded", "server"}:
        raise UsageError(f"--modes {args.modes!r} must be embedded, server or embedded,server")
    print(
        "Scale bench: synthetic articles of ~15 passages; questions warm, one at a time; "
        f"raw encode timed on up to {ENCODE_SAMPLE} passages."
    )
    print(HEADER)
    rows = run_scale(parse_sizes(args.sizes), modes)
    worst = max(r.p50_ratio for r in rows)
    print(f"Largest p50 over the one-article p50: {worst:.2f}x (target: at most 1.5x)")
    return 0


if __name__ == "__main__":  # one isolated build: python -m benchmarks.scale MODE N SEED WORKDIR
    from bot.store.embeddings import Embedder

    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    mode, n, seed, workdir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    print(json.dumps(asdict(build(mode, n, Embedder(), workdir, seed=seed))))
