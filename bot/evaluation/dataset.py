"""Evaluation datasets: JSON lines with ragas field names, and gold evidence as spans.

Older field names (`question`, `ground_truth`, `contexts`) are accepted. A
line that cannot be used is reported with its number and skipped; the rest still run.
Gold evidence is given as character spans into the cleaned article text, so labels
survive re-chunking; `locate` finds a quoted context's span.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import UsageError

ALIASES = {"question": "user_input", "ground_truth": "reference", "contexts": "reference_contexts"}


@dataclass(frozen=True)
class Example:
    id: str
    user_input: str
    reference: str = ""
    alt_references: tuple[str, ...] = ()
    answerable: bool = True
    reference_contexts: tuple[str, ...] = ()
    reference_spans: tuple[tuple[int, int], ...] = ()
    # Another passage that states the same as the (single) gold passage: citing it is right too.
    alt_reference_contexts: tuple[str, ...] = ()
    alt_reference_spans: tuple[tuple[int, int], ...] = ()
    history: tuple[dict, ...] = ()
    tags: tuple[str, ...] = ()
    article_id: str | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def references(self) -> list[str]:
        return [r for r in (self.reference, *self.alt_references) if r]


@dataclass(frozen=True)
class LineError:
    line: int
    message: str


def parse_example(obj, line: int) -> Example:
    if not isinstance(obj, dict):
        raise ValueError("is not a JSON object")
    obj = obj | {new: obj[old] for old, new in ALIASES.items() if old in obj and new not in obj}
    question = obj.get("user_input")
    if question is not None and not isinstance(question, str):
        raise ValueError('"user_input" must be text')
    if not question or not question.strip():
        raise ValueError('has no "user_input" (or "question") text')
    if not isinstance(obj.get("article_id") or "", str):
        raise ValueError('"article_id" must be text (an article\'s file name without .txt)')
    if "answerable" not in obj and not obj.get("reference"):
        raise ValueError('has neither a "reference" answer nor "answerable": false - add the one that applies')
    answerable = obj.get("answerable", True)
    if not isinstance(answerable, bool):
        raise ValueError('"answerable" must be true or false')
    if not isinstance(obj.get("reference") or "", str):
        raise ValueError('"reference" must be text')
    for key in ("alt_references", "reference_contexts", "alt_reference_contexts", "tags"):
        value = obj.get(key) or []
        if not isinstance(value, (list, tuple)) or not all(isinstance(x, str) for x in value):
            raise ValueError(f'"{key}" must be a list of strings')
    spans, alt_spans = obj.get("reference_spans") or [], obj.get("alt_reference_spans") or []
    for key, value in (("reference_spans", spans), ("alt_reference_spans", alt_spans)):
        if not isinstance(value, (list, tuple)) or not all(
            isinstance(s, (list, tuple)) and len(s) == 2 and all(isinstance(x, int) for x in s) for s in value
        ):
            raise ValueError(f'"{key}" must be a list of [start, end] pairs')
    if alt_spans and len(spans) != 1:
        raise ValueError(
            '"alt_reference_spans" stand in for a single gold passage: give exactly one "reference_spans" pair'
        )
    history = obj.get("history") or []
    if not isinstance(history, list):
        raise ValueError('"history" must be a list of {"role", "content"} turns')
    return Example(
        id=str(obj.get("id") or f"line{line}"),
        user_input=question,
        reference=str(obj.get("reference") or ""),
        alt_references=tuple(str(x) for x in obj.get("alt_references") or ()),
        answerable=answerable,
        reference_contexts=tuple(str(x) for x in obj.get("reference_contexts") or ()),
        reference_spans=tuple(tuple(s) for s in spans),
        alt_reference_contexts=tuple(str(x) for x in obj.get("alt_reference_contexts") or ()),
        alt_reference_spans=tuple(tuple(s) for s in alt_spans),
        history=tuple(history),
        tags=tuple(obj.get("tags") or ()),
        article_id=obj.get("article_id"),
        raw=obj,
    )


def read_lines(path, what: str, example: str) -> list[str]:
    """The lines of a UTF-8 JSON-lines file, or a `UsageError` saying what to fix."""
    try:
        # Lines end at "\n" only: str.splitlines() would also split inside a JSON string
        # at the separators JSON leaves unescaped (U+2028, U+0085...).
        return Path(path).read_text(encoding="utf-8").split("\n")  # read_text has made \r\n into \n
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist - pass a JSON-lines file such as {example}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{what} {path} is not UTF-8 text - save it as UTF-8 JSON lines") from None
    except OSError as e:  # a folder, no permission
        raise UsageError(
            f"Cannot read {what.lower()} {path} ({e.strerror}) - pass a readable JSON-lines file"
        ) from None


def load_dataset(path: Path) -> tuple[list[Example], list[LineError]]:
    lines = read_lines(path, "Dataset", "tests/eval/article.jsonl")
    examples, errors, seen = [], [], set()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            ex = parse_example(json.loads(line), n)
        except json.JSONDecodeError as e:
            errors.append(LineError(n, f"line {n} is not valid JSON ({e.msg}) - skipped"))
            continue
        except ValueError as e:
            errors.append(LineError(n, f"line {n} {e} - skipped"))
            continue
        if ex.id in seen:
            errors.append(LineError(n, f"line {n} repeats id {ex.id!r} - skipped"))
            continue
        seen.add(ex.id)
        examples.append(ex)
    return examples, errors


def locate(context: str, text: str) -> tuple[int, int] | None:
    """Span of a quoted context in the cleaned text, tolerant of whitespace and of a
    dateline the cleaner moved into metadata ("Washington: US President…")."""
    candidates = [context, re.sub(r"^[A-Z][A-Za-z.' -]{1,40}:\s+", "", context)]
    for c in candidates:
        i = text.find(c)
        if i >= 0:
            return (i, i + len(c))
    pattern = r"\s+".join(re.escape(w) for w in candidates[-1].split())
    m = re.search(pattern, text)
    return (m.start(), m.end()) if m else None
