"""The gates of `python -m bot eval`: pass or fail a run's summary.

`--fail-under name=value,...` sets a floor under metrics where higher is better,
`--max-p95-ms` a ceiling on the total p95 latency, and `--baseline old/summary.json`
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
    return [m for m in M.ALL if m not in M.LOWER_IS_BETTER]


def parse_gates(spec: str | None) -> dict[str, float]:
    """'recall@5=0.95, f1=0.3' -> {'recall@5': 0.95, 'f1': 0.3}; a bad part is a usage error."""
    gates = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        name, sep, raw = (x.strip() for x in part.partition("="))
        if not sep:
            raise UsageError(f"--fail-under part {part!r} is not name=value - write it like recall@5=0.95")
        if name not in gate_names():
            hint = " (lower is better: gate answer_rate instead)" if name in M.LOWER_IS_BETTER else ""
            raise UsageError(f"--fail-under: unknown metric {name!r}{hint} - use one of: {', '.join(gate_names())}")
        try:
            value = float(raw)
        except ValueError:
            raise UsageError(f"--fail-under {name}={raw!r} is not a number - give a value from 0 to 1") from None
        if not 0 <= value <= 1:
            raise UsageError(f"--fail-under {name}={value:g} is out of range - give a value from 0 to 1")
        gates[name] = value
    return gates


def check_gates(summary: dict, gates: dict[str, float], max_p95_ms: float | None) -> list[str]:
    """One line per missed gate; a metric with no scored question misses its gate."""
    misses = []
    for name, floor in gates.items():
        value = summary["metrics"][name]["value"]
        if value is None:
            misses.append(f"{name} has no scored question (n=0) - gate {floor:g} cannot pass")
        elif value < floor:
            misses.append(f"{name} = {value:.4f} is under {floor:g}")
    if max_p95_ms is not None:
        p95 = summary["latency_ms"]["total"]["p95"]
        if p95 is None or p95 > max_p95_ms:
            misses.append(f"total p95 latency = {p95} ms is over {max_p95_ms:g} ms")
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
