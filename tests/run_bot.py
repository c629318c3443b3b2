"""`python -m bot ...` in a subprocess, as an operator runs it, bounded in time and memory.

The reliability tests reach the product through its command line; a source that would
hang (a FIFO) or exhaust memory (/dev/zero) must not take the test machine with it, so
every run has a timeout and an address-space limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLES = ROOT / "index" / "articles"


# `python -m bot` under an address-space limit set in the child itself (a preexec_fn is
# not safe in a test process that runs threads).
_MAIN = (
    "import resource, runpy, sys; limit = int(sys.argv.pop(1)); "
    "limit and resource.setrlimit(resource.RLIMIT_AS, (limit, limit)); "
    "sys.argv[0] = 'bot'; runpy.run_module('bot', run_name='__main__', alter_sys=True)"
)


def bot(
    *args,
    articles: Path | None = None,
    index: Path | None = None,
    timeout: float = 180,
    stdin: str | None = None,
    as_nobody: bool = False,
    memory_mb: int = 0,
    **env,
) -> subprocess.CompletedProcess:
    """Run `python -m bot *args`; `articles` and `index` become BOT_ARTICLES_DIR and BOT_INDEX_DIR.

    `memory_mb` bounds the process's address space (for commands that load no model);
    `as_nobody` runs it as the unprivileged user `nobody` (the caller must be root).
    """
    environ = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONPATH": str(ROOT),
    }
    if articles is not None:
        environ["BOT_ARTICLES_DIR"] = str(articles)
    if index is not None:
        environ["BOT_INDEX_DIR"] = str(index)
    environ.update({k: str(v) for k, v in env.items()})
    command = [sys.executable, "-c", _MAIN, str(memory_mb * 2**20), *map(str, args)]
    if as_nobody:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(
        command,
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        input=stdin,
    )


def said(result: subprocess.CompletedProcess) -> str:
    """Everything the run printed, for checks that a secret appears nowhere."""
    return result.stdout + result.stderr


def warnings_free(stderr: str) -> list[str]:
    """What the user sees on stderr, without library warnings and progress bars."""
    return [
        x
        for x in stderr.splitlines()
        if x.strip()
        and "Warning" not in x
        and not x.startswith("  warnings.warn")
        and "passage/s]" not in x
        and "Embedding passages" not in x
    ]
