"""Choosing the refusal threshold: sweep it over a dataset's evidence scores and pick one.

`threshold_sweep` scores every threshold; `best_threshold` reports SQuAD v2's pick (best
decision accuracy) and the calibration rule of docs/evaluation.md, which set ABSTAIN_THRESHOLD.
"""

from __future__ import annotations

import numpy as np


def threshold_sweep(confidences, answerable, thresholds=None) -> list[dict]:
    """Refuse when confidence < t, for each t: the refusal rates (None without questions
    of that kind) and the decision accuracy (answerable answered + unanswerable refused,
    over all questions).

    >>> threshold_sweep([0.1, 0.5], [False, True], [0.3])[0]["accuracy"]
    1.0
    """
    conf, ans = np.asarray(confidences, float), np.asarray(answerable, bool)
    if len(conf) == 0:
        return []
    if thresholds is None:
        thresholds = np.round(np.arange(0, 1.0001, 0.01), 2)
    rows = []
    for t in thresholds:
        refused = conf < t
        rows.append(
            {
                "threshold": float(t),
                "false_refusal_rate": round(float(refused[ans].mean()), 4) if ans.any() else None,
                "correct_refusal_rate": round(float(refused[~ans].mean()), 4) if (~ans).any() else None,
                "accuracy": round(float(np.mean(np.where(ans, ~refused, refused))), 4),
            }
        )
    return rows


def best_threshold(rows: list[dict], max_false_refusal: float = 0.05) -> dict:
    """As SQuAD v2 reports best_f1_thresh: the threshold of best decision accuracy (ties:
    fewer false refusals, then the lower threshold); and the calibration rule of
    docs/evaluation.md: of the thresholds keeping false refusals at or under `max_false_refusal`, those
    that refuse the most unanswerable questions, and the middle one of them (the lower of two);
    None unless the sweep has both answerable and unanswerable questions.

    >>> best_threshold(threshold_sweep([0.0, 0.2, 0.4, 0.6], [False, False, True, True]))["calibrated"]
    0.3
    """
    if not rows:
        return {"best": None, "best_accuracy": None, "calibrated": None, "max_false_refusal": max_false_refusal}
    best = max(rows, key=lambda r: (r["accuracy"], -(r["false_refusal_rate"] or 0.0), -r["threshold"]))
    plateau = []
    if rows[0]["false_refusal_rate"] is not None and rows[0]["correct_refusal_rate"] is not None:  # both kinds
        within = [r for r in rows if r["false_refusal_rate"] <= max_false_refusal]
        most = max((r["correct_refusal_rate"] for r in within), default=None)
        plateau = sorted(r["threshold"] for r in within if r["correct_refusal_rate"] == most)
    return {
        "best": best["threshold"],
        "best_accuracy": best["accuracy"],
        "calibrated": plateau[(len(plateau) - 1) // 2] if plateau else None,
        "max_false_refusal": max_false_refusal,
    }
