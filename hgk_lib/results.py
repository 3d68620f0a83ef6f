"""A county's saved results: the contract between the county run and every later step.

The county run (:func:`hgk_lib.orchestrate.county.save_county_results`, called by the county notebook and by
``hgk check``) computes once and writes typed parquet here::

    <output_root>/<year>/<county folder>/results/
        manifest.json           contract name + version, input SHA-256, params SHA-256, hgk version,
                                every table's file, rows, columns and types
        findings.parquet        every rule finding, with its 问题编号 (``item_id``)
        rule_summary.parquet    one row per rule (status, counts; no timings: those go to run.json)
        verdicts.parquet …      the desk audit's tables (see :data:`TABLES`)
        features.parquet        the spot-check draw's household facts (one row per household)
        integrity.parquet       the integrity screen: one row per village / 帮扶责任人 and indicator (I1–I7)
        integrity_items.parquet its flagged units' households, one 数据真实性复核 item (``item_id`` ZS-…) each

Every later step (the spot-check draw, the city summary, the campaign work) reads through :func:`read_results` /
:func:`read_result`; nothing recomputes rules or audit. A reader given a manifest of another contract or another
version refuses it with a Chinese message (:class:`ResultsError`): rerun the county (``hgk check`` or
``hgk audit``) to rewrite it.

Column types are logical (:data:`KINDS`): ``text`` (object: ``str`` or ``None``), ``int`` (``Int64``), ``float``
(``float64``), ``bool`` (``boolean``), ``date`` (``datetime64[ns]``). :func:`to_contract` casts a frame to its
table's columns and types; :func:`save_results` writes every table and then the manifest, each atomically.

Household-level problem tables carry a campaign ``item_id`` (:func:`hgk_lib.items.item_ids`): findings (source
规则, code = rule id, field = the checked columns), verdicts (收入, code = verdict), needs (三保障, code = problem
type), dynamic (动态管理, code = candidate kind), classes (分类施策, code ``mismatch``; only rows whose measures do
not match the labour class carry one), integrity_items (数据真实性, code and field = the indicator I1–I7; computed by
:func:`hgk_lib.integrity.flagged_households`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from . import __version__
from .errors import InputError
from .io.safe import write_json_atomic, write_parquet_atomic
from .items import SOURCES, item_ids
from .risk.features import FEATURES as _FEATURES
from .risk.features import GROUP_COLUMNS as _GROUP_COLUMNS

_FLOAT_GROUPS = {"minority_county", "female_head", "elderly_only", "has_disability"}

CONTRACT = "hgk-county-results"
CONTRACT_VERSION = 2  # 2: + integrity, integrity_items (the integrity screen, issue 13)
RESULTS_DIRNAME = "results"
MANIFEST = "manifest.json"
KINDS = ("text", "int", "float", "bool", "date")


class ResultsError(InputError):
    """Saved results that cannot be read under this contract (missing, older, foreign, damaged)."""


def _t(cols: str) -> dict[str, str]:
    """``"a b:int c:float"`` -> ``{"a": "text", "b": "int", "c": "float"}`` (text is the default)."""
    out = {}
    for tok in cols.split():
        name, _, kind = tok.partition(":")
        out[name] = kind or "text"
    return out


#: table name -> {column: kind}, in column order. The single definition of the saved tables.
TABLES: dict[str, dict[str, str]] = {
    "findings": _t(
        "item_id county rule_id rule_name level department unit part hh_id person_id project_id "
        "year:int source_row:int category columns values message exit_status"
    ),
    "rule_summary": _t(
        "rule_id rule_name level department status missing evaluated:int not_evaluated:int findings:int households:int"
    ),
    "income": _t(
        "hh_id township village head_name exit_status active_n:int recorded_n:int disposable_fen:int "
        "income_pc_fen:int income_pc:float recorded_pc:float income_diff:float policy_share:float "
        "income_finding:bool"
    ),
    "verdicts": _t(
        "item_id hh_id township village head_name labour_class active_n:int recorded_pc:float "
        "income_pc:float income_diff:float policy_share:float verdict return_cause quality reasons"
    ),
    "needs": _t("item_id hh_id person_id problem_type department evidence deadline:date resolvable:bool"),
    "sector": _t("hh_id person_id issue department evidence"),
    "classes": _t("item_id hh_id labour_class recommended measures_this_year match:bool quality"),
    "unstable_pwj": _t("hh_id person_id post months:float"),
    "history": _t("hh_id year:int stage problem"),
    "projects": _t("project_id project_name rule_id description"),
    "beneficiaries": _t(
        "project_id project_name declared_hh:int linked_hh:int declared_people:int linked_people:int difference:int"
    ),
    "dynamic": _t("item_id hh_id person_id kind basis source"),
    "audit_notes": _t("note"),
    "quarantine": _t("table file sheet row:int column value reason"),
    "row_ledger": _t("table file rows_read:int rows_loaded:int rows_quarantined:int"),
    "features": {
        "hh_id": "text",
        **{c: "float" for c in _FEATURES},
        **{c: ("float" if c in _FLOAT_GROUPS else "text") for c in _GROUP_COLUMNS},
    },
    "labels": _t("hh_id year:float method problem:int inclusion_prob:float weight:float verified_income_pc:float"),
    "contacts": _t("hh_id phone"),
    # the integrity screen (hgk_lib.integrity): one row per unit x indicator, and the flagged units' households
    "integrity": _t(
        "unit_id:int county unit_type township village helper_name helper_phone n_households:int "
        "indicator indicator_name status n:int k:int value:float reference:float p:float p_adj:float "
        "flagged:bool sentence suggestion"
    ),
    "integrity_items": _t(
        "item_id county hh_id township village head_name unit_type helper_name indicator indicator_name suggestion item"
    ),
}
#: The audit's table names (:class:`hgk_lib.audit.AuditResult` fields) -> saved table names.
AUDIT_TABLES = {
    "income": "income",
    "verdicts": "verdicts",
    "needs": "needs",
    "sector": "sector",
    "classes": "classes",
    "unstable_pwj": "unstable_pwj",
    "measure_gaps": "history",
    "project_findings": "projects",
    "beneficiaries": "beneficiaries",
    "dynamic": "dynamic",
}
#: Household-level problem tables: table -> (item source, column giving the code or a fixed code).
ITEM_SOURCES = {
    "verdicts": ("收入", "verdict"),
    "needs": ("三保障", "problem_type"),
    "dynamic": ("动态管理", "kind"),
    "classes": ("分类施策", None),
}


# ---------------------------------------------------------------------------------------------------------------
# typing
# ---------------------------------------------------------------------------------------------------------------
def _text(s: pd.Series) -> pd.Series:
    out = s.astype(object)
    if not len(out):
        return out
    na = out.isna()
    if pd.api.types.infer_dtype(out, skipna=True) not in ("string", "empty"):  # numbers, dates...: as text
        out = out.map(lambda v: v if isinstance(v, str) else str(v))
    return out.where(~na, None)


def _cast(s: pd.Series, kind: str, name: str) -> pd.Series:
    if kind == "text":
        return _text(s)
    if kind == "int":
        if pd.api.types.is_bool_dtype(s):
            s = s.astype("Int64")
        num = pd.to_numeric(s, errors="coerce")
        frac = num.dropna() % 1 != 0
        if frac.any():
            raise ValueError(f"results column {name}: non-integer values")
        return num.astype("Int64")
    if kind == "float":
        return pd.to_numeric(s, errors="coerce").astype("float64")
    if kind == "bool":
        obj = s.astype(object)
        return obj.map(
            lambda v: (
                None
                if v is None or (not isinstance(v, str) and pd.isna(v))
                else (v if isinstance(v, bool) else (v == "是" if isinstance(v, str) else bool(v)))
            )
        ).astype("boolean")
    if kind == "date":
        return pd.to_datetime(s, errors="coerce").astype("datetime64[ns]")
    raise ValueError(f"unknown kind {kind}")


def to_contract(name: str, df: pd.DataFrame | None) -> pd.DataFrame:
    """``df`` with exactly the columns of table ``name`` in order and their types (missing columns are blank)."""
    return _conform(name, TABLES[name], df)


def _conform(name: str, spec: dict[str, str], df: pd.DataFrame | None) -> pd.DataFrame:
    df = pd.DataFrame() if df is None else df
    n = len(df)
    cols = {}
    for c, kind in spec.items():
        s = df[c].reset_index(drop=True) if c in df else pd.Series([None] * n, dtype=object)
        cols[c] = _cast(s, kind, f"{name}.{c}")
    return pd.DataFrame(cols, index=pd.RangeIndex(n))


def with_item_ids(name: str, df: pd.DataFrame, county: str) -> pd.DataFrame:
    """``df`` with its ``item_id`` column (findings and the household-level problem tables)."""
    out = df.copy()
    if "county" not in out:
        keyed = out.assign(county=county)
    else:
        keyed = out.assign(county=out["county"].where(out["county"].notna(), county))
    if name == "findings":
        keyed = keyed.rename(columns={"columns": "field"})
        rule = keyed["rule_id"].astype(object)
        ids = item_ids(keyed, "规则", rule)
        audit_row = rule.isin(SOURCES) & (rule != "规则")  # the audit's own rows (e.g. 分类施策): that source's prefix
        for src in rule[audit_row].unique():
            sel = rule == src
            ids[sel] = item_ids(keyed[sel], src, keyed.loc[sel, "rule_name"].astype(object))
        out["item_id"] = ids
        return out
    source, col = ITEM_SOURCES[name]
    if col is None:  # classes: an item only where the measures do not match the labour class
        mism = ~out["match"].astype(object).isin([True, "是"])
        ids = item_ids(keyed, source, "mismatch")
        out["item_id"] = ids.where(mism.to_numpy(), None)
    else:
        out["item_id"] = item_ids(keyed, source, keyed[col].astype(object))
    return out


# ---------------------------------------------------------------------------------------------------------------
# paths
# ---------------------------------------------------------------------------------------------------------------
def results_dir(county_dir) -> Path:
    """``<county_dir>/results`` (``county_dir`` = ``<output_root>/<year>/<county folder>``)."""
    return Path(county_dir) / RESULTS_DIRNAME


# ---------------------------------------------------------------------------------------------------------------
# write
# ---------------------------------------------------------------------------------------------------------------
def save_results(
    county_dir, tables: dict[str, pd.DataFrame], *, county: str, year: int, input_sha256: str, params_sha256: str
) -> Path:
    """Write every table of :data:`TABLES` (cast by :func:`to_contract`) and ``manifest.json`` under
    ``<county_dir>/results/``; returns that folder.

    Each file is written atomically (temporary file, fsync, rename); the manifest is written last, so a reader never
    sees a manifest naming files of another run. A table not given is saved empty (with its columns).
    """
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ValueError(f"not result tables: {unknown}")
    manifest = {
        "contract": CONTRACT,
        "contract_version": CONTRACT_VERSION,
        "hgk_version": __version__,
        "county": county,
        "year": int(year),
        "input_sha256": input_sha256,
        "params_sha256": params_sha256,
    }
    return _write_tables(results_dir(county_dir), TABLES, tables, manifest, MANIFEST)


def _write_tables(
    d: Path, specs: dict[str, dict[str, str]], tables: dict[str, pd.DataFrame], manifest: dict, manifest_name: str
) -> Path:
    """Every table of ``specs`` cast to its contract, then the manifest listing them (last), each atomically."""
    d.mkdir(parents=True, exist_ok=True)
    manifest = {**manifest, "tables": {}}
    for name, spec in specs.items():
        df = _conform(name, spec, tables.get(name))
        write_parquet_atomic(df, d / f"{name}.parquet")
        manifest["tables"][name] = {"file": f"{name}.parquet", "rows": len(df), "columns": dict(spec)}
    write_json_atomic(d / manifest_name, manifest)
    return d


# ---------------------------------------------------------------------------------------------------------------
# read
# ---------------------------------------------------------------------------------------------------------------
def read_manifest(county_dir) -> dict:
    """The results manifest of a county folder, checked against this contract (raises :class:`ResultsError`)."""
    d = results_dir(county_dir)
    path = d / MANIFEST
    if not path.exists():
        raise ResultsError("没有该县的核查结果（results/manifest.json），请先运行 hgk audit 或 hgk check", file=str(d))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ResultsError(f"核查结果清单无法读取（{err}），请重新运行该县", file=str(path)) from None
    if not isinstance(manifest, dict) or manifest.get("contract") != CONTRACT:
        raise ResultsError("不是 hgk 县级核查结果的清单（格式不符），请重新运行该县", file=str(path))
    v = manifest.get("contract_version")
    if v != CONTRACT_VERSION:
        older = isinstance(v, int) and v < CONTRACT_VERSION
        raise ResultsError(
            f"核查结果格式版本为 {v}，本程序要求 {CONTRACT_VERSION}（"
            f"{'结果由旧版本写出' if older else '结果由新版本写出'}），请用本版本重新运行该县",
            file=str(path),
        )
    return manifest


def read_result(county_dir, name: str, manifest: dict | None = None) -> pd.DataFrame:
    """One saved table of a county (types as in :data:`TABLES`)."""
    if name not in TABLES:
        raise ValueError(f"not a result table: {name}")
    manifest = manifest or read_manifest(county_dir)
    entry = manifest["tables"].get(name)
    path = results_dir(county_dir) / f"{name}.parquet"
    if entry is None or not path.exists():
        raise ResultsError(f"核查结果中缺少表 {name}，请重新运行该县", file=str(path))
    return _read_table(path, name, TABLES[name], entry, "请重新运行该县")


def _read_table(path: Path, name: str, spec: dict[str, str], entry: dict, remedy: str) -> pd.DataFrame:
    """A saved table, checked against its manifest entry; text columns with ``None`` for blanks."""
    df = pd.read_parquet(path)
    if list(df.columns) != list(spec) or len(df) != entry.get("rows"):
        raise ResultsError(f"保存的表 {name} 与清单不符（列或行数不同），{remedy}", file=str(path))
    for c, kind in spec.items():
        if kind == "text":
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


def read_results(county_dir, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Every saved table of a county (or the ones named): ``{name: DataFrame}``."""
    manifest = read_manifest(county_dir)
    return {n: read_result(county_dir, n, manifest) for n in (names or list(TABLES))}


