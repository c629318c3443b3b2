"""Running a dataset through the bot: every example answered and scored, then written out.

Writes into the output folder `results.jsonl` (each Answer with its reference and
scores), `summary.json` (every metric with its n and a 95% bootstrap interval, the
dataset's and articles' sha256, backend, models, settings, git commit) and `report.md`
with PNG plots. Gates: `--fail-under name=value,...` and `--max-p95-x` fail (exit 1)
on any miss; `--baseline old/summary.json` prints deltas and `--max-drop` fails on a
regression (the checks are gates.py's). Offline and deterministic: no LLM judge; the
intervals use a fixed seed.

The results lines carry ragas field names (`user_input`, `response`,
`retrieved_contexts`, `reference`, `reference_contexts`), so
`ragas.EvaluationDataset.from_jsonl("results.jsonl")` loads them as they are.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from ..core.errors import BotError, UsageError
from ..core.secrets import redact
from .dataset import Example
from .scoring import example_fields, score

WARM_UP_QUESTION = "What is this article about?"


def run(qa, examples: list[Example], progress: bool = True, archive: bool = False) -> list[dict]:
    """Answer every example (after a warm-up) and score it: one record per example. Each
    question is pinned to its example's article, or, in `archive` mode, asked of every
    indexed article as a user of "All articles" asks it."""
    from tqdm import tqdm

    from ..store import embeddings

    qa.warm_up()
    index = qa.index(progress=False)
    qa.ask(WARM_UP_QUESTION)
    records = []
    for ex in tqdm(examples, desc="Evaluating", unit="question", disable=not progress, file=sys.stderr):
        # The floor: the question's own embedding, timed just before it is answered, so that
        # latency is judged against the machine it ran on (`--max-p95-x`).
        floor_ms = qa.embedder.floor_ms(ex.user_input)
        embeddings.clear_query_cache()  # every question pays for its own query embedding
        try:
            pin = None if archive else ex.article_id
            answer = qa.ask(ex.user_input, list(ex.history), id=ex.id, article_id=pin).to_dict()
        except BotError as e:
            records.append({"id": ex.id, "user_input": ex.user_input, "error": str(e), **example_fields(ex)})
            continue
        answer["latency_ms"]["floor"] = round(floor_ms, 2)
        scores, skipped = score(answer, ex, index, archive)
        records.append({**answer, **example_fields(ex), "scores": scores, "skipped": skipped})
    return records


def output_dir(out: str | None) -> Path:
    if out:
        path = Path(out)
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
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
            f.write(redact(json.dumps(r, ensure_ascii=False)) + "\n")
    (out / "summary.json").write_text(
        redact(json.dumps(summary, indent=2, ensure_ascii=False)) + "\n", encoding="utf-8"
    )
    write_report(out, summary, records, plots=plots)
