"""`python -m bot bench --corpus DIR`: the bot over a real archive (the BBC corpus).

The corpus's articles are laid out in a folder outside the repository (benchmarks.bbc_archive)
and, per mode (the embedded store; a `chroma run` server on 127.0.0.1), in a fresh process:

- indexing: the store's build plus the reader's analysis of every article (what a question
  on any of them needs), against its floor timed in the same process: a raw
  `SentenceTransformer.encode` of a sample of articles' passages plus spaCy's parse and the
  token-level encode of their sentences, per article;
- warm answer latency asked of all articles (no article pinned) against the same
  questions pinned to their article, which reads one article as a one-article archive
  does; questions interleaved so that a busy moment falls on both;
- resident memory (the process's peak) and the index's size on disk.

Then a served app (`python app.py` on that archive) is asked by `--clients` concurrent
clients over HTTP (gradio_client, the `/ask` endpoint), against one client alone: failed
answers, p50 and p95. The questions are an evaluation set's standalone ones (bbc-dev's,
whose articles the corpus holds under the same ids).
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
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.core.errors import StoreError, UsageError
from bot.evaluation.metrics import percentile

from .bbc_archive import flatten
from .chroma_server import chroma_server, free_port, stop
from .scale import ROOT, _settings, archive_disk_mb, rss_mb

FLOOR_SAMPLE = 100  # articles whose raw encode and parse make the indexing floor
MODES = ("embedded", "server")


@dataclass
class CorpusRow:
    mode: str
    articles: int
    passages: int
    index_s: float  # store build plus every article's analysis
    floor_s: float  # raw encode plus parse of the same articles (from the sample's rate)
    pinned_p50_ms: float
    pinned_p95_ms: float
    all_p50_ms: float
    all_p95_ms: float
    peak_rss_mb: float
    server_rss_mb: float | None
    disk_mb: float
    questions: int
    errors: list[str] = field(default_factory=list)

    @property
    def index_vs_floor(self) -> float:
        return self.floor_s / self.index_s if self.index_s else float("nan")

    @property
    def p50_ratio(self) -> float:
        return self.all_p50_ms / self.pinned_p50_ms if self.pinned_p50_ms else float("nan")


def _p95(times: list[float]) -> float:
    return percentile(times, 95) or float("nan")


def questions(path: Path, articles: set[str]) -> list[tuple[str, str]]:
    """(question, its article id): the set's standalone questions whose article is in the archive."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            if not r.get("history") and r.get("article_id") in articles:
                out.append((r["user_input"], r["article_id"]))
    return out


def _floor_s(articles, embedder, n: int) -> float:
    """Seconds of raw encode and parse for all `n` articles, from a seeded sample's rate."""
    from bot.reading import tokens as tok
    from bot.store.chunking import chunk_article
    from bot.text.nlp import parse_article

    sample = random.Random(7).sample(articles, min(FLOOR_SAMPLE, len(articles)))
    embedder.model.encode(["warm up"] * 8)
    t = time.perf_counter()
    for a in sample:
        embedder.model.encode([c.text for c in chunk_article(a)], batch_size=32)
        spans = [(p.start, p.end) for p in a.paragraphs]
        title_end = min(len(a.title) + 1, spans[0][1]) if spans else 0
        tok.encode(embedder.model, [s.text for s in parse_article(a.text, spans, headline_end=title_end)])
    return (time.perf_counter() - t) / len(sample) * n


def measure(mode: str, workdir: Path, questions_path: Path) -> CorpusRow:
    """One mode's row, in this process (run it in a fresh one: the peak memory is its own)."""
    from bot.answering.pipeline import ArticleQA
    from bot.reading.analysis import analyse_article
    from bot.store.embeddings import Embedder
    from bot.store.index import open_index
    from bot.text.article import load_articles

    articles = load_articles(workdir / "articles")
    embedder = Embedder()
    floor = _floor_s(articles, embedder, len(articles))
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(chroma_server(workdir / f"{mode}-server")) if mode == "server" else None
        settings = _settings(workdir / mode, server and server.url).model_copy(
            update={"articles_dir": workdir / "articles"}
        )
        qa = ArticleQA(settings)
        qa.embedder = qa.reader.embedder = embedder
        t = time.perf_counter()
        index = open_index(settings, embedder, progress=False)
        for a in articles:
            analyse_article(a, embedder, qa.reader.cache_dir)
        index_s = time.perf_counter() - t
        asked = questions(questions_path, set(index.articles))
        for q, _ in asked[:5]:  # warm-up
            qa.ask(q)
        pinned: list[float] = []
        everywhere: list[float] = []
        errors: list[str] = []
        for q, aid in asked:
            for pin, times in random.Random(q).sample([(aid, pinned), (None, everywhere)], 2):
                t = time.perf_counter()
                try:
                    qa.ask(q, article_id=pin)
                except Exception as e:  # noqa: BLE001 - a failed answer is reported, and fails the run
                    errors.append(f"{q!r}: {e.__class__.__name__}: {e}")
                times.append((time.perf_counter() - t) * 1000)
        return CorpusRow(
            mode=mode,
            articles=len(index.articles),
            passages=len(index.chunks),
            index_s=index_s,
            floor_s=floor,
            pinned_p50_ms=statistics.median(pinned),
            pinned_p95_ms=_p95(pinned),
            all_p50_ms=statistics.median(everywhere),
            all_p95_ms=_p95(everywhere),
            peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            server_rss_mb=rss_mb(server.process.pid) if server else None,
            disk_mb=archive_disk_mb(server.path if server else settings.index_dir, qa),
            questions=len(asked),
            errors=errors,
        )