# ---------------------------------------------------------------------------------------------------------------
# the spot-check evaluation's own saved tables (<output_root>/<year>/市汇总/results/)
# ---------------------------------------------------------------------------------------------------------------
EVALUATION_CONTRACT = "hgk-spot-check-evaluation"
EVALUATION_VERSION = 1  # its own version: the county contract's changes do not touch it
#: The evaluation's tables (English keys of :func:`hgk_lib.risk.estimate.evaluate`).
EVALUATION_TABLES: dict[str, dict[str, str]] = {
    "evaluation_summary": _t(
        "county sheet frame:float drawn:int inspected:int problems:int p:float p_lo:float "
        "p_hi:float p_se:float p_neff:float deff:float income_n:int below:int q:float q_lo:float "
        "q_hi:float not_covered:float"
    ),
}


def save_evaluation(city_dir, tables: dict[str, pd.DataFrame], *, year: int, source: str) -> Path:
    """Save the evaluation's tables under ``<city_dir>/results/`` with their manifest (atomically)."""
    manifest = {
        "contract": EVALUATION_CONTRACT,
        "contract_version": EVALUATION_VERSION,
        "hgk_version": __version__,
        "year": int(year),
        "source": source,
    }
    return _write_tables(results_dir(city_dir), EVALUATION_TABLES, tables, manifest, "evaluation.json")


