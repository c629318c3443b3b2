"""`python -m bot bench --scale`: how indexing and questions scale with the archive.

A seeded generator writes synthetic news articles (about 15 passages each; no external
data); for each size the archive is indexed, in the embedded store and on a Chroma
server started here, and then asked questions it can answer. Per size it prints:
indexing throughput against a raw `SentenceTransformer.encode` of the same passages,
warm question latency p50/p95 and p50 over the one-article p50, how often the right
article is among the retrieved passages, resident memory and index size on disk.

By default each (mode, size) runs in a fresh process, so memory is that size's alone.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import StoreError, UsageError

ENCODE_SAMPLE = 3000  # raw encode is timed on at most this many of the passages
WARMUP = 5

_SYLLABLES = ("ka lo mi ra ten vor sel din bar ost ul fen gri mar tho eli san ver dra kum bel "
              "nor vik has pel rud zan cor lin").split()
_NOUNS = ("bridge budget railway hospital harbour vaccine election treaty pipeline reactor stadium airport "
          "reservoir factory tariff subsidy curriculum archive festival ferry tunnel satellite refinery "
          "orchard wind-farm courthouse library museum port highway").split()
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
    orgs = [f"{_name(rng, 2)} {rng.choice(['Authority', 'Council', 'Group', 'Agency', 'Trust'])}" for _ in range(max(20, n // 8))]
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
                f"{noun} since the spring. \"We will {verb} the {noun} only if {where} agrees,\" {person.split()[0]} "
                f"told reporters, adding that the {org} would publish its figures in {month}."
            )
            questions += [f"What did {person} say about the {noun} in {where}?",
                          f"How many inspectors visited the {noun} in {where}?",
                          f"By how many days would the {noun} in {where} {verb} its work?",
                          f"When will {org} publish its figures on the {noun} in {where}?"]
        day = rng.randint(1, 28)
        text = (f"{title}\n\nBy {rng.choice(people)}\nPublished On: {day} {rng.choice(_MONTHS)} 2025\n\n"
                + "\n\n".join(paragraphs) + "\n")
        out.append(SyntheticArticle(f"synthetic-{i:05d}", text, tuple(dict.fromkeys(questions))))
    return out


def write_articles(articles: list[SyntheticArticle], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for a in articles:
        (folder / f"{a.id}.txt").write_text(a.text, encoding="utf-8")


# --- a Chroma server on 127.0.0.1 -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ChromaServer:
    url: str
    path: Path
    process: subprocess.Popen


@contextlib.contextmanager
def chroma_server(path: Path, timeout_s: float = 60.0):
    """`chroma run` on a free 127.0.0.1 port over `path`; stopped on exit."""
    exe = Path(sys.executable).with_name("chroma")
    exe = str(exe) if exe.exists() else shutil.which("chroma")
    if not exe:
        raise StoreError("The `chroma` command is missing - install chromadb (`pip install chromadb`)")
    path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                log.seek(0)
                tail = log.read().decode(errors="replace")[-800:]
                raise StoreError(f"`chroma run` exited with {proc.returncode} before serving {url}: {tail}")
            with contextlib.suppress(OSError):
                if opener.open(url + "/api/v2/heartbeat", timeout=1).status == 200:
                    break
            if time.monotonic() > deadline:
                raise StoreError(f"The Chroma server at {url} did not start within {timeout_s:g} s")
            time.sleep(0.2)
        yield ChromaServer(url, path, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


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


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: percentile([1, 2, 3, 4], 50) -> 2."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Row:
    mode: str
    articles: int
    chunks: int
    index_per_s: float
    encode_per_s: float
    p50_ms: float
    p95_ms: float
    hit_rate: float  # share of questions whose article is among the retrieved passages
    rss_mb: float
    server_rss_mb: float | None
    disk_mb: float
    p50_ratio: float | None = None

    @property
    def index_vs_encode(self) -> float:
        return self.index_per_s / self.encode_per_s if self.encode_per_s else float("nan")


def measure(mode: str, n: int, embedder, workdir: Path, *, queries: int = 40, seed: int = 7) -> Row:
    """Index n synthetic articles in `mode` ('embedded' or 'server') and time questions."""
    from .chunking import chunk_article
    from .article import load_articles
    from .qa import ArticleQA
    from .settings import Settings
    from .store import open_index

    articles = synthetic_articles(n, seed)
    write_articles(articles, workdir / "articles")
    chunks = [c for a in load_articles(workdir / "articles") for c in chunk_article(a)]
    sample = [c.text for c in chunks[:ENCODE_SAMPLE]]
    embedder.model.encode(sample[:32], batch_size=32)  # warm the model's kernels
    t = time.perf_counter()
    embedder.model.encode(sample, batch_size=32)
    encode_per_s = len(sample) / (time.perf_counter() - t)

    with contextlib.ExitStack() as stack:
        settings = Settings(articles_dir=workdir / "articles", index_dir=workdir / "chroma",
                            feedback_path=workdir / "feedback.jsonl")
        server = None
        if mode == "server":
            server = stack.enter_context(chroma_server(workdir / "chroma-server"))
            settings = settings.with_(chroma_url=server.url)
        elif mode != "embedded":
            raise UsageError(f"Unknown mode {mode!r} - use embedded or server")
        t = time.perf_counter()
        open_index(settings, embedder, progress=False)
        index_per_s = len(chunks) / (time.perf_counter() - t)

        qa = ArticleQA(settings)
        qa.embedder = embedder
        qa.index(progress=False)
        rng = random.Random(seed + n)
        # Distinct questions (a repeated one would hit the query-vector cache), from all over the archive.
        per_article = max(1, -(-(queries + WARMUP) // n))
        asked = [(q, a.id) for a in articles for q in rng.sample(a.questions, min(per_article, len(a.questions)))]
        rng.shuffle(asked)
        for q, _ in asked[:WARMUP]:
            qa.ask(q)
        picked = (asked[WARMUP:] or asked)[:queries]
        latencies, hits = [], 0
        for q, article_id in picked:
            t = time.perf_counter()
            answer = qa.ask(q)
            latencies.append((time.perf_counter() - t) * 1000)
            hits += any(qa.index().chunks[cid].article_id == article_id for cid in answer.retrieved_context_ids)
        return Row(
            mode=mode, articles=n, chunks=len(chunks), index_per_s=index_per_s, encode_per_s=encode_per_s,
            p50_ms=statistics.median(latencies), p95_ms=percentile(latencies, 95), hit_rate=hits / len(picked),
            rss_mb=rss_mb(), server_rss_mb=rss_mb(server.process.pid) if server else None,
            disk_mb=disk_mb(server.path if server else settings.index_dir),
        )


def run_scale(sizes: list[int], modes: list[str], *, embedder=None, isolate: bool = True,
              queries: int = 40, seed: int = 7, out=sys.stdout) -> list[Row]:
    """Every (mode, size); with `isolate`, each in a fresh process (memory is its own)."""
    rows = []
    for mode in modes:
        for n in sizes:
            if isolate:
                cmd = [sys.executable, "-m", "bot.bench_scale", mode, str(n), str(queries), str(seed)]
                done = subprocess.run(cmd, capture_output=True, text=True)
                if done.returncode != 0:
                    raise StoreError(f"The scale bench failed at {n} articles ({mode}): {done.stderr.strip()[-600:]}")
                row = Row(**json.loads(done.stdout.strip().splitlines()[-1]))
            else:
                if embedder is None:
                    from .embeddings import Embedder

                    embedder = Embedder()
                with tempfile.TemporaryDirectory(prefix="bot-scale-") as tmp:
                    row = measure(mode, n, embedder, Path(tmp), queries=queries, seed=seed)
            base = next((r for r in rows if r.mode == mode and r.articles == min(sizes)), row)
            row.p50_ratio = row.p50_ms / base.p50_ms
            rows.append(row)
            print(format_row(row), file=out, flush=True)
    return rows


HEADER = ("mode      articles  chunks  index/s  encode/s  idx/enc  p50 ms  p95 ms  p50/p50@1  hit  "
          "RSS MB  server MB  disk MB")


def format_row(r: Row) -> str:
    server = f"{r.server_rss_mb:9.0f}" if r.server_rss_mb is not None else f"{'-':>9}"
    return (f"{r.mode:<9} {r.articles:>8} {r.chunks:>7} {r.index_per_s:>8.0f} {r.encode_per_s:>9.0f} "
            f"{r.index_vs_encode:>8.2f} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f} {r.p50_ratio or 1:>10.2f} "
            f"{r.hit_rate:>4.2f} {r.rss_mb:>7.0f} {server}  {r.disk_mb:>7.1f}")


def parse_sizes(raw: str) -> list[int]:
    """'1,100,1000' -> [1, 100, 1000]."""
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
    print("Scale bench: synthetic articles of ~15 passages; questions warm, one at a time; "
          f"raw encode timed on up to {ENCODE_SAMPLE} passages.")
    print(HEADER)
    rows = run_scale(parse_sizes(args.sizes), modes)
    worst = max((r.p50_ratio or 1) for r in rows)
    print(f"Largest p50 over the one-article p50: {worst:.2f}x (target: at most 1.5x)")
    return 0


if __name__ == "__main__":  # one isolated measurement: python -m bot.bench_scale MODE N QUERIES SEED
    from .embeddings import Embedder

    mode, n, q, s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    with tempfile.TemporaryDirectory(prefix="bot-scale-") as tmp:
        result = measure(mode, n, Embedder(), Path(tmp), queries=q, seed=s)
    print(json.dumps(asdict(result)))
