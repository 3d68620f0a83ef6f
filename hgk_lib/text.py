"""Vectorised text helpers over pyarrow compute: whole-string regex matches, Python's ``strip`` and ASCII
upper-casing without a Python call per value (IDs of a large county are millions of values).

Each helper gives what the per-value Python expression gives, for the inputs it accepts:

* :func:`fullmatch` — ``re.fullmatch(pattern, v) is not None`` (RE2 through pyarrow; write patterns with explicit
  ASCII classes such as ``[0-9]``: RE2's ``\\d`` is ASCII only, Python's is any Unicode digit);
* :func:`strip_blank` — ``v.strip()``, ``""`` and missing values as missing (Python's own white-space set);
* :func:`upper` — ``v.upper()`` (ASCII values through pyarrow, any others through Python).

The results are the Series that ``Series.map`` of those expressions gives, dtype included (pandas infers ``str``
when every value present is text): ``tests/test_text.py`` compares them. Values that are not all ``str`` (or
missing) take the ``map`` path itself, so callers need not check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: every character Python's ``str.strip()`` removes (``str.isspace``; spelled out: computing it scans all of
#: Unicode, 80 ms in every notebook kernel; tests/test_text.py checks the list against this Python)
PY_WHITESPACE = (
    "\u0009\u000a\u000b\u000c\u000d\u001c\u001d\u001e\u001f\u0020\u0085\u00a0\u1680\u2000\u2001\u2002\u2003"
    "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def is_arrow_text(dtype) -> bool:
    """``dtype`` is pandas' pyarrow-backed ``str`` dtype (the values are Arrow data already)."""
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def arrow_text(s: pd.Series):
    """The Arrow data of a Series of the pyarrow-backed ``str`` dtype as one array (missing values null, no copy of
    the texts); None for a Series of another dtype."""
    import pyarrow as pa

    if not is_arrow_text(s.dtype):
        return None
    arr = pa.array(s.array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def text_array(values, large: bool = False):
    """``values`` (a list or object array of texts and None) as a pyarrow string array, None for missing; None
    when some value is not text or not valid UTF-8 (a lone surrogate)."""
    import pyarrow as pa

    try:
        return pa.array(values, type=pa.large_string() if large else pa.string())
    except (pa.ArrowException, TypeError, UnicodeEncodeError):
        return None


def _arrow_strings(s: pd.Series):
    """The values as a pyarrow string array when every value is a ``str`` or missing, else None."""
    if is_arrow_text(s.dtype):
        return arrow_text(s)  # the Series' own Arrow data
    if isinstance(s.dtype, pd.StringDtype) or pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        return text_array(s.astype(object).where(s.notna(), None).to_numpy(dtype=object))  # None: the Python path
    return None


def _as_str_series(values: np.ndarray, index) -> pd.Series:
    """What ``Series.map`` gives when the mapped values hold text (and maybe gaps): dtype ``str``, gaps NaN."""
    return pd.Series(values, index=index, dtype="str")


def _objects(arr) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False).astype(object, copy=False)


