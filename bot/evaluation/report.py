"""The evaluation report: Markdown tables, PNG plots, and the newest run for the UI.

latest_report() -> ("| metric | value | ...", ["eval-runs/…/metrics.png", ...]) or None
"""

from __future__ import annotations

import json
from pathlib import Path

from ..core.secrets import redact
from . import metrics as M
from .headline import format_headline

PLOTS = ("metrics.png", "threshold_sweep.png", "latency.png")
GROUPS = (
    ("Retrieval (answerable, gold passage)", (*M.RETRIEVAL, "article_hit@1")),
    ("Answers (answerable, answered)", (*M.ANSWER, "citation_gold_hit")),
    ("Grounding (answered)", M.GROUNDING),
    ("Refusals", M.REFUSAL),
    ("Headline (the project's own)", M.HEADLINE),
    ("Short answers (answerable, answered, with a short answer)", M.SHORT),
)
SQUAD_FIGURES = (
    ("exact", "f1", "total"),
    ("HasAns_exact", "HasAns_f1", "HasAns_total"),
    ("NoAns_exact", "NoAns_f1", "NoAns_total"),
    ("best_exact", "best_f1", None),
)


def _num(v, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _cell(entry: dict) -> str:
    return "–" if entry["value"] is None else f"{entry['value']:.3f} (n={entry['n']})"


def _commit(commit: str | None) -> str:
    """'0f069fc76fe2b536…+dirty' -> '0f069fc76fe2+dirty'"""
    return "?" if not commit else commit[:12] + ("+dirty" if commit.endswith("+dirty") else "")


def format_summary(summary: dict) -> str:
    """The run as Markdown: what was measured, every metric, latency, the threshold sweep."""
    d = summary["dataset"]
    lines = [
        f"**{d['path']}**: {d['questions']} questions ({d['answerable']} answerable, {d['unanswerable']} unanswerable), "
        f"backend `{summary['backend']}`, commit `{_commit(summary.get('git_commit'))}`, {summary['created']}",
        "",
        "| metric | value | 95% CI | n | answerable | unanswerable |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for title, names in GROUPS:
        lines.append(f"| *{title}* | | | | | |")
        for name in names:
            e = summary["metrics"][name]
            ci = "–" if e["ci95"] is None else f"{e['ci95'][0]:.3f}–{e['ci95'][1]:.3f}"
            lines.append(
                f"| {name} | {_num(e['value'])} | {ci} | {e['n']} | {_cell(e['answerable'])} | {_cell(e['unanswerable'])} |"
            )
    if summary.get("headline"):
        lines += ["", format_headline(summary["headline"])]
    if summary.get("squad"):
        lines += ["", format_squad(summary["squad"])]
    lines += ["", "| latency (ms) | p50 | p95 | max | n |", "|---|---:|---:|---:|---:|"]
    for stage, s in summary["latency_ms"].items():
        lines.append(f"| {stage} | {_num(s['p50'], 1)} | {_num(s['p95'], 1)} | {_num(s['max'], 1)} | {s['n']} |")
    if (x := summary.get("latency_x_floor")) and x.get("p95") is not None:
        lines += [
            "",
            f"The floor is one query embedding, timed just before each question: total latency is "
            f"{_num(x['p50'], 2)}x it at p50 and {_num(x['p95'], 2)}x at p95 (the `--max-p95-x` gate's figure).",
        ]
    sw = summary["threshold_sweep"]
    if sw["n"]:
        lines += [
            "",
            f"Refusal threshold: current {_num(sw['current'], 2)}; best decision accuracy "
            f"{_num(sw['best_accuracy'])} at {_num(sw['best'], 2)} (SQuAD v2 style); the calibration rule (the middle "
            f"of those refusing the most with false refusals ≤ {sw['max_false_refusal']:.0%}): "
            f"{_num(sw['calibrated'], 2)} (n={sw['n']}).",
        ]
    skipped = {k: v for k, v in summary["skipped"].items() if v}
    if skipped:
        lines += [
            "",
            "Skipped: "
            + "; ".join(
                f"{group}: "
                + ", ".join(f"{reason} ×{n}" if isinstance(n, int) else f"{reason}: {n}" for reason, n in v.items())
                for group, v in skipped.items()
            ),
        ]
    return "\n".join(lines)


def _share(entry: dict) -> str:
    return "–" if not entry or not entry.get("n") else f"{100 * entry['value']:.1f}% ({entry['right']}/{entry['n']})"


def format_sets(summaries: dict[str, dict]) -> str:
    """The plain figures of several runs, one row per set: what a reader of the
    Evaluation tab wants first.

    >>> f = {"right": 3, "n": 4, "value": 0.75}
    >>> print(format_sets({"dev": {"headline": {"set": {"questions": 4, "answerable_right": f}}}}).splitlines()[2])
    | dev | 4 | 75.0% (3/4) | – | – | – |
    """
    lines = [
        "| set | questions | answerable answered right | unanswerable refused | answerable refused | answers given that are right |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, summary in summaries.items():
        s = (summary.get("headline") or {}).get("set") or {}
        cells = [
            _share(s.get(k) or {})
            for k in ("answerable_right", "unanswerable_refused", "answerable_refused", "precision")
        ]
        lines.append(f"| {name} | {s.get('questions', '–')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_squad(figures: dict) -> str:
    """SQuAD's official figures (v2.0 script, percent) as Markdown."""
    lines = ["SQuAD 2.0 official figures (percent):", "", "| | exact | f1 | n |", "|---|---:|---:|---:|"]
    for label, (em, f1, n) in zip(("all", "HasAns", "NoAns", "best threshold"), SQUAD_FIGURES):
        if em not in figures:
            continue
        total = figures[n] if n else f"at {figures['best_exact_thresh']:.3f} / {figures['best_f1_thresh']:.3f}"
        lines.append(f"| {label} | {_num(figures[em], 2)} | {_num(figures[f1], 2)} | {total} |")
    return "\n".join(lines)


def format_deltas(rows, max_drop: float | None) -> str:
    """Baseline comparison as Markdown; regressions beyond `max_drop` are marked."""
    lines = ["", "| metric | baseline | current | delta |", "|---|---:|---:|---:|"]
    for name, old, new, delta in rows:
        worse = delta > 0 if name in M.LOWER_IS_BETTER else delta < 0
        mark = " **regression**" if max_drop is not None and worse and abs(delta) > max_drop else ""
        lines.append(f"| {name} | {old:.3f} | {new:.3f} | {delta:+.3f}{mark} |")
    return "\n".join(lines)


# --- plots -------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def plot_metrics(summary: dict, path: Path) -> None:
    plt = _pyplot()
    names = [n for n in M.ALL if summary["metrics"][n]["value"] is not None]
    values = [summary["metrics"][n]["value"] for n in names]
    cis = [summary["metrics"][n]["ci95"] or [v, v] for n, v in zip(names, values)]
    err = [[v - lo for v, (lo, _) in zip(values, cis)], [hi - v for v, (_, hi) in zip(values, cis)]]
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(names) + 1.2))
    ax.barh(range(len(names)), values, xerr=err, capsize=2, color="#4c72b0")
    for i, v in enumerate(values):
        ax.text(0.01, i, f"{v:.3f}", va="center", fontsize=6, color="white" if v > 0.08 else "black")
    ax.set_yticks(range(len(names)), [f"{n} (n={summary['metrics'][n]['n']})" for n in names], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("mean, with 95% bootstrap interval")
    ax.set_title("Metrics")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_sweep(summary: dict, path: Path) -> None:
    plt = _pyplot()
    sw = summary["threshold_sweep"]
    t = [r["threshold"] for r in sw["rows"]]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for key, label in (
        ("accuracy", "decision accuracy"),
        ("correct_refusal_rate", "correct refusals (unanswerable)"),
        ("false_refusal_rate", "false refusals (answerable)"),
    ):
        if all(r[key] is not None for r in sw["rows"]):
            ax.plot(t, [r[key] for r in sw["rows"]], label=label)
    if sw.get("current") is not None:
        ax.axvline(sw["current"], color="grey", linestyle="--", label=f"current {sw['current']:.2f}")
    if sw.get("best") is not None:
        ax.axvline(sw["best"], color="green", linestyle=":", label=f"best {sw['best']:.2f}")
    ax.set_xlabel("refusal threshold on Answer.confidence")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7)
    ax.set_title(f"Refusal threshold sweep (n={sw['n']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_latency(records: list[dict], path: Path) -> None:
    """One histogram per stage: the stages differ by orders of magnitude."""
    plt = _pyplot()
    stages = ("retrieve", "answer", "total")
    fig, axes = plt.subplots(len(stages), 1, figsize=(6, 5))
    for ax, stage in zip(axes, stages):
        values = [r["latency_ms"][stage] for r in records if r.get("latency_ms", {}).get(stage) is not None]
        if values:
            ax.hist(values, bins=20, color="#4c72b0")
            p95 = M.percentile(values, 95)
            ax.axvline(p95, color="red", linestyle="--", label=f"p95 {p95:.1f} ms")
            ax.legend(fontsize=7)
        ax.set_ylabel(f"{stage}\n(n={len(values)})", fontsize=8)
    axes[-1].set_xlabel("milliseconds per question (after a warm-up)")
    axes[0].set_title("Latency per stage")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(out: Path, summary: dict, records: list[dict], plots: bool = True) -> list[Path]:
    """report.md (and the PNGs it shows, unless `plots` is False) in `out`."""
    made = []
    if plots:
        for name, draw in zip(
            PLOTS,
            (lambda p: plot_metrics(summary, p), lambda p: plot_sweep(summary, p), lambda p: plot_latency(records, p)),
        ):
            draw(out / name)
            made.append(out / name)
    images = [f"![{p.stem}]({p.name})" for p in made]
    text = (
        "# Evaluation report\n\n"
        + format_summary(summary)
        + "\n"
        + ("\n" + "\n\n".join(images) + "\n" if images else "")
    )
    (out / "report.md").write_text(redact(text) or "", encoding="utf-8")
    return made


def latest_report(root="eval-runs") -> tuple[str, list[str]] | None:
    """(Markdown summary, PNG paths) of the newest run under `root`, or None when there
    is none. The newest run is the one whose summary.json was written last."""
    runs = sorted(Path(root).glob("*/summary.json"), key=lambda p: p.stat().st_mtime) if Path(root).is_dir() else []
    for summary_path in reversed(runs):
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
            text = format_summary(summary)
        except (ValueError, KeyError, TypeError, OSError):
            continue  # a half-written or foreign run: try the one before
        return text, [str(summary_path.parent / p) for p in PLOTS if (summary_path.parent / p).exists()]
    return None
