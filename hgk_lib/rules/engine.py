"""The rule engine: the only loop over rules. A rule is data (``params/rules/NN_<category>.yaml``) plus one function.

Contract for a rule implementation (one module per catalogue category, e.g. ``hgk_lib/rules/identity.py``)::

    @rule("R05")
    def r05(ctx: RuleContext, p: dict) -> pd.DataFrame | Parts:
        ...

* ``ctx`` gives the county's canonical tables (``ctx.table("member")``, ``ctx.has("member", "birth_date")``) and
  cached derived columns (``ctx.members`` = member table + ``id_ok``, ``id18``, ``birth``, ``age``, ``school_age``,
  ``active``; ``ctx.households`` = household table + ``A``), plus ``ctx.others`` (the other counties of the run, for
  R09).
* ``p`` is the rule's parameters from its catalogue YAML merged over the year's parameters (``reference_date``,
  ``audit_year`` ...).
* It returns the offending units as a DataFrame with any of the columns of :data:`FINDING_FIELDS` that apply
  (at least ``message``); the engine adds rule id, name, level, department, county and the household's 脱贫状态.
* A lettered rule returns ``Parts({"a": df_or_None, "b": ...})``: ``None`` for a part whose columns are absent
  (reported "not run" for that part). Any rule may return ``Parts({"": df}, evaluated=n, not_evaluated=m)`` to
  report its unit counts for the per-rule summary.
* A rule raises :class:`NotRun` (with the missing table/column in Chinese) when it cannot run at all.

Every rule module builds its findings with the one builder :func:`hgk_lib.rules.build.findings` (identifying columns
from the catalogue entry, Chinese column headers, values as recorded); the evidence helpers it uses (:func:`shown`,
:func:`header`) and the message helpers (:func:`q`, :func:`num`) live here.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from .. import schema as S
from ..errors import HgkError

log = logging.getLogger(__name__)

#: Columns of the findings table, in order (English keys; the workbook maps them to Chinese headers).
FINDING_FIELDS = [
    "county",
    "rule_id",
    "rule_name",
    "level",
    "department",
    "unit",
    "part",
    "hh_id",
    "person_id",
    "project_id",
    "year",
    "source_row",
    "category",
    "columns",
    "values",
    "message",
    "exit_status",
]
SUMMARY_FIELDS = [
    "rule_id",
    "rule_name",
    "level",
    "department",
    "status",
    "missing",
    "evaluated",
    "not_evaluated",
    "findings",
    "households",
    "seconds",
]

#: Per-rule statuses (Chinese, as the workbook shows them).
STATUS_RUN = "已运行"
STATUS_NOT_RUN = "未运行（无数据）"
STATUS_PARTIAL = "部分运行"
STATUS_NOT_IMPLEMENTED = "未运行（未实现）"

#: Appended to the message of a finding on a household that has quarantined rows.
QUARANTINE_NOTE = "（该户有被隔离的数据行，见隔离清单）"

RULES: dict[str, Callable] = {}


class RuleModuleError(HgkError):
    """A rule module named in the catalogue (or present in the package) is missing or fails to import."""


class NotRun(Exception):
    """Raised by a rule that cannot run: its table or column is absent. The message names what is missing."""


@dataclass
class Parts:
    """Findings of a lettered rule, per part; ``None`` marks a part that could not run (no data)."""

    parts: dict[str, pd.DataFrame | None]
    evaluated: int | None = None  # units in scope that the rule judged (None: engine counts the scope as unknown)
    not_evaluated: int = 0  # units in scope the rule could not judge (unknown age, duplicated key ...)


def rule(rule_id: str):
    """Register a rule implementation under its catalogue id."""

    def deco(fn):
        if rule_id in RULES and RULES[rule_id].__qualname__ != fn.__qualname__:
            raise ValueError(f"duplicate implementation for {rule_id}")
        RULES[rule_id] = fn
        fn.rule_id = rule_id
        return fn

    return deco


# ---------------------------------------------------------------------------------------------------------------
# Evidence helpers (shared by every category module)
# ---------------------------------------------------------------------------------------------------------------
BLANK_SHOWN = "（空）"


def header(table: str, key: str) -> str:
    """Chinese export header of a canonical column (the key itself for derived columns)."""
    t = S.TABLES.get(table)
    if t is not None and key in t.columns_by_key:
        return t.column(key).header
    for other in S.TABLES.values():  # a member column cited on a household finding, etc.
        if key in other.columns_by_key:
            return other.column(key).header
    return key


def _fmt_num(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "是" if v else "否"
    f = float(v)
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return f"{f:.2f}".rstrip("0").rstrip(".")


def shown(df: pd.DataFrame, key: str) -> pd.Series:
    """The value of ``key`` per row as recorded: formatted typed value, else its ``__raw`` text, else （空）."""
    if key not in df.columns or not len(df):
        return pd.Series(BLANK_SHOWN, index=df.index, dtype=object)
    s = df[key]
    out = np.full(len(df), BLANK_SHOWN, dtype=object)
    nn = s.notna().to_numpy(dtype=bool, na_value=False)
    if nn.any():
        v = s[nn]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[nn] = v.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        elif pd.api.types.is_bool_dtype(s) or str(s.dtype) == "boolean":
            out[nn] = v.astype(bool).map({True: "是", False: "否"}).to_numpy(dtype=object)
        elif pd.api.types.is_numeric_dtype(s):
            out[nn] = v.map(_fmt_num).to_numpy(dtype=object)
        else:
            out[nn] = v.astype(str).to_numpy(dtype=object)
    raw = S.raw_col(key)
    if raw in df.columns:
        r = df[raw]
        use = (~nn) & r.notna().to_numpy(dtype=bool, na_value=False)
        if use.any():
            out[use] = r[use].astype(str).to_numpy(dtype=object)
    return pd.Series(out, index=df.index, dtype=object)


def q(s: pd.Series) -> pd.Series:
    """Quote shown values: 女 -> "女" (for messages)."""
    return '"' + s.astype(str) + '"'


def num(s: pd.Series) -> pd.Series:
    """Numbers as message text (12.0 -> 12, 12.5 -> 12.5, NA -> （空）)."""
    out = pd.Series(BLANK_SHOWN, index=s.index, dtype=object)
    nn = s.notna().to_numpy(dtype=bool, na_value=False)
    if nn.any():
        out[nn] = s[nn].map(_fmt_num).astype(object)
    return out


def mask(s) -> pd.Series:
    """A boolean mask with NA as False (blank operands make conditions false)."""
    if isinstance(s, pd.Series):
        if s.dtype == bool:
            return s
        return s.fillna(False).astype(bool)
    return s


# ---------------------------------------------------------------------------------------------------------------
# Parameters: a dict that records which keys a rule read (the catalogue test checks every parameter is used)
# ---------------------------------------------------------------------------------------------------------------
class RecordingDict(dict):
    """``dict`` remembering the keys read through ``[]`` / ``get``."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.accessed: set[str] = set()

    def __getitem__(self, key):
        self.accessed.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.accessed.add(key)
        return super().get(key, default)


