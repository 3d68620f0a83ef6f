"""Shared pieces of the audit: parameters, exact money, the household and member frames every view starts from.

Everything here is vectorised and pure. Money is kept in integer fen (1/100 yuan): amounts are converted once,
half-up, with a decimal-safe guard against binary float noise, and every comparison with a line happens on integers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import derive as D
from .. import schema as S
from .. import text as T

FULL_LABOUR = ["普通劳动力", "技能劳动力"]
WEAK_LABOUR = ["弱劳动力或半劳动力"]

CLASS_FULL = "有劳动能力"
CLASS_WEAK = "弱劳力半劳力"
CLASS_NONE = "无劳动能力"
LABOUR_CLASSES = [CLASS_FULL, CLASS_WEAK, CLASS_NONE]


# ---------------------------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditParams:
    """The year's parameters the audit uses, typed (built from the validated ``params/<year>.yaml`` mapping)."""

    audit_year: int
    reference_date: pd.Timestamp
    school_cutoff: pd.Timestamp
    count_medical: bool
    income_tolerance_fen: int
    exit_line: float
    return_line: float
    earlier_exit_lines: dict
    exit_fen: int
    return_fen: int
    stable_fen: int
    stable_margin: float
    policy_share_max: float
    need_days: dict
    working_age_min: int
    old_age: int
    compulsory_age_min: int
    compulsory_age_max: int
    pension_age: int
    pwj_min_months: int
    road_distance_max_km: float
    unsafe_house_levels: tuple
    unhardened_road_types: tuple
    measure_first_year: int

    @property
    def year_end(self) -> pd.Timestamp:
        return pd.Timestamp(year=self.audit_year, month=12, day=31)

    def exit_line_of(self, year: int) -> float | None:
        """The exit line of ``year``: ``exit_line`` for the audit year, ``earlier_exit_lines`` before it."""
        return self.exit_line if int(year) == self.audit_year else self.earlier_exit_lines.get(int(year))


def yuan_to_fen_scalar(x: float) -> int:
    """One amount in yuan -> integer fen, half-up (decimal-safe)."""
    return int(to_fen(pd.Series([float(x)])).iloc[0])


def audit_params(params: dict) -> AuditParams:
    """Typed view of the validated year parameters (nested sections as in ``params/2019.yaml``)."""
    y, inc, lab = params["year"], params["income"], params["labour"]
    ref = pd.Timestamp(y["reference_date"])
    year = int(y["audit_year"])
    exit_line, return_line = float(inc["exit_line"]), float(inc["return_line"])
    margin = float(inc["stable_margin"])
    return AuditParams(
        audit_year=year,
        reference_date=ref,
        school_cutoff=D.school_cutoff(year, str(y["school_cutoff"])),
        count_medical=bool(inc["count_medical_reimbursement"]),
        income_tolerance_fen=yuan_to_fen_scalar(inc["income_tolerance"]),
        exit_line=exit_line,
        return_line=return_line,
        earlier_exit_lines={int(k): float(v) for k, v in (inc.get("earlier_exit_lines") or {}).items()},
        exit_fen=yuan_to_fen_scalar(exit_line),
        return_fen=yuan_to_fen_scalar(return_line),
        stable_fen=yuan_to_fen_scalar(margin * exit_line),
        stable_margin=margin,
        policy_share_max=float(inc["policy_share_max"]),
        need_days={k: int(v) for k, v in params["needs"].items()},
        working_age_min=int(lab["working_age_min"]),
        old_age=int(lab["old_age"]),
        compulsory_age_min=int(lab["compulsory_age_min"]),
        compulsory_age_max=int(lab["compulsory_age_max"]),
        pension_age=int(lab["pension_age"]),
        pwj_min_months=int(lab["pwj_min_months"]),
        road_distance_max_km=float(lab["road_distance_max_km"]),
        unsafe_house_levels=tuple(str(v) for v in lab["unsafe_house_levels"]),
        unhardened_road_types=tuple(str(v) for v in lab["unhardened_road_types"]),
        measure_first_year=int(params["measures"]["first_year"]),
    )


