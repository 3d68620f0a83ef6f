"""Errors shown to inspectors: Chinese text naming the file, sheet, row and column; never a traceback."""

from __future__ import annotations


class HgkError(Exception):
    """An error the user can act on. ``str(err)`` is the Chinese message the CLI prints (exit code 2)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ):
        self.file, self.sheet, self.row, self.column = file, sheet, row, column
        where = "，".join(
            x
            for x in (
                f"文件：{file}" if file else "",
                f"工作表：{sheet}" if sheet else "",
                f"行：{row}" if row is not None else "",
                f"列：{column}" if column else "",
            )
            if x
        )
        super().__init__(f"{message}（{where}）" if where else message)


class InputError(HgkError):
    """The export cannot be read as the contract says (missing table/column, undecodable file, hostile file)."""


class UnsafeInputError(InputError):
    """A file refused for safety: zip bomb, XML entity expansion, path traversal, untrusted model."""
