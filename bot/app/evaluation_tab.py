"""The Evaluation tab: the figures shipped in docs/eval/ (one folder per held-out set, as
`make eval` writes them), read without running anything."""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

# The evaluation summaries shipped with the repository (`make eval` regenerates them).
SHIPPED_EVAL = Path(__file__).resolve().parents[2] / "docs" / "eval"
NO_EVAL = "No evaluation summary is shipped with this copy of the app."


def shipped_report(folder) -> tuple[str, list[str]] | None:
    """(Markdown, plots) of the evaluation runs shipped in `folder` (one sub-folder per set,
    as `make eval` writes them), or None when there are none: first the plain figures of
    every set, then one plot, then every metric of each set, folded."""
    from ..evaluation.report import PLOTS, format_sets, format_summary

    runs = sorted(Path(folder).glob("*/summary.json"))
    if not runs:
        return None
    summaries = {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in runs}
    parts = [
        "Answer quality on questions about articles the bot never learned from "
        "(`make eval` measures it; docs/evaluation.md says how):",
        format_sets(summaries),
    ]
    for name, summary in summaries.items():
        parts.append(f"<details><summary>Every metric: {name}</summary>\n\n{format_summary(summary)}\n\n</details>")
    plot = runs[0].parent / PLOTS[0]  # bbc-dev's, the larger held-out set, sorts first
    return "\n\n".join(parts), [str(plot)]


def evaluation_view(folder=SHIPPED_EVAL, loader=None) -> tuple[str, list[str]]:
    """The shipped evaluation summary and its plots, or a note saying there is none."""
    loader = loader or shipped_report
    try:
        found = loader(str(folder))
    except Exception:  # noqa: BLE001 - a broken summary must not break the page
        log.exception("reading the evaluation summary in %s failed", folder)
        return f"The evaluation summary in `{folder}` could not be read - see the server log. {NO_EVAL}", []
    if not found:
        return NO_EVAL, []
    summary, plots = found
    return summary, [str(p) for p in plots if Path(p).is_file()]
