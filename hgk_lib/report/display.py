"""How numbers and flags read in what an auditor sees (HTML reports, notebook tables).

One place decides the display of every cell, by the column's name and the value's type:

* counts (whole numbers, also when pandas stored them as floats beside a blank): ``15,000``; in a column named as a
  count (…户数/人数/项数/次数/条数/行数/个数, 数量) every whole number has the separator (``4,500`` beside
  ``12,935``), elsewhere only from 10,000 up (a year stays ``2019``);
* shares (a column named …比例/占比/率/覆盖率, values in [0, 1]): a percentage with one decimal, ``12.3%``;
* money (a column named …收入/金额/差额/元): two decimals with thousands separators, ``8,400.00``;
* p-values (…p值): ``0.0012`` or ``<0.0001``;
* other fractions: at most three decimals, trailing zeros dropped;
* yes/no (``True``/``False``): 是/否; blanks (``None``/``NaN``/``NaT``): ``—``.

No English word, no ``nan`` and no six-decimal float reaches a report.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Callable

import numpy as np
import pandas as pd

BLANK = "—"
_SHARE_RE = re.compile(r"(比例|占比|比重|率|share|rate)")
_MONEY_RE = re.compile(r"(收入|金额|差额|（元）|\(元\)|元）|补助|资金)")
_PVALUE_RE = re.compile(r"(p值|p-value|p_value)", re.IGNORECASE)
_COUNT_RE = re.compile(r"(户数|人数|项数|次数|条数|行数|个数|数量)$")


def column_kind(name: object) -> str:
    """``share``, ``count``, ``money``, ``pvalue`` or ``plain`` from a column's (Chinese or English) name (a count of
    households or items is not money because its name mentions 收入: 需核实收入户数)."""
    text = str(name)
    if _PVALUE_RE.search(text):
        return "pvalue"
    if _SHARE_RE.search(text):
        return "share"
    if _COUNT_RE.search(text):
        return "count"
    if _MONEY_RE.search(text):
        return "money"
    return "plain"


def _is_blank(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, np.floating) and np.isnan(v)


def format_value(v, kind: str = "plain") -> str:
    """One cell as an auditor reads it (see the module docstring)."""
    if _is_blank(v):
        return BLANK
    if isinstance(v, (bool, np.bool_)):
        return "是" if v else "否"
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (int, np.integer)):
        if kind == "money":
            return f"{int(v):,.2f}"
        return f"{int(v):,}" if kind != "plain" or abs(int(v)) >= 10000 else str(int(v))
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if math.isinf(x):
            return "∞" if x > 0 else "-∞"
        if kind == "share" and -1e-9 <= x <= 1 + 1e-9:
            return f"{x:.1%}"
        if kind == "money":
            return f"{x:,.2f}"
        if kind == "pvalue":
            return "<0.0001" if x < 1e-4 else f"{x:.4f}".rstrip("0").rstrip(".")
        if x == round(x) and abs(x) < 1e15:
            return f"{int(round(x)):,}" if kind == "count" or abs(x) >= 10000 else str(int(round(x)))
        return f"{x:,.3f}".rstrip("0").rstrip(".")
    if isinstance(v, str):
        return {"True": "是", "False": "否", "nan": BLANK, "NaN": BLANK, "None": BLANK, "<NA>": BLANK}.get(v, v)
    return str(v)


def cell_formatter(name: object) -> Callable[[object], str]:
    """The formatter of one column, for :meth:`pandas.io.formats.style.Styler.format`."""
    kind = column_kind(name)
    return lambda v: format_value(v, kind)


def formatted_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every cell as display text (for tables shown outside a Styler)."""
    return pd.DataFrame({c: df[c].astype(object).map(cell_formatter(c)) for c in df.columns}, index=df.index)


def style_for_report(df: pd.DataFrame):
    """A Styler of ``df`` with every column formatted for an auditor and no row index."""
    frame = df.copy()
    frame.columns.name = None
    sty = frame.style.hide(axis="index")
    return sty.format({c: cell_formatter(c) for c in frame.columns})