# ---------------------------------------------------------------------------------------------------------------
# Modules and catalogue
# ---------------------------------------------------------------------------------------------------------------
_INFRA_MODULES = {"engine", "context", "catalogue", "build", "__init__"}
_IMPORTED: set[str] = set()


def import_rule_modules(catalogue: dict | None = None) -> list[str]:
    """Import every rule module named in the catalogue files or found in this package.

    Returns the names of the modules imported. A module the catalogue names that does not exist, or any module that
    fails to import, is an error (:class:`RuleModuleError`, naming the module and the cause): its rules must never
    be reported 未运行（未实现）as if nobody had written them.
    """
    from . import catalogue as C

    cat = catalogue if catalogue is not None else C.load_catalogue()
    names = {spec["module"] for spec in cat.values() if spec.get("module")}
    pkg = importlib.import_module(__package__)
    names |= {m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")}
    names -= _INFRA_MODULES
    imported = []
    for name in sorted(names):
        if name not in _IMPORTED:
            try:
                importlib.import_module(f"{__package__}.{name}")
            except Exception as exc:
                raise RuleModuleError(
                    f"规则模块 hgk_lib.rules.{name} 无法导入（{type(exc).__name__}: {exc}），请修复后重新运行"
                ) from exc
            _IMPORTED.add(name)
        imported.append(name)
    return imported


# ---------------------------------------------------------------------------------------------------------------
# Context construction
# ---------------------------------------------------------------------------------------------------------------
def year_flat(year_params: dict) -> dict:
    """``{"year": {...}, ...}`` (validated params/<year>.yaml) or an already flat mapping -> flat year keys."""
    y = year_params.get("year", year_params) if isinstance(year_params, dict) else {}
    ref = pd.Timestamp(y["reference_date"])
    return {
        "reference_date": ref,
        "audit_year": int(y.get("audit_year", ref.year)),
        "school_cutoff": str(y["school_cutoff"]),
    }


def rule_params_for(catalogue: dict, overrides: dict | None = None) -> dict[str, dict]:
    """Each rule's parameters: catalogue defaults, with ``overrides`` applied.

    ``overrides`` may be ``{param: value}`` (applied to every rule declaring ``param``) or ``{rule_id: {param:
    value}}``.
    """
    out = {rid: dict(spec.get("params") or {}) for rid, spec in catalogue.items()}
    for k, v in (overrides or {}).items():
        if k in out and isinstance(v, dict):
            out[k].update(v)
        else:
            for rid in out:
                if k in out[rid]:
                    out[rid][k] = v
    return out


def make_context(
    tables: dict,
    year_params: dict,
    county: str = "",
    others: dict | None = None,
    quarantined_hh=None,
    overrides: dict | None = None,
    catalogue: dict | None = None,
):
    """Build the :class:`RuleContext` for one county.

    ``year_params``: the validated ``params/<year>.yaml`` mapping (its ``year`` section is used: reference_date,
    audit_year, school_cutoff). ``ctx.params`` holds those flat keys, ``age_max`` (from R03, used for birth dates)
    and ``rule_params``: each rule's catalogue parameters (with ``overrides``).
    """
    from . import catalogue as C
    from .context import RuleContext

    cat = catalogue if catalogue is not None else C.load_catalogue()
    params = year_flat(year_params)
    rp = rule_params_for(cat, overrides)
    params["rule_params"] = rp
    params["age_max"] = int(rp["R03"]["age_max"])  # the catalogue's R03 bound serves every birth date
    return RuleContext(
        tables=dict(tables),
        params=params,
        county=county,
        others=dict(others or {}),
        quarantined_hh=set(quarantined_hh or ()),
    )


def params_for(ctx, rule_id: str) -> RecordingDict:
    """``p`` for one rule: its parameters merged over the year parameters."""
    base = {k: v for k, v in ctx.params.items() if k != "rule_params"}
    base.update((ctx.params.get("rule_params") or {}).get(rule_id, {}))
    return RecordingDict(base)


# ---------------------------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class RuleResult:
    """Findings (one row per offending unit and part, :data:`FINDING_FIELDS`) and the per-rule summary."""

    findings: pd.DataFrame
    summary: pd.DataFrame
    params_used: dict = field(default_factory=dict)  # rule_id -> set of parameter names read


def _missing_items(ctx, needs: dict | None) -> list[str]:
    """Chinese names of the tables/columns of ``needs`` ({table: [columns]}) absent from the context."""
    missing = []
    for table, cols in (needs or {}).items():
        t = ctx.tables.get(table)
        label = S.TABLES[table].file if table in S.TABLES else table
        if t is None:
            missing.append(f"数据表 {label}")
            continue
        absent = [header(table, c) for c in (cols or []) if c not in t.columns]
        if absent:
            missing.append(f"{label} 的列 " + "、".join(absent))
    return missing


_EMPTY: pd.DataFrame | None = None


def _empty_findings() -> pd.DataFrame:
    global _EMPTY
    if _EMPTY is None:
        df = pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_FIELDS})
        df["year"] = df["year"].astype("Int64")
        df["source_row"] = df["source_row"].astype("Int64")
        _EMPTY = df
    return _EMPTY.copy()


