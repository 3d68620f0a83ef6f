"""Atomic file writes for report outputs: write a temporary file next to the target, then ``os.replace``.

Uses the shared :func:`hgk_lib.io.safe.atomic_write`; a private fallback keeps the report package usable on its
own. A writer that raises leaves the previous file untouched and no temporary file behind.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

try:
    from ..io.safe import atomic_write as _shared_atomic_write
except ImportError:  # pragma: no cover - io.safe is part of the package
    _shared_atomic_write = None


@contextlib.contextmanager
def _fallback_atomic_path(path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_path(path):
    """Context manager yielding a temporary path in the target's folder; on success it replaces ``path``."""
    if _shared_atomic_write is not None:
        return _shared_atomic_write(path)
    return _fallback_atomic_path(path)


def atomic_write_bytes(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)


def atomic_write_text(path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
