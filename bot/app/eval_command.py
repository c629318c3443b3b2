"""`python -m bot eval DATASET [--articles DIR]`: run a dataset through the bot, score it, gate on it.

DATASET is the project's JSON lines or SQuAD 2.0 JSON (told apart by content: a
top-level "data" list), whose titles are indexed as articles into a temporary store.
Each question is asked of its own article (`article_id`), or with `--archive` of every
indexed article at once, as a user of "All articles" asks it; then which article answered
is scored too (`article_hit@1`).
`--articles DIR` (or BOT_ARTICLES_DIR) names the articles of a JSON-lines set; a folder
other than the configured store's is indexed into a temporary store too (workspace.py).

Writes into the output folder `results.jsonl` (each Answer with its reference and
scores), `summary.json` (every metric with its n and a 95% bootstrap interval, the
dataset's and articles' sha256, backend, models, settings, git commit) and `report.md`
with PNG plots. Gates: `--fail-under name=value,...` and `--max-p95-x` fail (exit 1)
on any miss; `--baseline old/summary.json` prints deltas and `--max-drop` fails on a
regression (the checks are bot.evaluation.gates'). Offline and deterministic: no LLM
judge; the intervals use a fixed seed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..answering.pipeline import ArticleQA
from ..core.errors import UsageError
from ..evaluation.dataset import examples_from, load_dataset
from ..evaluation.gates import check_gates, compare, load_baseline, parse_gates
from ..evaluation.report import format_deltas, format_summary
from ..evaluation.runner import output_dir, run, write_outputs
from ..evaluation.squad import is_squad, read_squad
from ..evaluation.summary import build_summary
from ..evaluation.workspace import eval_settings


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


def _counted(gates: dict) -> str:
    """'2 metric floors' or '3 metric floors, 1 ceiling'."""
    ceilings = sum(op == "<=" for op, _ in gates.values())
    floors = len(gates) - ceilings
    return f"{floors} metric floors" + (f", {ceilings} ceiling{'s' if ceilings != 1 else ''}" if ceilings else "")


def _examples(args):
    """(examples, line errors, SQuAD articles or None) of the dataset file."""
    path = Path(args.dataset)
    if is_squad(path):
        if args.articles:
            raise UsageError("--articles goes with JSON-lines datasets: a SQuAD file brings its own articles")
        articles, lines = read_squad(path)
        examples, line_errors = examples_from(enumerate(lines, start=1))
        return examples, line_errors, articles
    examples, line_errors = load_dataset(path)
    return examples, line_errors, None


def run_cli(args) -> int:
    gates = parse_gates(args.fail_under)
    if args.max_drop is not None and not args.baseline:
        raise UsageError("--max-drop needs --baseline old/summary.json to compare with")
    baseline = load_baseline(args.baseline) if args.baseline else None
    examples, line_errors, squad_articles = _examples(args)
    for e in line_errors:
        print(f"{args.dataset}: {e.message}", file=sys.stderr)
    if not examples:
        raise UsageError(f"{args.dataset} has no usable question - fix the lines reported above")
    plots = not args.no_plots and _can_plot()
    out = output_dir(args.out)
    named = {e.article_id for e in examples if e.article_id}
    with eval_settings(args.articles, squad_articles, article_ids=named or None) as (settings, temporary):
        if temporary:
            print(f"Indexing {settings.articles_dir} into a temporary store", file=sys.stderr)
        qa = ArticleQA(settings)
        archive = bool(getattr(args, "archive", False))
        if archive:
            print(
                f"Archive mode: no article pinned, {len(qa.index(progress=False).articles)} articles", file=sys.stderr
            )
        records = run(qa, examples, archive=archive)
        summary = build_summary(qa, records, Path(args.dataset), line_errors)
    write_outputs(out, records, summary, plots=plots)
    print(format_summary(summary))
    misses = check_gates(summary, gates, args.max_p95_x)
    if baseline is not None:
        rows, regressions = compare(summary, baseline, args.max_drop)
        print(format_deltas(rows, args.max_drop))
        misses += regressions
    print(f"\nWrote {out}/results.jsonl, summary.json and report.md")
    for miss in misses:
        print(f"FAIL: {miss}", file=sys.stderr)
    if not misses and (gates or args.max_p95_x is not None or args.max_drop is not None):
        print(
            f"All gates met ({_counted(gates)}"
            + (", p95 latency against its floor" if args.max_p95_x is not None else "")
            + (", max drop" if args.max_drop is not None else "")
            + ")."
        )
    return 1 if misses else 0
