"""The run's summary: every metric with its n and a 95% bootstrap interval, the threshold
sweep, what was skipped and why, the headline figures over the set, per article and per
tag (headline.py), SQuAD's official figures for a SQuAD file (squad.py), and where the numbers come from (dataset and article
hashes, backend, models, settings, git commit).
"""

from __future__ import annotations

import hashlib
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from ..core.secrets import redact
from . import metrics as M
from .calibration import best_threshold, threshold_sweep
from .headline import breakdown
from .squad import squad_figures

SEED = 0


def aggregate(records: list[dict]) -> dict:
    """Every metric over all records that score it, and split answerable/unanswerable."""
    scored = [r for r in records if "scores" in r]
    out = {}
    for name in M.ALL:
        entry = M.summarize([r["scores"][name] for r in scored if name in r["scores"]], SEED)
        for split, flag in (("answerable", True), ("unanswerable", False)):
            entry[split] = M.summarize(
                [r["scores"][name] for r in scored if name in r["scores"] and r["answerable"] is flag], SEED
            )
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
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def git_commit() -> str | None:
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def build_summary(qa, records, dataset_path, line_errors) -> dict:
    settings, index = qa.settings, qa.index(progress=False)
    ok = [r for r in records if "scores" in r]
    threshold = qa.reader.models.threshold  # every backend refuses below it
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "dataset": {
            "path": str(dataset_path),
            "sha256": sha256_file(dataset_path),
            "questions": len(records),
            "answerable": sum(r["answerable"] for r in records),
            "unanswerable": sum(not r["answerable"] for r in records),
        },
        "articles": [
            {"id": a.id, "title": a.title, "text_sha256": a.content_hash, "source_sha256": a.source_sha256}
            for a in index.articles.values()
        ],
        "backend": settings.llm,
        "answer_backends": dict(Counter(r["backend"] for r in ok)),
        "notices": sum(bool(r.get("notice")) for r in ok),
        "models": {"embedding": qa.embedder.model_id, "llm": settings.llm_model},
        "settings": {  # secrets are excluded by the model; URLs lose their passwords
            k: redact(v) if k.endswith("_url") else v for k, v in settings.model_dump(mode="json").items()
        },
        "git_commit": git_commit(),
        "seed": SEED,
        "metrics": aggregate(records),
        "latency_ms": (latency := M.latency_summary([r["latency_ms"] for r in ok])),
        "latency_x_floor": M.latency_x_floor(latency),
        "threshold_sweep": sweep(records, threshold),
        "skipped": skipped_counts(records, line_errors),
        "headline": breakdown(records),
        **({"squad": squad} if (squad := squad_figures(records)) else {}),
    }
