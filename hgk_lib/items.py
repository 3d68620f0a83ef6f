"""Campaign item ids (事项编号 / 问题编号): one stable id per problem, shared by the ledger, the visit plan and the
campaign record (campaign.md §2).

An item id stays the same across exports while the same problem persists, so it is built only from what names the
problem, never from where it sits in a file (no source row, no run time):

    <prefix>-<16 hex digits>

* prefix: the rule id for rule findings (``R37``), else a short code of the source (:data:`SOURCE_PREFIX`);
* the hash covers: source, code (rule id or problem type), county, household, person, project, year, part and the
  field(s) checked.

Two rows with the same key (rare: e.g. two identical income rows of one household) get ``-2``, ``-3`` … in the order
given, so callers pass frames in a stable order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .text import is_arrow_text

#: Sources of campaign items (campaign.md §1 and §2; 数据真实性 from integrity.md).
SOURCES = ["规则", "收入", "三保障", "动态管理", "分类施策", "市抽查", "数据真实性"]
SOURCE_PREFIX = {"收入": "SR", "三保障": "BZ", "动态管理": "DT", "分类施策": "FL", "市抽查": "CC", "数据真实性": "ZS"}
#: Columns that name a problem; a missing column counts as blank.
KEY_FIELDS = ["county", "hh_id", "person_id", "project_id", "year", "part", "field"]


def key_text(s: pd.Series) -> pd.Series:
    """Keys as text: numbers without a trailing ``.0``, blanks as ``""``; text stays exactly as given (stripped).

    Only real numbers are reformatted: a text key is never parsed as a number, so ``"0012"`` stays ``"0012"`` and
    an 18-digit person id stays exact even when other rows are blank (a float would round it)."""
    if is_arrow_text(s.dtype):  # text already: no Python values made
        return s.fillna("").astype(str).str.strip()
    o = s.astype(object)
    blank = o.isna()
    if pd.api.types.infer_dtype(o, skipna=True) in ("string", "empty"):  # text only: no number to reformat
        return o.where(~blank, "").astype(str).str.strip()
    is_num = ~blank & o.map(lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool))
    out = o.where(~blank, "")
    if is_num.any():
        out = out.where(~is_num, o[is_num].map(lambda v: str(int(v)) if float(v).is_integer() else str(v)))
    return out.astype(str).str.strip()


def item_ids(frame: pd.DataFrame, source: str, code: pd.Series | str) -> pd.Series:
    """Stable item ids for the rows of ``frame``.

    ``source`` is one of :data:`SOURCES`; ``code`` is the rule id (规则) or the problem type / verdict / candidate kind
    (a Series aligned with ``frame``, or one value for all rows). ``frame`` may carry any of :data:`KEY_FIELDS`.
    """
    if source not in SOURCES:
        raise ValueError(f"未知的事项来源：{source}")
    idx = frame.index
    code_s = code if isinstance(code, pd.Series) else pd.Series(code, index=idx)
    parts = {"source": pd.Series(source, index=idx), "code": key_text(code_s)}
    for k in KEY_FIELDS:
        parts[k] = key_text(frame[k]) if k in frame else pd.Series("", index=idx)
    keyframe = pd.DataFrame(parts, index=idx)
    h = pd.util.hash_pandas_object(keyframe, index=False).to_numpy(dtype=np.uint64)
    prefix = parts["code"] if source == "规则" else pd.Series(SOURCE_PREFIX[source], index=idx)
    ids = prefix + "-" + pd.Series(np.char.mod("%016x", h), index=idx)
    n = ids.groupby(ids).cumcount()
    return ids.where(n == 0, ids + "-" + (n + 1).astype(str))