def _unit_count(df: pd.DataFrame) -> int:
    """Units with findings: distinct (户编号, 人编号, 项目编号, 年度, source row) ignoring the part."""
    if df.empty:
        return 0
    if df["part"].isna().all():  # an unlettered rule: one row per unit
        return len(df)
    keys = [c for c in ("hh_id", "person_id", "project_id", "year", "source_row") if c in df.columns]
    return int((~df.duplicated(subset=keys)).sum())


def _exit_status_map(ctx) -> pd.Series:
    h = ctx.tables.get("household")
    if h is None or "hh_id" not in h.columns or "exit_status" not in h.columns:
        return pd.Series(dtype=object)
    shown_status = shown(h, "exit_status")
    shown_status = shown_status.where(shown_status != BLANK_SHOWN, None)
    m = pd.Series(shown_status.to_numpy(), index=h["hh_id"].astype(object).to_numpy())
    m = m[m.index.notna()]
    return m[~m.index.duplicated(keep="first")]


def _int_column(v) -> pd.arrays.IntegerArray:
    if isinstance(v, pd.Series) and pd.api.types.is_integer_dtype(v.dtype):
        return pd.array(v.reset_index(drop=True), dtype="Int64")
    v = pd.to_numeric(
        pd.Series(v, dtype=object) if isinstance(v, np.ndarray) else v.reset_index(drop=True), errors="coerce"
    )
    return pd.array(v.astype("Float64").round(), dtype="Int64")


