"""Loading the models from two threads at once, in a fresh process, as an app's first
questions and its warm-up do: transformers imported lazily from two threads used to fail
half-way ("cannot import name 'AutoModel'", 2 of 8 starts)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import threading
    from bot.reading import joint
    from bot.store.embeddings import Embedder

    barrier = threading.Barrier(3)
    errors = []

    def run(load):
        barrier.wait()
        try:
            load()
        except BaseException as e:
            errors.append(repr(e))

    loads = [lambda: Embedder().model, lambda: joint.load(), lambda: Embedder().dimension]
    threads = [threading.Thread(target=run, args=(f,)) for f in loads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("errors:", errors)
    raise SystemExit(1 if errors else 0)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(4))
def test_models_load_from_three_threads_at_once(attempt):
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    assert "errors: []" in r.stdout
