"""👍/👎 on an answer, with an optional comment, appended to a JSON-lines log.

One line per rating: the time, the rating, the comment, and the answer as it was shown
(question, response, citations, backend), so a log line can be read on its own.
The path comes from configuration (`BOT_FEEDBACK_PATH`, see `Settings.feedback_path`).
"""

from __future__ import annotations

import json
import os
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
