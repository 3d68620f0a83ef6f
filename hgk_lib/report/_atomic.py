"""Atomic file writes for report outputs: thin names over :mod:`hgk_lib.io.safe` (the one copy: temporary file in
the target's folder, fsync, ``os.replace``). A writer that raises leaves the previous file untouched and no
temporary file behind."""
from __future__ import annotations

from ..io.safe import atomic_write, write_bytes_atomic, write_text_atomic


def atomic_path(path):
    """Context manager yielding a temporary path in the target's folder; on success it replaces ``path``."""
    return atomic_write(path)


def atomic_write_bytes(path, data: bytes) -> None:
    write_bytes_atomic(path, data)


def atomic_write_text(path, text: str) -> None:
    write_text_atomic(path, text)
