"""`python -m bot eval DATASET`: run a dataset through the bot, score it, gate on it.

Writes into the output folder `results.jsonl` (each Answer with its reference and
scores), `summary.json` (every metric with its n and a 95% bootstrap interval, the
dataset's and articles' sha256, backend, models, settings, git commit) and `report.md`
with PNG plots. Gates: `--fail-under name=value,...` and `--max-p95-ms` fail (exit 1)
on any miss; `--baseline old/summary.json` prints deltas and `--max-drop` fails on a
regression (the checks are gates.py's). Offline and deterministic: no LLM judge; the
intervals use a fixed seed.

The results lines carry ragas field names (`user_input`, `response`,
`retrieved_contexts`, `reference`, `reference_contexts`), so
`ragas.EvaluationDataset.from_jsonl("results.jsonl")` loads them as they are.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import Counter
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from . import metrics as M
from .calibration import best_threshold, threshold_sweep
from .dataset import Example, load_dataset
from .errors import BotError, UsageError
from .gates import check_gates, compare, load_baseline, parse_gates

SEED = 0
WARM_UP_QUESTION = "What is this article about?"
REFUSED = "refused (scored by the refusal metrics)"


# --- scoring one answer --------------------------------------------------------------

def gold_for(example: Example, index) -> tuple[list[set[str]] | None, str | None]:
    """The gold chunk sets of an answerable example, or why there are none."""
    if not example.reference_spans:
        return None, "no reference_spans"
    if example.article_id is None and len(index.articles) != 1:
        return None, "several articles and no article_id"
    article = index.articles.get(example.article_id or next(iter(index.articles)))
    if article is None:
        return None, f"article {example.article_id!r} is not indexed"
    spans = (*example.reference_spans, *example.alt_reference_spans)
    if any(not 0 <= s < e <= len(article.text) for s, e in spans):
        return None, "a reference span lies outside the article text"
    gold = M.gold_chunks(spans, [c for c in index.chunks.values() if c.article_id == article.id])
    if not all(gold):
        return None, "a reference span overlaps no passage"
    if example.alt_reference_spans:  # one gold passage, stated again elsewhere: either counts
        return [set().union(*gold)], None
    return gold, None


def score(answer: dict, example: Example, index) -> tuple[dict, dict]:
    """(scores, skipped reasons by metric group) of one answer."""
    scores, skipped = dict(M.refusal_scores(answer["abstained"], example.answerable)), {}
    gold, why = gold_for(example, index) if example.answerable else (None, None)
    if example.answerable:
        if gold:
            scores |= M.retrieval_scores(answer["retrieved_context_ids"], gold)
        else:
            skipped["retrieval"] = why
    if answer["abstained"]:
        skipped["answer"] = REFUSED
        return scores, skipped
    scores |= M.grounding_scores(answer["response"], answer["citations"], index.chunks.keys())
    if example.answerable:
        refs = example.references
        if refs:
            scores |= {"exact_match": M.exact_match(answer["response"], refs),
                       "f1": M.token_f1(answer["response"], refs),
                       "answer_recall": M.answer_recall(answer["response"], refs)}
        else:
            skipped["answer"] = "no reference"
        if gold:
            scores["citation_gold_hit"] = M.gold_hit(answer["citations"], gold)
        else:
            skipped["citation_gold_hit"] = why
    return scores, skipped


def example_fields(ex: Example) -> dict:
    return {"reference": ex.reference, "alt_references": list(ex.alt_references), "answerable": ex.answerable,
            "reference_contexts": list(ex.reference_contexts), "reference_spans": [list(s) for s in ex.reference_spans],
            **({"alt_reference_spans": [list(s) for s in ex.alt_reference_spans]} if ex.alt_reference_spans else {}),
            "history": list(ex.history), "tags": list(ex.tags)}


def run(qa, examples: list[Example], progress: bool = True) -> list[dict]:
    """Answer every example (after a warm-up) and score it: one record per example."""
    from tqdm import tqdm

    from . import embeddings

    qa.warm_up()
    index = qa.index(progress=False)
    qa.ask(WARM_UP_QUESTION)
    records = []
    for ex in tqdm(examples, desc="Evaluating", unit="question", disable=not progress, file=sys.stderr):
        embeddings.clear_query_cache()  # every question pays for its own query embedding
        try:
            answer = qa.ask(ex.user_input, list(ex.history), id=ex.id, article_id=ex.article_id).to_dict()
        except BotError as e:
            records.append({"id": ex.id, "user_input": ex.user_input, "error": str(e), **example_fields(ex)})
            continue
        scores, skipped = score(answer, ex, index)
        records.append({**answer, **example_fields(ex), "scores": scores, "skipped": skipped})
    return records


# --- the summary ---------------------------------------------------------------------

def aggregate(records: list[dict]) -> dict:
    """Every metric over all records that score it, and split answerable/unanswerable."""
    scored = [r for r in records if "scores" in r]
    out = {}
    for name in M.ALL:
        entry = M.summarize([r["scores"][name] for r in scored if name in r["scores"]], SEED)
        for split, flag in (("answerable", True), ("unanswerable", False)):
            entry[split] = M.summarize([r["scores"][name] for r in scored if name in r["scores"] and r["answerable"] is flag], SEED)
        out[name] = entry
    return out


def sweep(records: list[dict], current: float | None) -> dict:
    usable = [r for r in records if "scores" in r and r.get("confidence") is not None]
    rows = threshold_sweep([r["confidence"] for r in usable], [r["answerable"] for r in usable])
    return {"n": len(usable), "current": current, **best_threshold(rows), "rows": rows}


def skipped_counts(records: list[dict], line_errors) -> dict:
    counts: dict[str, Counter] = {}
    for r in records:
        for group, reason in r.get("skipped", {}).items():
            counts.setdefault(group, Counter())[reason] += 1
    out = {group: dict(c) for group, c in sorted(counts.items())}
    out["errors"] = {r["id"]: r["error"] for r in records if "error" in r}
    out["dataset_lines"] = {str(e.line): e.message for e in line_errors}
    return out


def sha256_file(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def build_summary(qa, records, dataset_path, line_errors) -> dict:
    from .extractive import ABSTAIN_THRESHOLD

    settings, index = qa.settings, qa.index(progress=False)
    ok = [r for r in records if "scores" in r]
    threshold = ABSTAIN_THRESHOLD if settings.llm == "extractive" else None
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "dataset": {"path": str(dataset_path), "sha256": sha256_file(dataset_path), "questions": len(records),
                    "answerable": sum(r["answerable"] for r in records),
                    "unanswerable": sum(not r["answerable"] for r in records)},
        "articles": [{"id": a.id, "title": a.title, "text_sha256": a.content_hash, "source_sha256": a.source_sha256}
                     for a in index.articles.values()],
        "backend": settings.llm,
        "answer_backends": dict(Counter(r["backend"] for r in ok)),
        "notices": sum(bool(r.get("notice")) for r in ok),
        "models": {"embedding": qa.embedder.model_id, "llm": settings.llm_model},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items() if k != "secrets"},
        "git_commit": git_commit(),
        "seed": SEED,
        "metrics": aggregate(records),
        "latency_ms": M.latency_summary([r["latency_ms"] for r in ok]),
        "threshold_sweep": sweep(records, threshold),
        "skipped": skipped_counts(records, line_errors),
    }


def output_dir(out: str | None) -> Path:
    if out:
        path = Path(out)
    else:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        path, n = Path("eval-runs") / stamp, 1
        while path.exists():
            n += 1
            path = Path("eval-runs") / f"{stamp}-{n}"
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path} is a file - give a folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_outputs(out: Path, records: list[dict], summary: dict, plots: bool) -> None:
    from .report import write_report

    with open(out / "results.jsonl", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_report(out, summary, records, plots=plots)


def _can_plot() -> bool:
    """matplotlib is an extra: without it the run goes on, with numbers and no plots."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("Plots skipped: matplotlib is not installed - pip install -e '.[eval]' for them "
              "(or pass --no-plots)", file=sys.stderr)
        return False
    return True