def _finalise(ctx, spec: dict, rid: str, frames: list[pd.DataFrame], status_map: pd.Series) -> pd.DataFrame | None:
    """Concatenate a rule's part frames and add the engine's columns (None when there is nothing)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return None
    f = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    n = len(f)
    arr = np.full((n, len(FINDING_FIELDS)), None, dtype=object)  # one object block: cheap to build
    pos = {c: j for j, c in enumerate(FINDING_FIELDS)}
    for c in FINDING_FIELDS:
        if c in f.columns and c not in ("year", "source_row"):
            arr[:, pos[c]] = f[c].to_numpy(dtype=object, na_value=None)
    arr[:, pos["county"]] = ctx.county
    arr[:, pos["rule_id"]] = rid
    arr[:, pos["rule_name"]] = spec.get("name", rid)
    arr[:, pos["level"]] = spec.get("level")
    arr[:, pos["department"]] = spec.get("department")
    arr[:, pos["unit"]] = spec.get("unit")
    hh = pd.Series(arr[:, pos["hh_id"]], dtype=object)
    if len(status_map):
        arr[:, pos["exit_status"]] = hh.map(status_map).to_numpy(dtype=object, na_value=None)
    if ctx.quarantined_hh:
        quar = hh.isin(ctx.quarantined_hh).to_numpy(dtype=bool)
        if quar.any():
            j = pos["message"]
            arr[quar, j] = (pd.Series(arr[quar, j], dtype=object).astype(str) + QUARANTINE_NOTE).to_numpy(dtype=object)
    out = pd.DataFrame(arr, columns=FINDING_FIELDS, dtype=object)
    for c in ("year", "source_row"):
        out[c] = _int_column(f[c]) if c in f.columns else pd.array([pd.NA] * n, dtype="Int64")
    return out


def run_rules(ctx, only: Iterable[str] | None = None, catalogue: dict | None = None) -> RuleResult:
    """Run every catalogue rule (or ``only`` those ids) on one county's context.

    A rule whose declared tables/columns are absent, or that raises :class:`NotRun`, is reported 未运行（无数据）
    with the missing items named; a rule with some parts unable to run is 部分运行. No cap on findings.
    """
    from . import catalogue as C

    cat = catalogue if catalogue is not None else C.load_catalogue()
    import_rule_modules(cat)
    ids = sorted(cat) if only is None else [r for r in only]
    status_map = _exit_status_map(ctx)
    frames, rows, used = [], [], {}
    for rid in ids:
        spec = cat.get(rid, {"name": rid})
        t0 = time.perf_counter()
        row = {
            "rule_id": rid,
            "rule_name": spec.get("name", rid),
            "level": spec.get("level"),
            "department": spec.get("department"),
            "status": STATUS_RUN,
            "missing": "",
            "evaluated": pd.NA,
            "not_evaluated": pd.NA,
            "findings": 0,
            "households": 0,
        }
        fn = RULES.get(rid)
        found = None
        if fn is None:
            row["status"] = STATUS_NOT_IMPLEMENTED
            row["missing"] = "规则尚未实现"
        else:
            missing = _missing_items(ctx, spec.get("tables"))
            if missing:
                row["status"], row["missing"] = STATUS_NOT_RUN, "；".join(missing)
            else:
                p = params_for(ctx, rid)
                ctx.rule = {**spec, "id": rid, "ids": C.finding_ids(spec)}  # read by the findings builder
                try:
                    out = fn(ctx, p)
                except NotRun as exc:
                    row["status"], row["missing"] = STATUS_NOT_RUN, str(exc) or "缺少数据"
                    out = None
                except Exception as exc:
                    raise RuntimeError(f"规则 {rid} 运行出错：{exc!r}") from exc
                used[rid] = set(p.accessed)
                if out is not None:
                    if not isinstance(out, Parts):
                        out = Parts({"": out})
                    ran = {k: v for k, v in out.parts.items() if v is not None}
                    not_ran = [k for k, v in out.parts.items() if v is None]
                    declared = list((spec.get("parts") or {}).keys())
                    not_ran += [k for k in declared if k not in out.parts and ran and "" not in ran]
                    if not ran:
                        row["status"] = STATUS_NOT_RUN
                    elif not_ran:
                        row["status"] = STATUS_PARTIAL
                    if not_ran:
                        parts_spec = spec.get("parts") or {}
                        row["missing"] = "；".join(
                            f"({k}) " + ("、".join(_missing_items(ctx, parts_spec.get(k))) or "缺少数据")
                            for k in sorted(not_ran)
                        )
                    pieces = []
                    for k, v in ran.items():
                        if len(v):
                            v = v.copy()
                            v["part"] = k or None
                            pieces.append(v)
                    found = _finalise(ctx, spec, rid, pieces, status_map)
                    if ran:
                        row["evaluated"] = out.evaluated if out.evaluated is not None else pd.NA
                        row["not_evaluated"] = out.not_evaluated
        if found is not None and len(found):
            frames.append(found)
            row["findings"] = _unit_count(found)
            row["households"] = int(found["hh_id"].dropna().nunique())
        row["seconds"] = round(time.perf_counter() - t0, 4)
        rows.append(row)
    findings = pd.concat(frames, ignore_index=True) if frames else _empty_findings()
    summary = pd.DataFrame(rows, columns=SUMMARY_FIELDS)
    for c in ("evaluated", "not_evaluated"):
        summary[c] = pd.array(summary[c], dtype="Int64")
    return RuleResult(findings=findings, summary=summary, params_used=used)