@dataclass
class ClientsRow:
    clients: int
    answers: int
    failed: list[str]
    one_p50_ms: float
    one_p95_ms: float
    many_p50_ms: float
    many_p95_ms: float
    server_peak_rss_mb: float


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def served(workdir: Path, timeout_s: float = 600.0):
    """`python app.py` over the embedded archive on a free port; its URL and process."""
    port = free_port()
    env = {
        **os.environ,
        "BOT_ARTICLES_DIR": str(workdir / "articles"),
        "BOT_INDEX_DIR": str(workdir / "embedded" / "chroma"),
        "BOT_FEEDBACK_PATH": str(workdir / "feedback.jsonl"),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
    }
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        from gradio_client import Client

        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise StoreError(f"The app exited with {proc.returncode}: {log.read().decode(errors='replace')[-800:]}")
            with contextlib.suppress(Exception):
                Client(url, verbose=False).predict("What is this about?", api_name="/ask")
                break
            if time.monotonic() > deadline:
                raise StoreError(f"The app at {url} did not answer within {timeout_s:g} s")
            time.sleep(2)
        yield url, proc
    finally:
        stop(proc, 30)
        log.close()


def clients(workdir: Path, asked: list[tuple[str, str]], n: int) -> ClientsRow:
    """`n` concurrent HTTP clients asking all of `asked` (none pinned), against one client."""
    from gradio_client import Client

    def run(questions: list[str], times: list[float], failed: list[str], url: str) -> None:
        client = Client(url, verbose=False)
        for q in questions:
            t = time.perf_counter()
            try:
                answer = client.predict(q, api_name="/ask")
                if not isinstance(answer, dict) or not answer.get("response"):
                    failed.append(f"{q!r}: no answer ({answer!r:.200})")
            except Exception as e:  # noqa: BLE001 - a failed answer is what this counts
                failed.append(f"{q!r}: {e.__class__.__name__}: {e}")
            times.append((time.perf_counter() - t) * 1000)

    texts = [q for q, _ in asked]
    with served(workdir) as (url, proc):
        one: list[float] = []
        failed: list[str] = []
        run(texts, one, failed, url)
        many: list[float] = []
        threads = [threading.Thread(target=run, args=(texts[i::n], many, failed, url)) for i in range(n)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        peak = _peak_rss_mb(proc.pid)
    return ClientsRow(
        n,
        len(one) + len(many),
        failed,
        statistics.median(one),
        _p95(one),
        statistics.median(many),
        _p95(many),
        peak,
    )


def run_corpus(corpus: Path, questions_path: Path, modes: list[str], n_clients: int, out=sys.stdout) -> int:
    if not any(corpus.glob("*/*.txt")):
        raise UsageError(f"{corpus} holds no articles in section folders - give the BBC corpus (../shared/corpora/bbc)")
    if not questions_path.is_file():
        raise UsageError(f"{questions_path} is missing - give an evaluation set (../shared/eval/bbc-dev.jsonl)")
    if set(modes) - set(MODES) or not modes:
        raise UsageError(f"--modes must be embedded, server or embedded,server (got {','.join(modes)!r})")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="bot-corpus-") as root:
        workdir = Path(root)
        n = flatten(corpus, workdir / "articles")
        print(f"Corpus bench: {n} articles from {corpus}; questions from {questions_path}", file=out, flush=True)
        rows = []
        for mode in modes:
            cmd = [sys.executable, "-m", "benchmarks.corpus", mode, str(workdir), str(questions_path.resolve())]
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            if done.returncode != 0:
                raise StoreError(f"The corpus bench failed ({mode}): {done.stderr.strip()[-800:]}")
            row = CorpusRow(**json.loads(done.stdout.strip().splitlines()[-1]))
            rows.append(row)
            failures += len(row.errors)
            for e in row.errors[:5]:
                print(f"  failed: {e}", file=out)
        print(
            "mode      articles passages  index s  floor s  idx/floor  pinned p50/p95 ms  all p50/p95 ms  "
            "p50 ratio  peak RSS MB  server MB  disk MB",
            file=out,
        )
        for r in rows:
            server = f"{r.server_rss_mb:9.0f}" if r.server_rss_mb is not None else f"{'-':>9}"
            print(
                f"{r.mode:<9} {r.articles:>8} {r.passages:>8} {r.index_s:>8.0f} {r.floor_s:>8.0f} "
                f"{r.index_vs_floor:>10.2f} {r.pinned_p50_ms:>8.0f} / {r.pinned_p95_ms:<6.0f} "
                f"{r.all_p50_ms:>7.0f} / {r.all_p95_ms:<6.0f} {r.p50_ratio:>9.2f} {r.peak_rss_mb:>12.0f} "
                f"{server}  {r.disk_mb:>7.0f}",
                file=out,
            )
        if n_clients > 0 and "embedded" in modes:
            asked = questions(questions_path, {p.stem for p in (workdir / "articles").glob("*.txt")})
            c = clients(workdir, asked, n_clients)
            failures += len(c.failed)
            for e in c.failed[:5]:
                print(f"  failed: {e}", file=out)
            print(
                f"{c.clients} concurrent clients over HTTP (/ask, none pinned): {c.answers} answers, "
                f"{len(c.failed)} failed; p50 {c.many_p50_ms:.0f} ms, p95 {c.many_p95_ms:.0f} ms against one client's "
                f"p50 {c.one_p50_ms:.0f} ms, p95 {c.one_p95_ms:.0f} ms ({c.many_p95_ms / c.one_p95_ms:.2f}x); "
                f"the app's peak RSS {c.server_peak_rss_mb:.0f} MB",
                file=out,
            )
    return 1 if failures else 0


if __name__ == "__main__":  # one mode in a fresh process: python -m benchmarks.corpus MODE WORKDIR QUESTIONS
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    row = measure(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
    print(json.dumps(asdict(row)))
