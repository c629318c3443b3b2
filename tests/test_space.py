"""The Hugging Face Space: the README's front matter and requirements.txt.

A Space installs requirements.txt with only that file present, before the repository is
copied in: the file must list every runtime dependency itself, as pyproject.toml does.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

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