def read_evaluation(city_dir) -> dict[str, pd.DataFrame] | None:
    """The evaluation's saved tables, or None when no evaluation has been saved (refuses an older or foreign one)."""
    d = results_dir(city_dir)
    path = d / "evaluation.json"
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ResultsError(
            f"抽查结果评估清单无法读取（{err}），请重新运行 hgk spot-check evaluate", file=str(path)
        ) from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("contract") != EVALUATION_CONTRACT
        or manifest.get("contract_version") != EVALUATION_VERSION
    ):
        raise ResultsError(
            "抽查结果评估的保存格式不符或版本不同，请用本版本重新运行 hgk spot-check evaluate", file=str(path)
        )
    remedy = "请重新运行 hgk spot-check evaluate"
    return {
        name: _read_table(d / f"{name}.parquet", name, spec, manifest["tables"].get(name) or {}, remedy)
        for name, spec in EVALUATION_TABLES.items()
    }


__all__ = [
    "CONTRACT",
    "CONTRACT_VERSION",
    "TABLES",
    "AUDIT_TABLES",
    "ResultsError",
    "results_dir",
    "to_contract",
    "with_item_ids",
    "save_results",
    "read_manifest",
    "read_result",
    "read_results",
    "EVALUATION_TABLES",
    "save_evaluation",
    "read_evaluation",
]
