"""The one builder of a rule's findings table: :func:`findings`, used by every rule module.

A rule filters the offending rows of a table and hands them over with the columns it cites and its message::

    return findings(ctx, hit, "member", ["sex", "id_no"], "性别为" + q(shown(hit, "sex")) + "……")

What the builder takes from the catalogue entry of the rule being run (``ctx.rule``, set by the engine), never from
the rule's code:

* ``ids``: the identifying columns a finding carries, copied from the offending rows. The catalogue derives them from
  the rule's ``unit`` (人: 户编号, 人编号; 户: 户编号; 措施: 户编号, 年度, 措施类别; 项目: 项目编号); a rule judged
  per household and year declares ``ids: [hh_id, year]``.
* ``unit``, name, level and department are added by the engine from the same entry.

What the rule gives: ``table`` (whose Chinese headers name the cited columns), ``keys`` (the cited columns: their
headers joined with 、 become 涉及字段, their values as recorded joined with ； become 字段值), the ``message``
(a string or a Series aligned with ``sub``). ``columns``/``values`` replace the evidence when it is not a plain list
of columns (a string or a Series); ``values`` may also be a ``{key: Series}`` mapping replacing the shown value of
some keys (e.g. a derived age). ``extra``: further finding columns (e.g. ``category``), set last.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .. import schema as S
from .engine import BLANK_SHOWN, header, shown

#: The identifying columns a finding may carry (the catalogue's ``ids``), in the order they are built.
ID_FIELDS = ("hh_id", "person_id", "project_id", "year", "category")


def _evidence(sub: pd.DataFrame, table: str, keys: list[str], values) -> tuple[object, object]:
    """(涉及字段, 字段值) for ``keys``: Chinese headers joined with 、 and values as recorded joined with ；."""
    cols = "、".join(header(table, k) for k in keys)
    if isinstance(values, (str, pd.Series)):
        return cols, values
    repl = values or {}
    if not keys:
        return cols, ""
    out = None
    for k in keys:
        v = repl[k].reindex(sub.index).astype(object).fillna(BLANK_SHOWN) if k in repl else shown(sub, k)
        out = v.astype(str) if out is None else out + "；" + v.astype(str)
    return cols, out.astype(object)


def _aligned(v, idx: pd.Index):
    """A column value for a frame indexed by ``idx``: a Series reindexed to it (values of labels it lacks are
    missing), anything else as given."""
    if isinstance(v, pd.Series) and not v.index.equals(idx):
        return v.reindex(idx)
    return v


def findings(
    ctx,
    sub: pd.DataFrame,
    table: str,
    keys: Iterable[str] = (),
    message: pd.Series | str = "",
    *,
    columns: pd.Series | str | None = None,
    values: pd.Series | str | dict | None = None,
    **extra,
) -> pd.DataFrame:
    """Findings for the rows of ``sub`` (already filtered to the offending units) of the rule being run.

    The identifying columns come from the catalogue entry ``ctx.rule["ids"]``; ``source_row`` from ``_row``. The
    result keeps ``sub``'s index (so a rule may still replace a column with a Series aligned with ``sub``).
    """
    spec = getattr(ctx, "rule", None) or {}
    if "ids" not in spec:
        raise RuntimeError("findings() 只能在规则引擎运行规则时调用（ctx.rule 未设置）")
    keys = list(keys)
    idx = sub.index
    data: dict = {}
    for c in spec["ids"]:
        if c == "category":
            data[c] = shown(sub, c)
        elif c in sub.columns:
            data[c] = sub[c] if c == "year" else sub[c].astype(object)
    if S.ROW_COL in sub.columns:
        data["source_row"] = sub[S.ROW_COL]
    cols, vals = _evidence(sub, table, keys, values)
    data["columns"] = cols if columns is None else columns
    data["values"] = vals
    data["message"] = message.reindex(idx).astype(object) if isinstance(message, pd.Series) else message
    data.update(extra)
    if idx.has_duplicates:  # column by column: each Series is aligned with ``sub`` as assignment aligns it
        out = pd.DataFrame(index=idx)
        for k, v in data.items():
            out[k] = v
        return out
    return pd.DataFrame({k: _aligned(v, idx) for k, v in data.items()}, index=idx)
