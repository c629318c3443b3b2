"""Run a command while other processes keep every core busy: `make test-busy` runs the
whole suite this way, as a loaded CI machine would.

    python tests/busy.py make test

One burner process per core spins until the command ends; the exit status is the
command's. Tests must hold here: no wall-clock budget tighter than its counterfactual.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys


def burn() -> None:
    x = 0
    while True:
        x = (x * 1103515245 + 12345) % 2**31


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python tests/busy.py COMMAND [ARGS...]", file=sys.stderr)
        return 2
    burners = [multiprocessing.Process(target=burn, daemon=True) for _ in range(os.cpu_count() or 2)]
    for b in burners:
        b.start()
    print(f"busy: {len(burners)} burner process(es) on {os.cpu_count()} core(s) while running {' '.join(argv)}")
    try:
        return subprocess.call(argv)
    finally:
        for b in burners:
            b.terminate()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
