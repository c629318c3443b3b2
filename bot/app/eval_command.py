"""`python -m bot eval DATASET`: run a dataset through the bot, score it, gate on it.

Writes into the output folder `results.jsonl` (each Answer with its reference and
scores), `summary.json` (every metric with its n and a 95% bootstrap interval, the
dataset's and articles' sha256, backend, models, settings, git commit) and `report.md`
with PNG plots. Gates: `--fail-under name=value,...` and `--max-p95-ms` fail (exit 1)
on any miss; `--baseline old/summary.json` prints deltas and `--max-drop` fails on a
regression (the checks are bot.evaluation.gates'). Offline and deterministic: no LLM
judge; the intervals use a fixed seed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..answering.pipeline import ArticleQA
from ..core.errors import UsageError
from ..evaluation.dataset import load_dataset
from ..evaluation.gates import check_gates, compare, load_baseline, parse_gates
from ..evaluation.report import format_deltas, format_summary
from ..evaluation.runner import output_dir, run, write_outputs
from ..evaluation.summary import build_summary


def _can_plot() -> bool:
    """matplotlib is an extra: without it the run goes on, with numbers and no plots."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(
            "Plots skipped: matplotlib is not installed - pip install -e '.[eval]' for them (or pass --no-plots)",
            file=sys.stderr,
        )
        return False
    return True


def run_cli(args) -> int:
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
        print(
            f"All gates met ({len(gates)} metric floors"
            + (", p95 latency" if args.max_p95_ms is not None else "")
            + (", max drop" if args.max_drop is not None else "")
            + ")."
        )
    return 1 if misses else 0
