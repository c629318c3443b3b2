"""A Chroma server on 127.0.0.1: `chroma run` on a free port, for the benchmarks and tests.

`chroma_server(path)` starts one over `path`, waits for its heartbeat and stops it on
exit; a server that exits or does not answer in time is a StoreError carrying the tail
of its log.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import StoreError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ChromaServer:
    url: str
    path: Path
    process: subprocess.Popen


@contextlib.contextmanager
def chroma_server(path: Path, timeout_s: float = 60.0):
    """`chroma run` on a free 127.0.0.1 port over `path`; stopped on exit."""
    beside = Path(sys.executable).with_name("chroma")
    exe = str(beside) if beside.exists() else shutil.which("chroma")
    if not exe:
        raise StoreError("The `chroma` command is missing - install chromadb (`pip install chromadb`)")
    path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                log.seek(0)
                tail = log.read().decode(errors="replace")[-800:]
                raise StoreError(f"`chroma run` exited with {proc.returncode} before serving {url}: {tail}")
            with contextlib.suppress(OSError):
                if opener.open(url + "/api/v2/heartbeat", timeout=1).status == 200:
                    break
            if time.monotonic() > deadline:
                raise StoreError(f"The Chroma server at {url} did not start within {timeout_s:g} s")
            time.sleep(0.2)
        yield ChromaServer(url, path, proc)
    finally:
        stop(proc, 15)
        log.close()


def stop(proc: subprocess.Popen, grace_s: float) -> None:
    """Terminate a served process; kill it when it has not exited within `grace_s`."""
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
