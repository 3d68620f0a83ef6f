"""The set-up promises of README.md: one dependency list for pip and conda, a console script, the layout, and a
non-editable install that carries its parameters and notebooks and runs ``hgk audit``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from helpers.paths import FIXTURE, ROOT, fixture_counties


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
    pinned = {
        _norm(line.split("==")[0])[0] for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line
    }
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


# ---------------------------------------------------------------------------------------------------------------
# a non-editable install: params/ and notebooks/ ship inside the wheel, and `hgk audit` runs from it
# ---------------------------------------------------------------------------------------------------------------
SOURCES = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "hgk_lib", "params", "notebooks"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """``pip wheel .`` once, from a copy of the sources (the worktree gets no build/ folder)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(
            ROOT / name,
            src / name,
            **(
                {"ignore": shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")}
                if (ROOT / name).is_dir()
                else {}
            ),
        )
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return next((tmp / "dist").glob("hgk-*.whl"))


def test_the_wheel_carries_the_parameters_and_the_notebooks(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        f"hgk_lib/_data/{p.relative_to(ROOT).as_posix()}"
        for d in ("params", "notebooks")
        for p in (ROOT / d).rglob("*")
        if p.is_file() and ".ipynb_checkpoints" not in p.parts
    }
    assert shipped and shipped <= names, sorted(shipped - names)
    assert "hgk_lib/_data/params/2019.yaml" in names and "hgk_lib/_data/notebooks/county_audit.ipynb" in names


def test_an_editable_install_reads_the_repository_folders():
    from hgk_lib import resources

    assert resources.PARAMS_DIR == ROOT / "params" and resources.NOTEBOOK_DIR == ROOT / "notebooks"


@pytest.mark.slow
def test_hgk_audit_runs_from_a_non_editable_install(wheel, tmp_path):
    """A fresh venv with only the wheel installed (--no-deps; the project venv's packages reach it through a .pth
    placed after its own site-packages, so the installed hgk_lib wins over the editable one) and its own ``hgk``
    kernel runs ``hgk audit`` on the committed fixture export from a folder outside the repository."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "zz_project_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    subprocess.run(
        [str(py), "-m", "ipykernel", "install", "--sys-prefix", "--name", "hgk"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HGK_DEBUG")}
    # the new venv's data first (its `hgk` kernel), then the project venv's (nbconvert's templates, installed there)
    jupyter_path = os.pathsep.join([str(venv / "share" / "jupyter"), str(Path(sys.prefix) / "share" / "jupyter")])
    env.update(
        PYTHONHASHSEED="0",
        MPLBACKEND="Agg",
        JUPYTER_PATH=jupyter_path,
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    )
    where = subprocess.run(
        [
            str(py),
            "-c",
            "import hgk_lib.resources as r; print(r.__file__); print(r.PARAMS_DIR); "
            "print(r.NOTEBOOK_DIR); from jupyter_client.kernelspec import KernelSpecManager as K; "
            "print(K().get_kernel_spec('hgk').argv[0])",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    lines = where.stdout.split()
    assert all(str(venv) in line and str(ROOT) not in line for line in lines), lines
    work = tmp_path / "work"
    shutil.copytree(FIXTURE, work / "export" / "2019")
    run = subprocess.run(
        [
            str(venv / "bin" / "hgk"),
            "audit",
            "--data",
            "export/2019",
            "--year",
            "2019",
            "--out",
            "outputs",
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=1500,
    )
    assert run.returncode == 0, (run.stdout[-2000:], run.stderr[-3000:])
    year = work / "outputs" / "2019"
    for county in fixture_counties():
        assert list((year / county).glob("回头看台账_*_2019.xlsx")), county
        assert list((year / county).glob("回头看报告_*_2019.html")), county
    assert (year / "市汇总" / "回头看总结_2019.html").is_file()
    assert json.loads((year / "run_summary.json").read_text(encoding="utf-8"))["ok"]


def test_make_lab_opens_jupyterlab_with_the_hgk_kernel():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "jupyterlab" in {_norm(r)[0] for r in project["dependencies"]}
    out = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    lab = [line for line in out.stdout.splitlines() if "jupyter lab" in line]
    assert out.returncode == 0 and lab, out.stdout + out.stderr
    assert "default_kernel_name=hgk" in lab[0] and "notebooks/county_audit.ipynb" in lab[0]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make lab" in readme and "parameters" in readme
