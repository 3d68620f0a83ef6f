"""Build hook: ship ``params/`` and ``notebooks/`` inside the wheel as ``hgk_lib/_data/`` (see hgk_lib/resources.py).

All metadata lives in pyproject.toml; an editable install keeps reading the repository's folders.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("params", "notebooks")


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in SHIPPED:
            shutil.copytree(
                ROOT / name,
                Path(self.build_lib) / "hgk_lib" / "_data" / name,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc"),
            )


setup(cmdclass={"build_py": BuildPyWithData})
