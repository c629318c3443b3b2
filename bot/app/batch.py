"""Batch answering: one JSON line in, one Answer (or one error record) out.

A bad line never stops the batch: it gets {"id", "line", "error"} and the rest are
answered. The model and index are loaded once for the whole file, before the first
line, so a problem that no line can get past (a missing articles folder, a corrupt
index) is reported once and ends the run with its own exit code.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..core.errors import BotError, UsageError
from ..evaluation.dataset import read_lines


def _parse(line: str, n: int) -> dict:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise UsageError(f"line {n} is not valid JSON ({e.msg}) - fix that line") from None
    if not isinstance(obj, dict):
        raise UsageError(f'line {n} is not a JSON object - write {{"id": ..., "user_input": ...}}')
    return obj


def _record_id(obj: dict, n: int) -> str:
    """The line's own id, so that even its error record can be matched: {"id": 7} -> '7',
    {"id": [1, 2]} -> '[1, 2]' (as written, not as Python prints it)."""
    value = obj.get("id")
    if value is None:
        return f"line{n}"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _question(obj: dict, n: int) -> tuple[str, list]:
    key = "user_input" if "user_input" in obj else "question" if "question" in obj else None
    if key is None:
        raise UsageError(f'line {n} has no "user_input" (or "question") text - add it')
    question = obj[key]
    if not isinstance(question, str):
        raise UsageError(f'line {n}: "{key}" must be text, not {_json_type(question)} - put the question in quotes')
    return question, obj.get("history") or []


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {int: "a number", float: "a number", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )


def _unwritable(path, why: str | None) -> UsageError:
    return UsageError(f"Cannot write {path} ({why}) - check that its folder exists and is writable")


def _check_writable(path: str) -> None:
    p = Path(path)
    if p.is_dir():
        raise _unwritable(path, "Is a directory")
    if p.exists():
        if not os.access(p, os.W_OK):
            raise _unwritable(path, "Permission denied")
    elif not p.parent.is_dir():
        raise _unwritable(path, "No such file or directory")
    elif not os.access(p.parent, os.W_OK):
        raise _unwritable(path, "Permission denied")


def answer_batch(qa, in_path: str, out_path: str | None, article_id: str | None = None) -> int:
    """Answer every line of `in_path`; return 0 if all lines were answered, 1 otherwise."""
    lines = read_lines(in_path, "Batch file", "questions.jsonl")
    if not any(line.strip() for line in lines):
        raise UsageError(
            f"Batch file {in_path} has no questions - write one JSON object per line, "
            'like {"id": "q1", "user_input": "Who wrote this?"}'
        )
    if out_path:
        _check_writable(out_path)  # before the model loads, and without touching the file
    qa.warm_up()  # once, before any line: a setup problem ends the run here, with its own message
    qa.index().check_article(article_id)
    try:
        out = open(out_path, "w", encoding="utf-8") if out_path else sys.stdout
    except OSError as e:
        raise _unwritable(out_path, e.strerror) from None
    failed = answered = 0
    try:
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            record_id = f"line{n}"
            try:
                obj = _parse(line, n)
                record_id = _record_id(obj, n)
                question, history = _question(obj, n)
                record = qa.ask(question, history, id=record_id, article_id=article_id).to_dict()
                answered += 1
            except BotError as e:
                message = str(e) if str(e).startswith("line ") else f"line {n}: {e}"
                record = {"id": record_id, "line": n, "error": message}
                print(f"error: {message}", file=sys.stderr)
                failed += 1
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"{answered} answered, {failed} failed", file=sys.stderr)
    return 1 if failed else 0