def fullmatch(s: pd.Series, pattern: str) -> np.ndarray:
    """Boolean mask: which values match ``pattern`` whole (missing and non-text values: False)."""
    import pyarrow.compute as pc

    if not len(s):
        return np.zeros(0, dtype=bool)
    arr = _arrow_strings(s)
    if arr is None:
        return s.astype(object).str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    hit = pc.match_substring_regex(arr, f"^(?:{pattern})$")
    return pc.fill_null(hit, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def strip_blank(s: pd.Series) -> pd.Series:
    """Text stripped, missing for missing and empty text; other values unchanged."""
    import pyarrow.compute as pc

    arr = _arrow_strings(s) if len(s) else None
    if arr is None or arr.null_count == len(arr):  # no text at all: the per-value code is as quick
        out = s.astype(object).where(s.notna(), None)
        return out.map(lambda v: v.strip() if isinstance(v, str) else v).where(lambda x: x != "", None)
    t = pc.utf8_trim(arr, characters=PY_WHITESPACE)
    t = pc.if_else(pc.equal(t, ""), None, t)
    return _as_str_series(_objects(t), s.index)


def upper(s: pd.Series) -> pd.Series:
    """Text upper-cased as ``str.upper`` does; other values unchanged."""
    import pyarrow.compute as pc

    arr = _arrow_strings(s) if len(s) else None
    if arr is None or arr.null_count == len(arr):
        return s.map(lambda v: v.upper() if isinstance(v, str) else v)
    out = _objects(pc.ascii_upper(arr))
    other = ~pc.fill_null(pc.string_is_ascii(arr), True).to_numpy(zero_copy_only=False).astype(bool)
    if other.any():  # non-ASCII text: Python's own case mapping
        out[other] = [v.upper() for v in out[other]]
    return _as_str_series(out, s.index)


def sorted_codes(s: pd.Series) -> np.ndarray:
    """``pd.factorize(s.astype(str).to_numpy(), sort=True)[0]``: each value's position among the sorted distinct
    texts (missing: -1), by pyarrow's dense rank (UTF-8 byte order is code-point order, Python's string order)
    instead of a sort of Python strings."""
    import pyarrow.compute as pc

    key = s.astype(str)
    arr = _arrow_strings(key) if len(key) else None
    if arr is None:
        return pd.factorize(key.to_numpy(), sort=True)[0]
    rank = pc.rank(arr, sort_keys="ascending", tiebreaker="dense")
    codes = rank.to_numpy(zero_copy_only=False).astype(np.int64) - 1
    if arr.null_count:
        codes[pc.is_null(arr).to_numpy(zero_copy_only=False)] = -1
    return codes


def _arrow_value_set(values):
    """``values`` as a pyarrow string array (missing values as nulls) when every value is text or missing, else
    None. A Series or Index of the ``str`` dtype hands over its own Arrow data."""
    import pyarrow as pa

    if is_arrow_text(getattr(values, "dtype", None)):
        return pa.array(values.array)
    objs = np.asarray(values, dtype=object)
    if objs.ndim != 1 or pd.api.types.infer_dtype(objs, skipna=True) not in ("string", "empty"):
        return None
    try:
        return pa.array(objs, type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError):  # pragma: no cover - surrogates and the like: pandas' own path
        return None


def isin(s: pd.Series, values) -> np.ndarray:
    """``s.isin(values).to_numpy()``: which values of ``s`` are among ``values`` (a list, set, array, Series or
    Index). pandas checks a ``str`` Series against a list by making a pyarrow scalar of every value in Python
    (seconds for the hundred thousand IDs of a large county's department list): here the value list goes to
    pyarrow in one piece. An ``object`` Series against texts (no gaps) is matched as Python objects, one hash
    look-up each (pandas would first build a ``str`` array of the list and turn it back into objects). Anything
    else takes pandas' own ``isin``."""
    import pyarrow.compute as pc
    from pandas.core.algorithms import isin as hash_isin

    if isinstance(values, (set, frozenset, dict)) or not hasattr(values, "__len__"):  # sets, generators
        values = list(values)
    if s.dtype == object and not is_arrow_text(getattr(values, "dtype", None)):  # a list of texts, as objects
        vals = np.asarray(values, dtype=object)
        if vals.ndim == 1 and pd.api.types.infer_dtype(vals, skipna=False) in ("string", "empty"):
            return hash_isin(s.to_numpy(dtype=object), vals)
    arr = arrow_text(s)
    if arr is not None:
        value_set = _arrow_value_set(values)
        if value_set is not None:
            if not len(value_set):
                return np.zeros(len(s), dtype=bool)
            hit = pc.is_in(arr, value_set=value_set.cast(arr.type))
            return pc.fill_null(hit, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)
    return s.isin(values).to_numpy(dtype=bool)


def isin_series(s: pd.Series, values) -> pd.Series:
    """:func:`isin` as a boolean Series on ``s``'s index (``s.isin(values)``)."""
    return pd.Series(isin(s, values), index=s.index, dtype=bool)
