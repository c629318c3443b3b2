"""Prompt templates as files in prompts/, rendered with strict variables.

A template has a comment header and one part per chat role, each under a "## role"
line. `{name}` fields are filled with str.format rules ("{{" is a literal brace). A
name the template uses but the caller did not give is an error, and so is a name the
caller gave that the template never uses (a typo would otherwise pass unnoticed):

>>> render("Hello {who}", who="Ada")
'Hello Ada'
>>> render("Hello {who}")
Traceback (most recent call last):
...
bot.llm.prompts.PromptError: prompt needs {who} - pass who=... when rendering it
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..core.errors import BotError

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
ROLES = ("system", "user", "assistant")


class PromptError(BotError):
    """A prompt file is missing or malformed, or was rendered with the wrong variables."""


def fields(template: str) -> set[str]:
    """The variable names a template uses: fields('{a} and {b}{{c}}') -> {'a', 'b'}."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        raise PromptError(f"prompt template is malformed ({e}) - write a literal brace as {{{{ or }}}}") from None
    names = set()
    for _, name, _, _ in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            raise PromptError(f"prompt field {{{name}}} is not a plain name - use {{name}} with letters and _")
        names.add(name)
    return names


def render(template: str, **values) -> str:
    """Fill the template; every field must be given and every value must be used."""
    needed = fields(template)
    missing = sorted(needed - values.keys())
    if missing:
        raise PromptError(
            f"prompt needs {', '.join('{' + m + '}' for m in missing)} - pass "
            + ", ".join(f"{m}=..." for m in missing)
            + " when rendering it"
        )
    unused = sorted(values.keys() - needed)
    if unused:
        raise PromptError(
            f"prompt has no field for {', '.join(unused)} - remove it or add {{{unused[0]}}} to the template"
        )
    return template.format(**{k: str(v) for k, v in values.items()})


@dataclass(frozen=True)
class Prompt:
    """A chat prompt: (role, template) parts in order."""

    name: str
    parts: tuple[tuple[str, str], ...]

    @property
    def variables(self) -> set[str]:
        return set().union(*(fields(t) for _, t in self.parts))

    def render(self, **values) -> list[tuple[str, str]]:
        """[(role, text), ...]: the messages to send, filled strictly."""
        missing = sorted(self.variables - values.keys())
        unused = sorted(values.keys() - self.variables)
        if missing or unused:
            render("".join("{" + v + "}" for v in sorted(self.variables)), **values)  # raises the message
        return [(role, render(t, **{k: v for k, v in values.items() if k in fields(t)})) for role, t in self.parts]


def parse(text: str, name: str = "prompt") -> Prompt:
    """Split a prompt file into its role parts.

    >>> parse("# note\\n## system\\nBe brief.\\n## user\\n{q}\\n").parts
    (('system', 'Be brief.'), ('user', '{q}'))
    """
    parts: list[tuple[str, list[str]]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.startswith("## "):
            role = line[3:].strip()
            if role not in ROLES:
                raise PromptError(f"{name} line {n}: '## {role}' is not a role - use one of: {', '.join(ROLES)}")
            parts.append((role, []))
        elif parts:
            parts[-1][1].append(line)
        elif line.strip() and not line.startswith("#"):
            raise PromptError(f"{name} line {n}: text before the first '## system' or '## user' line")
    if not parts:
        raise PromptError(f"{name} has no '## system' or '## user' part - start each part with such a line")
    out = tuple((role, "\n".join(lines).strip()) for role, lines in parts)
    for role, body in out:
        if not body:
            raise PromptError(f"{name}: the '## {role}' part is empty")
        fields(body)  # malformed braces fail at load time, not at the first question
    return Prompt(name, out)


@lru_cache(maxsize=16)
def _load(path: Path, mtime: float) -> Prompt:
    return parse(path.read_text(encoding="utf-8"), path.name)


def load(name: str, folder: Path | None = None) -> Prompt:
    """The prompt prompts/<name>.txt, re-read when the file changes."""
    path = Path(folder or PROMPTS_DIR) / f"{name}.txt"
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise PromptError(f"prompt file {path} is missing - restore it from the repository's prompts/ folder") from None
    return _load(path, mtime)
