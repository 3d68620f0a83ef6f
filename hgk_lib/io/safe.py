"""Safe output paths and atomic writes, for every file hgk writes.

* :func:`safe_output_path` joins single path components under a root and refuses anything that could escape it
  (``..``, absolute paths, separators, control characters, drive letters).
* :func:`atomic_write` writes to a temporary file in the target's directory and renames it over the target with
  :func:`os.replace`, so a reader never sees a half-written file and an interrupted run leaves the old file intact.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

from ..errors import UnsafeInputError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")


def check_path_component(part, what: str = "路径") -> str:
    """Return ``part`` as a string if it is one harmless path component; else :class:`UnsafeInputError`."""
    s = str(part)
    bad = (
        not s
        or s in (".", "..")
        or "/" in s
        or "\\" in s
        or _CONTROL.search(s) is not None
        or _DRIVE.match(s) is not None
        or os.path.isabs(s)
        or s != s.strip()
    )
    if bad:
        raise UnsafeInputError(f"{what}不安全（不能含路径分隔符、“..”、控制字符或绝对路径）：{s!r}")
    return s


def safe_output_path(root, *parts) -> Path:
    """``root/part1/part2...`` where every part is a single component that stays inside ``root``.

    Refuses (:class:`UnsafeInputError`) empty parts, ``.``/``..``, parts containing ``/`` or ``\\``, absolute paths,
    drive letters and control characters, and (after resolving symlinks) any result outside ``root``.
    """
    root = Path(root)
    path = root
    for p in parts:
        path = path / check_path_component(p, "输出路径")
    try:
        rroot = root.resolve()
        rpath = path.resolve()
    except OSError as err:  # pragma: no cover - resolve() rarely fails
        raise UnsafeInputError(f"输出路径无法解析：{path}（{err}）") from err
    if parts and rroot != rpath and rroot not in rpath.parents:
        raise UnsafeInputError(f"输出路径超出输出目录：{path}")
    return path


@contextlib.contextmanager
def atomic_write(path, mode: str | None = None, **open_kwargs):
    """Write ``path`` atomically.

    ``with atomic_write(p) as tmp:`` yields a temporary :class:`Path` (same directory, same suffix, so writers
    that look at the extension still work) to hand to a writer (``df.to_parquet(tmp)``, ``wb.save(tmp)``).
    ``with atomic_write(p, "w", encoding="utf-8") as f:`` yields an open file instead.
    On success the temporary file is flushed to disk and renamed over ``path``; on error it is removed and
    ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    tmp = Path(tmp)
    try:
        if mode is None:
            os.close(fd)
            yield tmp
        else:
            with os.fdopen(fd, mode, **open_kwargs) as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
        with contextlib.suppress(OSError):  # make the content durable before the rename
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        with contextlib.suppress(OSError):  # mkstemp creates 0600; outputs are ordinary files
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def sha256_file(path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks (input hashes in every output's provenance)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# the one set of atomic writers (json, text, bytes, parquet; xlsx and html writers use atomic_write directly)
# ---------------------------------------------------------------------------------------------------------------
def write_bytes_atomic(path, data: bytes) -> Path:
    """Write ``data`` through :func:`atomic_write` (fsync, then rename)."""
    with atomic_write(Path(path), "wb") as fh:
        fh.write(data)
    return Path(path)


def write_text_atomic(path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def _json_default(o):
    import datetime as dt

    if isinstance(o, (dt.date, dt.datetime)):  # pandas Timestamps too
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    return str(o)


def write_json_atomic(path, obj, sort_keys: bool = False) -> Path:
    """UTF-8 JSON (indented, Chinese readable; dates, paths, numpy scalars and sets converted), atomically."""
    import json

    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=sort_keys, default=_json_default)
    return write_text_atomic(path, text)


def read_json(path) -> dict | None:
    """A JSON file's content, or None when it is missing or not JSON."""
    import json

    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_parquet_atomic(df, path) -> Path:
    """Parquet (no index) written atomically; an object column mixing types is written as text so pyarrow never
    refuses it."""
    import pandas as pd

    out = df
    for c in df.columns:
        # all text (or nothing but gaps): written as it is; anything else as text
        if df[c].dtype == object and pd.api.types.infer_dtype(df[c], skipna=True) not in ("string", "empty"):
            if out is df:
                out = df.copy()
            out[c] = df[c].map(
                lambda v: (
                    None if v is None or (not isinstance(v, (str, list, dict, set, tuple)) and pd.isna(v)) else str(v)
                )
            )
    with atomic_write(Path(path)) as tmp:
        out.to_parquet(tmp, index=False)
    return Path(path)
