"""Where the files shipped with hgk live: the year parameters, the rule catalogue and the notebooks.

A wheel (``pip install .``) carries ``params/`` and ``notebooks/`` inside the package as ``hgk_lib/_data/`` (copied
there by ``setup.py`` at build time); an editable install (``make setup``) reads them from the repository root.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_DATA = PACKAGE_DIR / "_data"


def data_dir(name: str) -> Path:
    """``params`` or ``notebooks``: the packaged copy when installed from a wheel, else the repository's folder."""
    packaged = PACKAGED_DATA / name
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / name


PARAMS_DIR = data_dir("params")
RULES_DIR = PARAMS_DIR / "rules"
NOTEBOOK_DIR = data_dir("notebooks")
