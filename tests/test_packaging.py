"""The set-up promises of README.md: one dependency list for pip and conda, a console script, the layout."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _norm(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    name = m.group(1).lower().replace("_", "-")
    return name, m.group(2).replace(" ", "")


def test_pyproject_and_environment_yml_list_the_same_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pip_deps = dict(_norm(r) for r in project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda, pip_section = {}, []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip_section += item["pip"]
        else:
            name, spec = _norm(item)
            if name not in ("python", "pip"):
                conda[name] = spec
    conda.update(_norm(r) for r in pip_section if not r.startswith("-e"))
    assert conda == pip_deps


def test_constraints_pin_every_direct_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pinned = {_norm(line.split("==")[0])[0] for line in (ROOT / "constraints.txt").read_text().splitlines()
              if "==" in line}
    direct = {_norm(r)[0] for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    assert direct <= pinned, sorted(direct - pinned)


def test_layout_of_the_design_card_exists():
    for d in ["notebooks", "hgk_lib", "params", "data/raw", "data/processed", "outputs", "tests", "bench"]:
        assert (ROOT / d).is_dir(), d
    assert (ROOT / "environment.yml").is_file()


def test_console_script_and_module_entry_point_answer():
    out = subprocess.run([sys.executable, "-m", "hgk_lib", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "demo-data" in out.stdout and "spot-check" in out.stdout


def test_readme_states_the_two_commands_and_ci_calls_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make audit" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_defusedxml_is_installed_so_openpyxl_reads_safely():
    import defusedxml  # noqa: F401
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True
