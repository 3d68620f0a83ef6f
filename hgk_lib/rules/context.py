"""What a rule sees: one county's canonical tables, its parameters, and cached derived columns."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .. import derive as D
from .. import schema as S
from .engine import NotRun

AMOUNT_ITEMS_PLUS = ["wage", "business_income", "property_income", "transfer_income"]


def _label(table: str) -> str:
    return S.TABLES[table].file if table in S.TABLES else table


def _header(table: str, key: str) -> str:
    t = S.TABLES.get(table)
    return t.column(key).header if t is not None and key in t.columns_by_key else key


def _check_chars(first17: pd.Series) -> np.ndarray:
    """GB 11643 check characters for a Series of 17-digit strings (all valid): :func:`hgk_lib.derive.check_chars_of_text`."""
    return D.check_chars_of_text(first17.tolist())


def _obj(a: pd.Series) -> pd.Series:
    return pd.Series(a.to_numpy(dtype=object, na_value=None), index=a.index, dtype=object)


def norm_id(s: pd.Series) -> pd.Series:
    """Vectorised :func:`hgk_lib.derive.normalise_id`: trimmed, upper-case, blank -> None (object dtype)."""
    a = s.astype(object).astype("string[pyarrow]").str.strip().str.upper()
    return _obj(a.mask(a == ""))


def fast_ids(
    id_no: pd.Series, id_type: pd.Series | None, birth_date: pd.Series | None, reference_date, age_max: int
) -> pd.DataFrame:
    """Vectorised (Arrow) equivalent of derive's ID helpers for a whole member table.

    Columns: ``id_ok`` (R01 pass), ``id_std`` (R01 pass, 证件类型 ≠ 其他), ``body``, ``id18``, ``birth`` (the
    ID-encoded date when the ID passes R01–R03, else a valid 出生日期). Same results as :mod:`hgk_lib.derive`
    (``tests/test_rules_engine.py`` checks it), ~20x faster on large tables.
    """
    idx = id_no.index
    s = id_no.astype(object).astype("string[pyarrow]").str.strip().str.upper()
    s = s.mask(s == "")
    present = s.notna().to_numpy(dtype=bool)
    is18 = s.str.fullmatch(D.RE_ID18).fillna(False).to_numpy(dtype=bool)
    is15 = s.str.fullmatch(D.RE_ID15).fillna(False).to_numpy(dtype=bool)
    std = is18 | is15
    if id_type is not None:
        t = id_type.astype(object)
        dis_t = (t == "残疾人证").fillna(False).to_numpy(dtype=bool)
        other = (t == "其他").fillna(False).to_numpy(dtype=bool)
    else:
        dis_t = other = np.zeros(len(s), dtype=bool)
    isdis = np.zeros(len(s), dtype=bool)
    if dis_t.any():  # the 残疾人证 form only counts for that 证件类型
        isdis = s.str.fullmatch(D.RE_DISABILITY).fillna(False).to_numpy(dtype=bool)
    ok = np.where(dis_t, std | isdis, np.where(other, present, std)) & present
    length = s.str.len().fillna(0).to_numpy(dtype=np.int64)
    long = (length == 20) | (length == 22)
    body = s.where(~long, s.str.slice(0, 18))
    # the body is the number itself but for 20/22-character ones, whose 18-character body is never 15 digits
    b18 = is18.copy()
    if long.any():
        b18[long] = body[long].str.fullmatch(D.RE_ID18).fillna(False).to_numpy(dtype=bool)
    b15 = is15
    id18 = _obj(body).where(b18, None)
    if b15.any():
        f17 = body[b15].str.slice(0, 6) + "19" + body[b15].str.slice(6, 15)
        id18[b15] = (f17.astype(object) + pd.Series(_check_chars(f17.astype(object)), index=f17.index)).to_numpy()
    id18 = id18.where(~other, _obj(s))
    id18 = id18.where(ok, None)
    # encoded birth date (rows passing R01, not 其他)
    ok1 = ok & ~other
    ymd = pd.Series(None, index=idx, dtype="string[pyarrow]")
    m18 = ok1 & b18
    m15 = ok1 & b15
    ymd[m18] = body[m18].str.slice(6, 14)
    ymd[m15] = "19" + body[m15].str.slice(6, 12)
    enc = pd.to_datetime(ymd, format="%Y%m%d", errors="coerce")
    enc = pd.Series(enc.to_numpy(dtype="datetime64[ns]"), index=idx)
    ref = pd.Timestamp(reference_date)
    enc_ok = enc.notna() & (enc <= ref) & (D.age_on(enc, ref).fillna(-1) <= age_max)
    own = (
        pd.to_datetime(birth_date, errors="coerce")
        if birth_date is not None
        else pd.Series(pd.NaT, index=idx, dtype="datetime64[ns]")
    )
    birth = enc.where(enc_ok.to_numpy(dtype=bool), own)
    # R02: check character of 18-character bodies (rows passing R01, not 其他)
    check = pd.Series(None, index=idx, dtype=object)
    if m18.any():
        f17 = body[m18].str.slice(0, 17).astype(object)
        check[m18] = _check_chars(f17)
    last = _obj(body.str.slice(17, 18))
    # R04: the sex digit (character 17 of an 18-character body, 15 of a 15-digit ID)
    sexd = pd.Series(np.nan, index=idx)
    if m18.any():
        sexd[m18] = body[m18].str.slice(16, 17).astype(float).to_numpy()
    if m15.any():
        sexd[m15] = body[m15].str.slice(14, 15).astype(float).to_numpy()
    return pd.DataFrame(
        {
            "id_ok": ok,
            "id_std": ok & ~other,
            "body": _obj(body),
            "id18": id18,
            "birth": birth,
            "id_is15": m15,
            "id_ymd": _obj(ymd),
            "id_date": enc,
            "id_date_ok": enc_ok.to_numpy(bool) & ok1,
            "id_check": check,
            "id_last": last,
            "id_sex_digit": sexd,
        },
        index=idx,
    )


def fast_id18(id_no: pd.Series) -> pd.Series:
    """``fast_ids(id_no, None, None, ...)["id18"]`` (ID18 of a number list without 证件类型: an 18-character or
    15-digit normalised number, NA otherwise) without the columns only member tables need."""
    s = id_no.astype(object).astype("string[pyarrow]").str.strip().str.upper()
    s = s.mask(s == "")
    is18 = s.str.fullmatch(D.RE_ID18).fillna(False).to_numpy(dtype=bool)
    is15 = s.str.fullmatch(D.RE_ID15).fillna(False).to_numpy(dtype=bool)
    id18 = _obj(s).where(is18, None).rename("id18")
    if is15.any():
        f17 = s[is15].str.slice(0, 6) + "19" + s[is15].str.slice(6, 15)
        id18[is15] = (f17.astype(object) + pd.Series(_check_chars(f17.astype(object)), index=f17.index)).to_numpy()
    return id18


_IDS_CACHE: dict[int, tuple] = {}


def member_ids(member: pd.DataFrame, reference_date, age_max: int) -> pd.DataFrame:
    """:func:`fast_ids` of a member table, cached per table object (R09 reads the other counties' tables, whose own
    context needs the same columns later in the run)."""
    key = id(member)
    ref = pd.Timestamp(reference_date)
    hit = _IDS_CACHE.get(key)
    if hit is not None and hit[0]() is member and hit[1] == (ref, age_max):
        return hit[2]
    ids = fast_ids(
        member["id_no"],
        member["id_type"] if "id_type" in member else None,
        member["birth_date"] if "birth_date" in member else None,
        ref,
        age_max,
    )
    for k in [k for k, v in _IDS_CACHE.items() if v[0]() is None]:
        del _IDS_CACHE[k]
    if len(_IDS_CACHE) > 32:
        _IDS_CACHE.clear()
    _IDS_CACHE[key] = (weakref.ref(member), (ref, age_max), ids)
    return ids


@dataclass
class RuleContext:
    """One county's tables for the rules.

    ``tables``: canonical tables by name (absent optional tables are simply missing).
    ``params``: year parameters flattened for the rules: at least ``reference_date`` (Timestamp) and ``audit_year``;
    :func:`hgk_lib.rules.make_context` also puts ``school_cutoff``, ``age_max`` and ``rule_params`` here.
    ``county``: the county folder name, e.g. ``441881_英德市``.
    ``others``: for R09, the other counties of the run: ``{county_folder: member_table}``.
    ``quarantined_hh``: household ids with rows in quarantine (findings on them say so).
    ``rule``: the catalogue entry of the rule being run (its ``ids`` and ``unit``), set by the engine for the
    findings builder.
    """

    tables: dict[str, pd.DataFrame]
    params: dict
    county: str = ""
    others: dict[str, pd.DataFrame] = field(default_factory=dict)
    quarantined_hh: set = field(default_factory=set)
    rule: dict = field(default_factory=dict)  # catalogue entry of the rule being run (set by the engine)

    # -- access -------------------------------------------------------------------------------------------------
    def has(self, table: str, *columns: str) -> bool:
        t = self.tables.get(table)
        return t is not None and all(c in t.columns for c in columns)

    def table(self, name: str, *columns: str) -> pd.DataFrame:
        """The table, or :class:`NotRun` naming the missing table/columns (Chinese)."""
        t = self.tables.get(name)
        if t is None:
            raise NotRun(f"缺少数据表：{_label(name)}")
        missing = [c for c in columns if c not in t.columns]
        if missing:
            raise NotRun(f"{_label(name)} 缺少列：{'、'.join(_header(name, c) for c in missing)}")
        return t

    def col(self, table: str, key: str, frame: pd.DataFrame | None = None) -> pd.Series:
        """Column ``key`` of ``frame`` (default: the table), or an all-NA object Series when the column is absent."""
        f = self.tables[table] if frame is None else frame
        if key in f.columns:
            return f[key]
        return pd.Series(None, index=f.index, dtype=object)

    @property
    def reference_date(self) -> pd.Timestamp:
        return pd.Timestamp(self.params["reference_date"])

    @property
    def audit_year(self) -> int:
        return int(self.params["audit_year"])

    # -- derived, cached ----------------------------------------------------------------------------------------
    @cached_property
    def members(self) -> pd.DataFrame:
        """Member table + ``id_ok`` (passes R01), ``id18``, ``birth``, ``age``, ``school_age``, ``active``.

        Also: ``id_std`` (passes R01 with 证件类型 ≠ 其他), ``body`` (the ID body), ID facts for R02–R06 on rows
        passing R01 (not 其他): ``id_is15``, ``id_ymd`` (encoded date text), ``id_date`` (encoded date or NaT),
        ``id_date_ok`` (passes R03), ``id_check`` (the right check character of an 18-character body), ``id_last``
        (its recorded 18th character), ``id_sex_digit``; ``in_school`` (在校生状况
        non-blank and ≠ 非在校生; False when the column is absent), ``hh_known`` (户编号 is in 贫困户信息; rows
        failing this are R11's and stay out of household aggregates), ``id_code`` (the position of ``id18`` among
        the distinct member ID18s, ``id_vocab``; -1 where ``id18`` is missing).
        """
        m = self.table("member", "hh_id", "id_no", "member_status")
        ids = member_ids(m, self.reference_date, int(self.params["age_max"]))
        birth = ids["birth"]
        cutoff = D.school_cutoff(self.audit_year, str(self.params["school_cutoff"]))
        h = self.tables.get("household")
        known = (
            m["hh_id"].isin(h["hh_id"].dropna()) if h is not None and "hh_id" in h else pd.Series(False, index=m.index)
        )
        return m.assign(
            id_ok=ids["id_ok"],
            id18=ids["id18"],
            birth=birth,
            age=D.age_on(birth, self.reference_date),
            school_age=D.age_on(birth, cutoff),
            active=D.is_active(m),
            id_std=ids["id_std"],
            body=ids["body"],
            in_school=D.in_school(m) if "school_status" in m else False,
            id_is15=ids["id_is15"],
            id_ymd=ids["id_ymd"],
            id_date=ids["id_date"],
            id_date_ok=ids["id_date_ok"],
            id_check=ids["id_check"],
            id_last=ids["id_last"],
            id_sex_digit=ids["id_sex_digit"],
            hh_known=known.fillna(False).astype(bool),
            id_code=pd.factorize(ids["id18"].to_numpy(dtype=object))[0],
        )

    @cached_property
    def id_vocab(self) -> pd.Index:
        """The distinct member ID18s, in the order of ``members["id_code"]`` (a row's position among them)."""
        return pd.Index(pd.factorize(self.members["id18"].to_numpy(dtype=object))[1], dtype=object)

    def table_id_codes(self, name: str, key: str = "id_no") -> np.ndarray:
        """Position of each row's ID18 (:meth:`table_id18`) among the member ID18s (``id_vocab``), -1 where no
        member has it or the row has none; cached."""
        cache = self.__dict__.setdefault("_id_code_cache", {})
        if (name, key) not in cache:
            cache[(name, key)] = self.id_vocab.get_indexer(self.table_id18(name, key).to_numpy(dtype=object))
        return cache[(name, key)]

    @cached_property
    def households(self) -> pd.DataFrame:
        """Household table + ``A`` (active members, rows of unknown households excluded by construction)."""
        h = self.table("household", "hh_id")
        m = self.members
        return h.assign(A=D.active_counts(m, h["hh_id"], m["active"]))

    @cached_property
    def active_members(self) -> pd.DataFrame:
        m = self.members
        return m[m["active"]]

    @cached_property
    def hh_members(self) -> pd.DataFrame:
        """Active members whose household exists: the rows every household aggregate uses."""
        m = self.members
        return m[m["active"] & m["hh_known"]]

    @cached_property
    def dup_hh(self) -> set:
        """户编号 occurring on more than one 贫困户信息 row (R10): not evaluated by the other household rules."""
        h = self.table("household", "hh_id")
        ids = h["hh_id"].dropna()
        return set(ids[ids.duplicated()])

    @cached_property
    def hh_scope(self) -> tuple[pd.DataFrame, int]:
        """(household rows whose 户编号 is blank or occurs once, the number of rows left out): the scope of the
        household rules of categories 5-9 (R10 duplicates are not evaluated)."""
        h = self.households
        dup = h["hh_id"].duplicated(keep=False) & h["hh_id"].notna()
        return h[~dup], int(dup.sum())

    @cached_property
    def hh_unique(self) -> pd.DataFrame:
        """Household rows (with ``A``) whose 户编号 is non-blank and unique: the household rules' scope."""
        h = self.households
        dup = h["hh_id"].isin(self.dup_hh) | h["hh_id"].isna()
        return h[~dup.to_numpy(dtype=bool)]

    def health_has(self, value: str, frame: pd.DataFrame | None = None) -> pd.Series:
        """``健康状况 has value`` for ``frame`` (default: ``members``); False for blank or absent column."""
        cache = self.__dict__.setdefault("_health_cache", {})
        if value not in cache:
            m = self.members
            h = m["health"] if "health" in m else pd.Series(None, index=m.index, dtype=object)
            hit = D.per_distinct(h, lambda u: value in str(u).split(","))  # each distinct text split once
            cache[value] = pd.Series(hit, index=h.index, name=h.name)
        s = cache[value]
        return s if frame is None else s.reindex(frame.index)

    def health_only(self, value: str = "健康", frame: pd.DataFrame | None = None) -> pd.Series:
        """``健康状况`` is exactly the single value ``value`` (健康 only)."""
        m = self.members if frame is None else frame
        h = m["health"] if "health" in m else pd.Series(None, index=m.index, dtype=object)
        return (h.astype(object) == value).fillna(False).astype(bool)

    def hh_any(self, member_mask: pd.Series, hh_ids: pd.Series) -> pd.Series:
        """For each 户编号 of ``hh_ids``: does any of ``hh_members`` (active, household known) satisfy the mask?"""
        m = self.hh_members
        msk = member_mask.reindex(m.index).fillna(False).astype(bool)
        hit = set(m.loc[msk.to_numpy(), "hh_id"])
        return hh_ids.isin(hit).fillna(False).astype(bool)

    def table_id18(self, name: str, key: str = "id_no") -> pd.Series:
        """ID18 of column ``key`` of table ``name`` (e.g. a department list), cached; NA where the number has no
        R01 form (never matched). Same result as ``derive.id18(t[key])``, vectorised."""
        cache = self.__dict__.setdefault("_id18_cache", {})
        if (name, key) not in cache:
            t = self.table(name, key)
            cache[(name, key)] = fast_id18(t[key])
        return cache[(name, key)]

    # -- income (R32 scope and D*, N, P*) -----------------------------------------------------------------------
    @cached_property
    def income_r32_abd(self) -> pd.DataFrame:
        """Income rows with flags ``r32a`` (unknown household), ``r32b`` (duplicated 户编号+年度), ``r32d`` (年度
        outside [income_first_year, audit_year] or blank)."""
        inc = self.table("income", "hh_id", "year")
        first = int(self.params["rule_params"]["R32"]["income_first_year"])
        h = self.tables.get("household")
        known = (
            inc["hh_id"].isin(h["hh_id"].dropna())
            if h is not None and "hh_id" in h
            else pd.Series(False, index=inc.index)
        )
        a = ~known.fillna(False).astype(bool) | inc["hh_id"].isna()
        keyed = inc["hh_id"].notna() & inc["year"].notna()
        b = inc.duplicated(["hh_id", "year"], keep=False) & keyed
        y = inc["year"]
        d = ((y < first) | (y > self.audit_year)).fillna(True).astype(bool)
        return inc.assign(r32a=a.astype(bool), r32b=b.astype(bool), r32d=d)

    @cached_property
    def incomes(self) -> pd.DataFrame:
        """Income rows used by R33-R46: rows hit by R32(a), (b), (d) left out. Adds ``D`` (D*), ``N`` (divisor,
        NaN where undefined), ``P`` (P* = D/N) and ``audit`` (the row is of ``audit_year``)."""
        f = self.income_r32_abd
        inc = f[~(f["r32a"] | f["r32b"] | f["r32d"]).to_numpy()].drop(columns=["r32a", "r32b", "r32d"])
        zero = pd.Series(0.0, index=inc.index)
        plus = sum((inc[c].fillna(0.0) if c in inc else zero) for c in AMOUNT_ITEMS_PLUS)
        cost = inc["business_cost"].fillna(0.0).abs() if "business_cost" in inc else zero
        out = inc["transfer_out"].fillna(0.0) if "transfer_out" in inc else zero
        d_star = (plus - cost - out).astype(float)
        audit = (inc["year"] == self.audit_year).fillna(False).astype(bool)
        if "n_members" in inc:
            n = inc["n_members"].astype("Float64").astype(float)
            n = n.where(n > 0)
        else:
            n = pd.Series(np.nan, index=inc.index)
        if self.has("member", "hh_id", "member_status") and self.has("household", "hh_id"):
            counts = self.hh_members["hh_id"].value_counts()
            a = inc["hh_id"].map(counts).fillna(0).astype(float)
            n = n.where(n.notna() | ~audit, a.where(a > 0))
        return inc.assign(D=d_star, N=n, P=d_star / n, audit=audit)