def run_cli(args) -> int:
    from .qa import ArticleQA
    from .report import format_deltas, format_summary

    gates = parse_gates(args.fail_under)
    if args.max_drop is not None and not args.baseline:
        raise UsageError("--max-drop needs --baseline old/summary.json to compare with")
    baseline = load_baseline(args.baseline) if args.baseline else None
    examples, line_errors = load_dataset(Path(args.dataset))
    for e in line_errors:
        print(f"{args.dataset}: {e.message}", file=sys.stderr)
    if not examples:
        raise UsageError(f"{args.dataset} has no usable question - fix the lines reported above")
    plots = not args.no_plots and _can_plot()
    out = output_dir(args.out)
    qa = ArticleQA()
    records = run(qa, examples)
    summary = build_summary(qa, records, Path(args.dataset), line_errors)
    write_outputs(out, records, summary, plots=plots)
    print(format_summary(summary))
    misses = check_gates(summary, gates, args.max_p95_ms)
    if baseline is not None:
        rows, regressions = compare(summary, baseline, args.max_drop)
        print(format_deltas(rows, args.max_drop))
        misses += regressions
    print(f"\nWrote {out}/results.jsonl, summary.json and report.md")
    for miss in misses:
        print(f"FAIL: {miss}", file=sys.stderr)
    if not misses and (gates or args.max_p95_ms is not None or args.max_drop is not None):
        print(f"All gates met ({len(gates)} metric floors" + (", p95 latency" if args.max_p95_ms is not None else "")
              + (", max drop" if args.max_drop is not None else "") + ").")
    return 1 if misses else 0
