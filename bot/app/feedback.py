"""👍/👎 on an answer, with an optional comment, in a JSON-lines log.

One line per rated answer: the time, the rating, the comment, the answer's id and the
answer as it was shown (question, response, citations, backend), so a log line can be read
on its own. An answer has one vote: `vote()` replaces the line of an answer already rated
and `withdraw()` removes it. The path comes from configuration (`BOT_FEEDBACK_PATH`, see
`Settings.feedback_path`).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from ..core.errors import UsageError

RATINGS = {"up": "👍", "down": "👎"}
MAX_COMMENT_CHARS = 2000

_write_lock = threading.Lock()


def feedback_record(answer: dict, rating: str, comment: str | None = None, *, now: datetime | None = None) -> dict:
    """The log line for rating `answer` (an `Answer.to_dict()`).

    >>> r = feedback_record({"user_input": "Q?", "response": "A [1]", "citations": []}, "up", "  ")
    >>> r["rating"], r["comment"], r["question"]
    ('up', None, 'Q?')
    """
    if rating not in RATINGS:
        raise UsageError(f"rating must be one of {', '.join(RATINGS)}, not {rating!r}")
    comment = " ".join((comment or "").split())[:MAX_COMMENT_CHARS] or None
    now = now or datetime.now(UTC)
    return {
        "time": now.isoformat(timespec="seconds"),
        "rating": rating,
        "comment": comment,
        "question": answer["user_input"],
        "search_query": answer.get("search_query"),
        "answer": answer["response"],
        "abstained": answer.get("abstained"),
        "citations": answer.get("citations", []),
        "backend": answer.get("backend"),
        "notice": answer.get("notice"),
        "answer_id": answer.get("id"),
    }


def record_feedback(path: Path | str, record: dict) -> Path:
    """Append `record` as one JSON line; safe when several sessions rate at once."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # JSON leaves U+2028 and U+2029 unescaped, and readers that split at every Unicode line
    # boundary (str.splitlines, many tools) would cut the record in two there.
    text = json.dumps(record, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    line = (text + "\n").encode()
    with _write_lock:  # one write per line, under a lock and O_APPEND: lines never interleave
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    return path


def _rewrite(path: Path, keep, add: dict | None) -> None:
    """Under the write lock: the lines for which keep(record) holds, then `add`; swapped in
    whole (a crash leaves the old file or the new one, never half of one)."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [x for x in lines if x.strip() and keep(json.loads(x))]
    if add is not None:
        kept.append(json.dumps(add, ensure_ascii=False))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("".join(x + "\n" for x in kept))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def vote(path: Path | str, record: dict) -> Path:
    """Record `record` as its answer's one vote: a line for the same `answer_id` is replaced.

    >>> import tempfile; log = Path(tempfile.mkdtemp()) / "f.jsonl"
    >>> _ = vote(log, {"answer_id": "a1", "rating": "up"}); _ = vote(log, {"answer_id": "a1", "rating": "down"})
    >>> log.read_text()
    '{"answer_id": "a1", "rating": "down"}\\n'

    """
    if not record.get("answer_id"):
        return record_feedback(path, record)  # nothing to match it to: a line of its own
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _write_lock:
        _rewrite(path, lambda r: r.get("answer_id") != record["answer_id"], record)
    return path


def withdraw(path: Path | str, answer_id: str) -> None:
    """Remove the vote on the answer `answer_id` (the reader clicked their 👍 or 👎 again)."""
    path = Path(path)
    if not path.exists():
        return
    with _write_lock:
        _rewrite(path, lambda r: r.get("answer_id") != answer_id, None)
