"""The Hugging Face Space: the README's front matter and requirements.txt.

A Space installs requirements.txt with only that file present, before the repository is
copied in: the file must list every runtime dependency itself, as pyproject.toml does. The
last test does what a Space does, in a fresh venv, and asks the started app one question.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def project_dependencies() -> dict[str, Requirement]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return {r.name: r for r in map(Requirement, deps)}


def space_requirements() -> tuple[dict[str, Requirement], list[str]]:
    """(requirements by name, option lines) of requirements.txt."""
    reqs, options = {}, []
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-"):
            options.append(line)
            continue
        r = Requirement(line)  # "." or a path would not parse: a Space cannot install it
        reqs[r.name] = r
    return reqs, options


def front_matter() -> dict:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert m, "README.md must start with the Space's front matter between --- lines"
    return yaml.safe_load(m[1])


def test_requirements_list_the_runtime_dependencies_of_pyproject():
    project, (space, _) = project_dependencies(), space_requirements()
    assert set(space) == set(project)
    for name, r in project.items():
        if name != "torch":
            assert str(space[name].specifier) == str(r.specifier), name


def test_the_space_takes_torch_s_cpu_build_of_the_pinned_release():
    project, (space, options) = project_dependencies(), space_requirements()
    (pinned,) = [s.version for s in project["torch"].specifier]
    assert [str(s) for s in space["torch"].specifier] == [f"=={pinned}+cpu"]
    assert f"--extra-index-url {CPU_INDEX}" in options


def test_front_matter_configures_a_gradio_space():
    meta = front_matter()
    (gradio,) = [s.version for s in project_dependencies()["gradio"].specifier]
    assert meta["sdk"] == "gradio" and str(meta["sdk_version"]) == gradio
    assert (ROOT / meta["app_file"]).is_file()
    assert str(meta["python_version"]) == "3.11"
    assert meta["title"] and meta["emoji"]
    assert len(meta["short_description"]) <= 60  # the Hub's limit


# --- the Space itself: requirements.txt alone in a fresh venv, then app.py ---------------

TOMAHAWK = "What is the range of a Tomahawk missile?"
PIP_TIMEOUT_S = 1800  # torch and chromadb: a few minutes from a warm cache, longer from a cold one
START_TIMEOUT_S = 300  # the first start builds the index


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_links(python: Path) -> list[Path]:
    """The wheel folders pip is told about (PIP_FIND_LINKS and pip's own configuration)."""
    listed = os.environ.get("PIP_FIND_LINKS", "").split()
    out = subprocess.run([str(python), "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        key, _, value = line.partition("=")
        if key.endswith("find-links"):
            listed += value.strip("'\"").split()
    return [Path(x.removeprefix("file://")) for x in listed if not x.startswith(("http:", "https:"))]


def space_requirements_here(python: Path, folder: Path) -> Path:
    """requirements.txt as this machine can install it.

    Where pip already finds the pinned torch's CPU wheel in a local folder, the line naming
    PyTorch's CPU index is dropped: that index may be unreachable (as on the machines this
    project is developed on), and pip would retry it for every package. Elsewhere the file is
    used as it is.
    """
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    (pinned,) = [s.version for s in project_dependencies()["torch"].specifier]
    if any(any(d.glob(f"torch-{pinned}+cpu-*.whl")) for d in find_links(python) if d.is_dir()):
        text = "\n".join(x for x in text.splitlines() if not x.strip().startswith("--extra-index-url"))
    path = folder / "requirements.txt"
    path.write_text(text + "\n", encoding="utf-8")
    return path


def repository_files() -> list[str]:
    """What a Space gets: the files git tracks, plus new ones it does not ignore."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [p for p in out.decode().split("\0") if p and (ROOT / p).is_file()]


def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if done.returncode:
        pytest.fail(
            f"{' '.join(map(str, cmd[:4]))} … failed ({done.returncode}):\n{(done.stdout + done.stderr)[-4000:]}"
        )
    return done


@pytest.mark.slow
@pytest.mark.space
def test_a_space_installs_requirements_alone_starts_app_py_and_answers(tmp_path):
    venv, repo = tmp_path / "venv", tmp_path / "space"
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    if made.returncode:  # the one thing this machine may lack; under CI=true the skip fails (conftest)
        pytest.skip(f"cannot make a venv ({made.stderr.strip()[-300:]}) - apt-get install python3-venv")
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], timeout=PIP_TIMEOUT_S)
    # Like a Space: requirements.txt with nothing else of the repository present.
    run(
        [python, "-m", "pip", "install", "--quiet", "-r", space_requirements_here(python, tmp_path)],
        cwd=tmp_path,
        timeout=PIP_TIMEOUT_S,
    )
    for name in repository_files():  # then the repository is copied in
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, repo / name)

    port = free_port()
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "PIP_FIND_LINKS")
    env = {k: v for k, v in os.environ.items() if k in keep} | {
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "app.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(python), "app.py"], cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    urllib.request.urlopen(url + "/", timeout=2).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail("app.py did not serve:\n" + log_path.read_text()[-4000:])
                    time.sleep(1)
            from gradio_client import Client

            answer = Client(url, verbose=False, httpx_kwargs={"timeout": START_TIMEOUT_S}).predict(
                TOMAHAWK, None, api_name="/ask"
            )
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert answer["abstained"] is False and "995 miles" in answer["response"], log_path.read_text()[-2000:]
    assert answer["citations"][0]["paragraph"] == 10
