"""The gates of `python -m bot eval`: pass or fail a run's summary.

`--fail-under name=value,...` sets a floor under metrics where higher is better and
`name<=value` a ceiling over those where lower is better (false_refusal_rate,
answerable_refused), `--max-p95-x` a ceiling on the total p95 latency as a multiple of its
floor's p95 (one query embedding timed beside each question, so a busy machine slows both;
a question that errored fails every gate), and `--baseline old/summary.json`
with `--max-drop` bounds how far any metric may move the wrong way from an earlier
run. Each check returns one line per miss; the caller prints them and exits 1.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..core.errors import UsageError
from . import metrics as M


def gate_names() -> list[str]:
    return list(M.ALL)


def _split(part: str) -> tuple[str, str, str]:
    """'hit@5=0.9' -> ('hit@5', '>=', '0.9'); 'answerable_refused<=0.15' -> (..., '<=', ...)."""
    for sep in ("<=", ">=", "="):
        name, found, raw = part.partition(sep)
        if found:
            return name.strip(), "<=" if sep == "<=" else ">=", raw.strip()
    return part, "", ""


def parse_gates(spec: str | None) -> dict[str, tuple[str, float]]:
    """'recall@5=0.95, answerable_refused<=0.15' -> {'recall@5': ('>=', 0.95),
    'answerable_refused': ('<=', 0.15)}: a floor (name=value or name>=value) under a metric
    where higher is better, a ceiling (name<=value) over one where lower is better; a bad
    part is a usage error."""
    gates = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        name, op, raw = _split(part)
        if not op:
            raise UsageError(f"--fail-under part {part!r} is not name=value - write it like recall@5=0.95")
        if name not in gate_names():
            raise UsageError(f"--fail-under: unknown metric {name!r} - use one of: {', '.join(gate_names())}")
        if name in M.LOWER_IS_BETTER and op != "<=":
            raise UsageError(f"--fail-under: {name} is lower-is-better - give it a ceiling, like {name}<={raw}")
        if name not in M.LOWER_IS_BETTER and op == "<=":
            raise UsageError(f"--fail-under: {name} is higher-is-better - give it a floor, like {name}={raw}")
        try:
            value = float(raw)
        except ValueError:
            raise UsageError(f"--fail-under {name}={raw!r} is not a number - give a value from 0 to 1") from None
        if not 0 <= value <= 1:
            raise UsageError(f"--fail-under {name}={value:g} is out of range - give a value from 0 to 1")
        gates[name] = (op, value)
    return gates


def check_gates(summary: dict, gates: dict[str, tuple[str, float]], max_p95_x: float | None) -> list[str]:
    """One line per missed gate; a metric with no scored question misses its gate, and a
    question that errored fails every gate (its error is named)."""
    misses = []
    errors = (summary.get("skipped") or {}).get("errors") or {}
    if errors and (gates or max_p95_x is not None):
        first = next(iter(errors.items()))
        misses.append(f"{len(errors)} question(s) errored, each a failure (first: {first[0]}: {first[1]})")
    for name, (op, limit) in gates.items():
        value = summary["metrics"][name]["value"]
        if value is None:
            misses.append(f"{name} has no scored question (n=0) - gate {limit:g} cannot pass")
        elif op == ">=" and value < limit:
            misses.append(f"{name} = {value:.4f} is under {limit:g}")
        elif op == "<=" and value > limit:
            misses.append(f"{name} = {value:.4f} is over {limit:g}")
    if max_p95_x is not None:
        ratio = (summary.get("latency_x_floor") or {}).get("p95")
        total, floor = summary["latency_ms"]["total"]["p95"], summary["latency_ms"]["floor"]["p95"]
        if ratio is None:
            misses.append(f"total p95 latency ({total} ms) cannot be judged: no floor was timed")
        elif ratio > max_p95_x:
            misses.append(
                f"total p95 latency = {ratio}x its floor ({total} ms against {floor} ms for one query embedding) "
                f"is over {max_p95_x:g}x"
            )
    return misses


def load_baseline(path) -> dict:
    try:
        base = json.loads(Path(path).read_text(encoding="utf-8"))
        metrics = base.get("metrics")
        if not isinstance(metrics, dict) or not all(_is_metric(m) for m in metrics.values()):
            raise ValueError
        if not any((metrics.get(name) or {}).get("value") is not None for name in M.ALL):
            raise ValueError  # nothing to compare with: every check against it would pass
    except FileNotFoundError:
        raise UsageError(f"Baseline {path} does not exist - pass the summary.json of an earlier run") from None
    except (ValueError, AttributeError, UnicodeDecodeError):
        raise UsageError(f"Baseline {path} is not a summary.json written by `python -m bot eval`") from None
    except OSError as e:  # a folder, no permission
        raise UsageError(
            f"Cannot read baseline {path} ({e.strerror}) - pass the summary.json of an earlier run"
        ) from None
    return base


def _is_metric(m) -> bool:
    """A summary's metric entry: {"value": a number or null, ...}."""
    value = m.get("value", None) if isinstance(m, dict) else False
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value))


def compare(summary: dict, baseline: dict, max_drop: float | None) -> tuple[list[tuple], list[str]]:
    """Rows (metric, baseline, current, delta) for metrics both runs scored, and the
    regressions larger than `max_drop` (a rise, for lower-is-better metrics)."""
    rows, misses = [], []
    for name in M.ALL:
        old = (baseline["metrics"].get(name) or {}).get("value")
        new = summary["metrics"][name]["value"]
        if old is None or new is None:
            continue
        delta = round(new - old, 4)
        rows.append((name, old, new, delta))
        worse = delta > 0 if name in M.LOWER_IS_BETTER else delta < 0
        if max_drop is not None and worse and abs(delta) > max_drop:
            misses.append(f"{name} moved {delta:+.4f} from the baseline's {old:.4f} (allowed: {max_drop:g})")
    return rows, misses
