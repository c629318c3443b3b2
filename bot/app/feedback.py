"""👍/👎 on an answer, with an optional comment, in a JSON-lines log.

One line per rated answer: the time, the rating, the comment, the answer's id and the
answer as it was shown (question, response, citations, backend), so a log line can be read
on its own. An answer has one vote: `vote()` replaces the line of an answer already rated
and `withdraw()` removes it. The path comes from configuration (`BOT_FEEDBACK_PATH`, see
`Settings.feedback_path`).

Every line written is one JSON object and nothing else (`json_line`). A line that is not one
(cut short by a full disk, broken by a hand edit) is skipped with a warning and left out when
the log is next rewritten, so one bad line never stops a rating.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from ..core.errors import UsageError
from ..core.files import replace_atomically

log = logging.getLogger(__name__)

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


# What JSON leaves raw but a line reader may split at (U+2028, U+2029, U+0085) or UTF-8
# cannot encode (a lone surrogate, as a browser may send).
_UNSAFE = frozenset("\u2028\u2029\x85") | frozenset(map(chr, range(0xD800, 0xE000)))


def json_line(record: dict) -> bytes:
    r"""`record` as one line of JSON, ending in its only newline: what JSON leaves raw but
    would cut the line for a reader that splits at every Unicode line boundary
    (str.splitlines, many tools), or could not be written as UTF-8, is escaped.

    >>> json_line({"answer": "a\u2028b\nc\ud800"})
    b'{"answer": "a\\u2028b\\nc\\ud800"}\n'
    """
    text = json.dumps(record, ensure_ascii=False)
    text = "".join(f"\\u{ord(c):04x}" if c in _UNSAFE else c for c in text)
    return (text + "\n").encode("utf-8")


def read_records(path: Path) -> list[dict]:
    """The log's records, in order. A line that is not a JSON object is skipped with a
    warning naming it; lines are split at "\\n" only, as they are written."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    records = []
    for n, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except ValueError as e:  # UnicodeDecodeError and JSONDecodeError alike
            record, why = None, str(e)
        else:
            why = "not a JSON object"
        if not isinstance(record, dict):
            log.warning(
                "skipped line %d of %s: %s - the next rating rewrites the log without it; copy the line "
                "out of the file first to keep it",
                n,
                path,
                why,
            )
            continue
        records.append(record)
    return records


def record_feedback(path: Path | str, record: dict) -> Path:
    """Append `record` as one JSON line; safe when several sessions rate at once.

    A line left without its newline (a write cut short) gets one first, so the new record
    starts a line of its own; a write that fails (a full disk) is taken back when nothing
    was appended after it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json_line(record)
    with _write_lock:  # one write per line, under a lock and O_APPEND: lines never interleave
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            _write_all(fd, line, size)
        finally:
            os.close(fd)
    return path


def _write_all(fd: int, data: bytes, size: int) -> None:
    """Write all of `data` at the end of a file `size` bytes long; when that fails, take back
    the part written, unless another writer has appended since."""
    written = 0
    try:
        while written < len(data):
            written += os.write(fd, data[written:])
    except OSError:
        if written and os.fstat(fd).st_size == size + written:  # nobody appended since: take it back
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
        raise


def _rewrite(path: Path, keep, add: dict | None) -> None:
    """Under the write lock: the records for which keep(record) holds, then `add`; swapped
    in whole (a crash or a full disk leaves the old file or the new one, never half of one)."""
    kept = [r for r in read_records(path) if keep(r)]
    if add is not None:
        kept.append(add)
    replace_atomically(path, lambda f: f.write(b"".join(json_line(r) for r in kept)))


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
