"""Derived person and household facts shared by the rules, the audit and the risk model.

All functions are vectorised and pure: they take canonical tables (see :mod:`hgk_lib.schema`) and return Series or
DataFrames aligned to their input. The definitions follow the conventions of ``rules_catalog.md``:

* normalised ID: trimmed, ``x`` -> ``X`` (the loader already does this);
* ID body: the 18- or 15-character ID, or the first 18 characters of a 20/22-character 残疾人证 number;
* ID18: the body, a 15-digit ID converted (``19`` inserted after digit 6, check character appended); for
  证件类型 其他 the normalised string; NA for rows that fail R01 (never matched);
* birth date: the date encoded in the ID when the ID passes R01-R03, else a valid 出生日期, else unknown;
* age: whole years on a date; school age: age on 31 August of the audit year.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from . import text as T


#: GB 11643: weights of the 17 body digits and the check character of (weighted sum mod 11). The one copy.
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = "10X98765432"
_CHECK = np.array(list(CHECK_CHARS), dtype=object)

#: ID forms (ASCII digits: the loader maps full-width digits; RE2 and Python's re read these patterns alike)
RE_ID18 = r"^[0-9]{17}[0-9X]$"
RE_ID15 = r"^[0-9]{15}$"
RE_DISABILITY = r"^[0-9]{17}[0-9X][1-7][1-4]([0-9A-Z]{2})?$"


def _str(s: pd.Series) -> pd.Series:
    """Object-dtype strings with NA for blanks (robust to pandas' string dtypes)."""
    return T.strip_blank(s)


def _match(s: pd.Series, pattern: str) -> pd.Series:
    """``s.str.fullmatch(pattern)`` as a bool Series (False for NA), without a Python call per value."""
    return pd.Series(T.fullmatch(s, pattern), index=s.index, dtype=bool)


def normalise_id(s: pd.Series) -> pd.Series:
    """Trim and make a lower-case check character ``x`` upper-case."""
    return T.upper(T.strip_blank(s))


def check_chars_of_digits(digits: np.ndarray) -> np.ndarray:
    """GB 11643 check characters of an ``(n, 17)`` array of body digits (object array of ``"0"``…``"X"``)."""
    return _CHECK[(np.asarray(digits, dtype=np.int64).reshape(-1, 17) @ ID_WEIGHTS) % 11]


def check_chars_of_text(first17) -> np.ndarray:
    """GB 11643 check characters of a sequence of 17-digit strings (all valid)."""
    first17 = list(first17)
    if not first17:
        return np.array([], dtype=object)
    return check_chars_of_digits(np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48)


def check_char(first17: pd.Series) -> pd.Series:
    """GB 11643 check character for 17-digit strings (NA where the input is not 17 digits)."""
    s = _str(first17)
    ok = _match(s, r"[0-9]{17}")
    out = pd.Series(pd.NA, index=s.index, dtype=object)
    if ok.any():
        out[ok] = check_chars_of_text(s[ok])
    return out


def id_form_ok(id_no: pd.Series, id_type: pd.Series | None = None) -> pd.Series:
    """R01's pass mask: the normalised ID has a form allowed for its 证件类型 (其他: any non-blank value)."""
    s = normalise_id(id_no)
    t = pd.Series(None, index=s.index, dtype=object) if id_type is None else id_type.astype(object)
    std = _match(s, RE_ID18) | _match(s, RE_ID15)
    dis = std | _match(s, RE_DISABILITY)
    ok = np.where(t == "残疾人证", dis, np.where(t == "其他", s.notna(), std))
    return pd.Series(ok, index=s.index, dtype=bool) & s.notna()


def id_body(id_no: pd.Series) -> pd.Series:
    """The ID body: 18/15 characters as given, or the first 18 of a 20/22-character 残疾人证 number."""
    s = normalise_id(id_no)
    long = s.str.len().isin([20, 22]).fillna(False)
    return s.where(~long, s.str[:18])


def to_id18(body: pd.Series) -> pd.Series:
    """Convert a 15-digit body to 18 digits; 18-character bodies pass through; anything else -> NA."""
    b = _str(body)
    is15 = _match(b, RE_ID15)
    is18 = _match(b, RE_ID18)
    out = b.where(is18, None)
    if is15.any():
        first17 = b[is15].str[:6] + "19" + b[is15].str[6:]
        out[is15] = first17 + check_char(first17)
    return out


def id18(id_no: pd.Series, id_type: pd.Series | None = None) -> pd.Series:
    """ID18 used for every match between tables and lists (NA where R01 fails)."""
    s = normalise_id(id_no)
    ok = id_form_ok(s, id_type)
    out = to_id18(id_body(s))
    if id_type is not None:
        other = (id_type.astype(object) == "其他").fillna(False).astype(bool)
        out = out.where(~other, s)
    return out.where(ok, None)


def id_checksum_ok(body18: pd.Series) -> pd.Series:
    """True where an 18-character body's check character is right (R02); False elsewhere."""
    b = _str(body18)
    is18 = _match(b, RE_ID18)
    cc = check_char(b.str[:17])
    return (is18 & (b.str[17] == cc).fillna(False)).astype(bool)


def id_encoded_date(body: pd.Series) -> pd.Series:
    """Birth date encoded in an 18-char body (chars 7-14) or a 15-digit ID (``19`` + chars 7-12); NaT if invalid."""
    b = _str(body)
    ymd = pd.Series(None, index=b.index, dtype=object)
    is18 = _match(b, RE_ID18)
    is15 = _match(b, RE_ID15)
    ymd[is18] = b[is18].str[6:14]
    ymd[is15] = "19" + b[is15].str[6:12]
    return pd.to_datetime(ymd, format="%Y%m%d", errors="coerce")


def age_on(birth: pd.Series, on: dt.date | pd.Timestamp) -> pd.Series:
    """Whole years completed on ``on`` (``Int64``; NA where birth is unknown)."""
    on = pd.Timestamp(on)
    b = pd.to_datetime(birth, errors="coerce")
    years = on.year - b.dt.year
    before = (b.dt.month > on.month) | ((b.dt.month == on.month) & (b.dt.day > on.day))
    return (years - before.astype("Int64")).astype("Int64")


def school_cutoff(audit_year: int, cutoff: str = "08-31") -> pd.Timestamp:
    return pd.Timestamp(f"{audit_year}-{cutoff}")


def birth_dates(member: pd.DataFrame, reference_date, age_max: int = 110) -> pd.Series:
    """Birth date per member row: ID-encoded when the ID passes R01-R03, else a valid 出生日期, else NaT."""
    ref = pd.Timestamp(reference_date)
    id_type = member["id_type"] if "id_type" in member else None
    ok1 = id_form_ok(member["id_no"], id_type)
    if id_type is not None:
        ok1 &= (id_type.astype(object) != "其他").fillna(True).astype(bool)
    body = id_body(member["id_no"])
    enc = id_encoded_date(body.where(ok1, None))
    enc_ok = enc.notna() & (enc <= ref) & (age_on(enc, ref).fillna(-1) <= age_max)
    own = member["birth_date"] if "birth_date" in member else pd.Series(pd.NaT, index=member.index)
    return enc.where(enc_ok, pd.to_datetime(own, errors="coerce"))


def is_active(member: pd.DataFrame) -> pd.Series:
    """Rule-catalogue active member: 人员状态 = 正常."""
    return (member["member_status"].astype(object) == "正常").fillna(False).astype(bool)


def police_gone(member: pd.DataFrame, police: pd.DataFrame | None, reference_date) -> pd.Series:
    """True where 公安_户籍 shows the person dead or moved out on or before ``reference_date``."""
    if police is None or police.empty or "id_no" not in member:
        return pd.Series(False, index=member.index)
    ref = pd.Timestamp(reference_date)
    p = police.assign(_id18=id18(police["id_no"]))
    date = p["change_date"] if "change_date" in p else pd.Series(pd.NaT, index=p.index)
    gone = p["hukou_status"].isin(["死亡", "迁出"]) & (date.isna() | (date <= ref))
    ids = set(p.loc[gone, "_id18"].dropna())
    mid = id18(member["id_no"], member["id_type"] if "id_type" in member else None)
    return mid.isin(ids).fillna(False).astype(bool)


def is_active_for_audit(member: pd.DataFrame, police: pd.DataFrame | None, reference_date) -> pd.Series:
    """audit_standards.md active member: 人员状态 正常 and not shown dead or moved out by 公安 before the date."""
    return is_active(member) & ~police_gone(member, police, reference_date)


def active_counts(member: pd.DataFrame, households: pd.Series, active: pd.Series | None = None) -> pd.Series:
    """A: the number of active members per household id in ``households`` (0 where none)."""
    act = is_active(member) if active is None else active
    counts = member.loc[act, "hh_id"].value_counts()
    return households.map(counts).fillna(0).astype(int)


def has_value(multi: pd.Series, value: str) -> pd.Series:
    """``健康状况 has X`` for a canonical multi-valued column (False for blank and for values that are not text).

    Each distinct value is split once (a county has a few dozen distinct 健康状况 texts); rows take their
    value's answer by its factorize code."""
    hit = per_distinct(multi, lambda u: isinstance(u, str) and value in u.split(","))
    return pd.Series(hit, index=multi.index, name=multi.name, dtype=bool)


def per_distinct(s: pd.Series, fn, missing=False, dtype=bool) -> np.ndarray:
    """``fn(value)`` for every row of ``s``, called once per distinct value (a column of a few dozen distinct
    texts over a million rows); missing values get ``missing``."""
    codes, uniques = pd.factorize(s.to_numpy(dtype=object))
    return np.array([fn(u) for u in uniques] + [missing], dtype=dtype)[codes]


def numeric(df: pd.DataFrame, key: str) -> pd.Series:
    """A numeric column as float (NaN for blank, or for every row when the column is absent)."""
    if key not in df:
        return pd.Series(np.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[key], errors="coerce").astype(float)


def has_health(df: pd.DataFrame, value: str) -> pd.Series:
    """``健康状况 has X`` per row (False for blank, or for every row when the column is absent)."""
    if "health" not in df:
        return pd.Series(False, index=df.index, dtype=bool)
    return has_value(df["health"], value)


def in_school(member: pd.DataFrame) -> pd.Series:
    """在校生状况 non-blank and not 非在校生."""
    s = member["school_status"].astype(object)
    return (s.notna() & (s != "非在校生")).astype(bool)


# ---------------------------------------------------------------------------------------------------------------
# yes/no: the one copy (flags in canonical tables are booleans; 是/否 is how a person reads them)
# ---------------------------------------------------------------------------------------------------------------
_TRUE_TEXT = {"是", "1", "True", "true", "TRUE"}
_FALSE_TEXT = {"否", "0", "False", "false", "FALSE"}


def flag_yes(df: pd.DataFrame, key: str) -> pd.Series:
    """Flag column ``key`` = 是 (False for blank, unrecognised or an absent column)."""
    if key not in df:
        return pd.Series(False, index=df.index, dtype=bool)
    s = df[key]
    if pd.api.types.is_bool_dtype(s.dtype):  # bool or nullable boolean: True is 是, NA is not
        return pd.Series(s.to_numpy(dtype=bool, na_value=False), index=s.index, name=s.name)
    return (s.astype(object) == True).fillna(False).astype(bool)  # noqa: E712


def flag_no(df: pd.DataFrame, key: str) -> pd.Series:
    """Flag column ``key`` = 否 (False for blank, unrecognised or an absent column)."""
    if key not in df:
        return pd.Series(False, index=df.index, dtype=bool)
    s = df[key]
    if pd.api.types.is_bool_dtype(s.dtype):  # bool or nullable boolean: False is 否, NA is not
        return pd.Series(~s.to_numpy(dtype=bool, na_value=True), index=s.index, name=s.name)
    return (s.astype(object) == False).fillna(False).astype(bool)  # noqa: E712


def yes_no_text(v):
    """A yes/no-like value as 是/否 (booleans, 1/0, 是/否 text); other text as it is; blank -> None."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (bool, np.bool_)):
        return "是" if v else "否"
    t = str(v).strip()
    if isinstance(v, (int, float, np.integer, np.floating)):
        t = str(int(v)) if float(v).is_integer() else t
    return "是" if t in _TRUE_TEXT else "否" if t in _FALSE_TEXT else (t or None)


def join_by(values: pd.Series, by, sep: str, *, sort: bool = True) -> pd.Series:
    """Per group of ``by``, the group's strings joined with ``sep`` in their order of appearance.

    The same result as ``values.groupby(by, sort=sort).agg(sep.join)`` (rows with a missing key dropped), built
    without a Python call per group: each value but a group's first gets ``sep`` in front, then the group sum
    (cython) concatenates. ``by``: a Series aligned with ``values`` or a list of them."""
    keys = by if isinstance(by, list) else [by]
    first = ~pd.concat([pd.Series(np.asarray(k), index=values.index) for k in keys], axis=1).duplicated().to_numpy()
    v = values.astype(str).to_numpy(dtype=object)
    t = pd.Series(np.where(first, v, sep + v).astype(object), index=values.index, name=values.name)
    if len(t) == 0:
        return values.groupby(by, sort=sort).agg(sep.join)
    return t.groupby(by, sort=sort).sum()