# ---------------------------------------------------------------------------------------------------------------
# Money in fen
# ---------------------------------------------------------------------------------------------------------------
def to_fen(yuan: pd.Series) -> pd.Series:
    """Amounts in yuan -> integer fen (``Int64``; NA stays NA), rounded half-up (away from zero on a tie).

    ``x * 100`` in binary floating point can land a hair below a tie (``1.005 * 100 = 100.49999999999999``); the
    product is therefore first rounded to 6 decimals, which removes float noise while keeping real sub-fen digits.
    """
    a = pd.to_numeric(yuan, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    scaled = np.round(np.abs(a) * 100.0, 6)
    fen = np.sign(a) * np.floor(scaled + 0.5)
    return pd.Series(fen, index=yuan.index).astype("Int64")


def div_half_up(num: pd.Series, den: pd.Series) -> pd.Series:
    """Integer division rounded half-up (away from zero on a tie); NA where ``den`` ≤ 0 or either side is NA."""
    n = pd.Series(num, dtype="Int64")
    d = pd.Series(den, dtype="Int64").set_axis(n.index)
    ok = (n.notna() & d.notna() & (d > 0).fillna(False)).astype(bool)
    nn = n.fillna(0).to_numpy(dtype=np.int64)
    dd = d.where(ok, 1).fillna(1).to_numpy(dtype=np.int64)
    q = np.sign(nn) * ((2 * np.abs(nn) + dd) // (2 * dd))
    return pd.Series(q, index=n.index, dtype="Int64").where(ok, pd.NA)


def fmt_yuan(fen: pd.Series) -> pd.Series:
    """Integer fen -> ``3,812.50`` (empty string for NA)."""
    f = pd.Series(fen, dtype="Int64")
    return f.map(lambda v: "" if pd.isna(v) else f"{int(v) / 100:,.2f}").astype(object)


def fmt_line(yuan: float) -> str:
    """A line for messages: ``4,000`` or ``10,080`` (two decimals only when needed)."""
    return f"{yuan:,.0f}" if float(yuan).is_integer() else f"{yuan:,.2f}"


# ---------------------------------------------------------------------------------------------------------------
# Small helpers on canonical columns
# ---------------------------------------------------------------------------------------------------------------
def col(df: pd.DataFrame, key: str, default=None) -> pd.Series:
    """Column as ``object`` (or a Series of ``default`` when the column is absent)."""
    if key in df:
        return df[key].astype(object).where(df[key].notna(), None)
    return pd.Series(default, index=df.index, dtype=object)


yes = D.flag_yes  # flag = 是 (blank or absent -> False)
no = D.flag_no  # flag = 否 (blank or absent -> False)


def isin(df: pd.DataFrame, key: str, values) -> pd.Series:
    if key not in df:
        return pd.Series(False, index=df.index)
    return df[key].astype(object).isin(list(values)).fillna(False).astype(bool)


num = D.numeric
has_health = D.has_health


def blank_text(df: pd.DataFrame, key: str) -> pd.Series:
    """True where the text column is blank or absent."""
    if key not in df:
        return pd.Series(True, index=df.index)
    s = df[key].astype(object)
    return (s.isna() | (s.astype(str).str.strip() == "")).astype(bool)


def any_by(keys: pd.Series, mask: pd.Series) -> pd.Series:
    """The ``keys`` values where ``mask`` holds (repeats kept; a value list for :func:`hgk_lib.text.isin`)."""
    return keys[mask.fillna(False).astype(bool)].dropna()


def empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


# ---------------------------------------------------------------------------------------------------------------
# The frames every view starts from
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Base:
    """One county prepared for the audit.

    ``households``: the household table, one row per 户编号 (of a duplicated 户编号 (R10) the first source row), plus ``A`` (audit-active members),
    ``exited`` (bool), ``head_id18``.
    ``members``: member rows of those households, plus ``id18``, ``birth``, ``age``, ``school_age``, ``active``
    (audit_standards: 正常 and not dead/moved out per 公安 on the reference date), ``police_gone``.
    ``lists``: the optional department lists present (by table name).
    """

    households: pd.DataFrame
    members: pd.DataFrame
    measures: pd.DataFrame
    income: pd.DataFrame
    project: pd.DataFrame | None
    lists: dict
    p: AuditParams
    notes: list
    duplicated_hh: list


def prepare(tables: dict, p: AuditParams) -> Base:
    """Build the :class:`Base` of one county from its canonical tables."""
    notes: list[str] = []
    h = tables["household"].copy()
    h["hh_id"] = col(h, "hh_id")
    h = h[h["hh_id"].notna()]
    if S.ROW_COL in h:
        h = h.sort_values(S.ROW_COL, kind="stable")
    dup = h["hh_id"].duplicated(keep=False)
    dup_ids = sorted(set(h.loc[dup, "hh_id"]))
    if dup_ids:
        notes.append(
            f"户编号重复的{len(dup_ids)}户（规则R10）按贫困户信息中的第一行核查，请核实："
            + "、".join(dup_ids[:20])
            + ("等" if len(dup_ids) > 20 else "")
        )
    h = h[~h["hh_id"].duplicated(keep="first")].reset_index(drop=True)

    m = tables["member"].copy()
    m["hh_id"] = col(m, "hh_id")
    m = m[T.isin(m["hh_id"], h["hh_id"])].reset_index(drop=True)
    police = tables.get("police")
    id_type = m["id_type"] if "id_type" in m else None
    birth = D.birth_dates(m, p.reference_date) if "id_no" in m else pd.Series(pd.NaT, index=m.index)
    gone = D.police_gone(m, police, p.reference_date)
    m = m.assign(
        id18=D.id18(m["id_no"], id_type) if "id_no" in m else pd.Series(None, index=m.index, dtype=object),
        birth=birth,
        age=D.age_on(birth, p.reference_date),
        school_age=D.age_on(birth, p.school_cutoff),
        police_gone=gone,
        active=D.is_active(m) & ~gone,
    )
    h = h.assign(
        A=D.active_counts(m, h["hh_id"], m["active"]),
        exited=isin(h, "exit_status", S.EXITED),
        head_id18=D.id18(h["head_id"]) if "head_id" in h else pd.Series(None, index=h.index, dtype=object),
    )
    meas = tables.get("measure")
    if meas is None:
        meas = pd.DataFrame({"hh_id": pd.Series(dtype=object), "year": pd.Series(dtype="Int64")})
    inc = tables.get("income")
    if inc is None:
        inc = pd.DataFrame({"hh_id": pd.Series(dtype=object), "year": pd.Series(dtype="Int64")})
    lists = {n: tables[n] for n in S.DEPARTMENT_TABLES if tables.get(n) is not None}
    return Base(
        households=h,
        members=m,
        measures=meas,
        income=inc,
        project=tables.get("project"),
        lists=lists,
        p=p,
        notes=notes,
        duplicated_hh=dup_ids,
    )


def list_id18(df: pd.DataFrame, key: str = "id_no") -> pd.Series:
    """ID18 of a department list's key column (NA where it fails R01)."""
    return D.id18(df[key]) if key in df else pd.Series(None, index=df.index, dtype=object)


def civil_active(base: Base) -> pd.Series:
    """Per member row: 民政_低保特困 shows an active 低保 or 特困 entitlement on the reference date (R92's test)."""
    m = base.members
    civil = base.lists.get("civil")
    if civil is None or civil.empty:
        return pd.Series(False, index=m.index)
    ref = base.p.reference_date
    start = civil["start_date"] if "start_date" in civil else pd.Series(pd.NaT, index=civil.index)
    end = civil["end_date"] if "end_date" in civil else pd.Series(pd.NaT, index=civil.index)
    ok = (
        isin(civil, "support_type", ["低保", "特困"])
        & (start.isna() | (start <= ref)).fillna(False)
        & (end.isna() | (end >= ref)).fillna(False)
    )
    return T.isin_series(m["id18"], list_id18(civil)[ok.astype(bool)].dropna())
