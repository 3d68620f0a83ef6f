"""The rule catalogue as data: ``params/rules/NN_<category>.yaml`` merged into one mapping ``rule_id -> spec``.

Each file::

    category: 身份信息
    module: identity                 # hgk_lib.rules.<module> implements the file's rules
    rules:
      - id: R03
        name: 证件号码出生日期无效      # exactly as rules_catalog.md
        level: 错误                    # 错误 / 警告 / 政策
        department: 扶贫办
        unit: 人                       # 人 / 户 / 项目 / 措施
        ids: [hh_id, year]            # optional: a finding's identifying columns (default: by unit, see UNIT_IDS)
        visit: false                   # true: only a home visit can settle it (入户核查计划, campaign.md §1)
        tables: {member: [id_no]}     # needed for the rule to run at all (else 未运行（无数据）)
        parts: {a: {member: [...]}}   # optional: extra columns per lettered part (names the missing items)
        params: {age_max: 110}        # names exactly as rules_catalog.md's Parameters table

The city changes a threshold, a level or a department here, without touching code.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from .. import schema as S
from ..errors import InputError
from ..resources import RULES_DIR  # the packaged copy when installed from a wheel

LEVELS = {"错误", "警告", "政策"}
UNITS = {"人", "户", "项目", "措施"}
DEPARTMENTS = {
    "扶贫办",
    "教育局",
    "医保局",
    "卫健局",
    "住建局",
    "水利局",
    "交通局",
    "民政局",
    "人社局",
    "残联",
    "公安局",
}
REQUIRED_KEYS = ("id", "name", "level", "department", "unit")
#: The identifying columns a finding may carry, and those of each unit (a rule judged per household and year
#: declares ``ids: [hh_id, year]``). The findings builder (:mod:`hgk_lib.rules.build`) copies them from the rows.
ID_FIELDS = ("hh_id", "person_id", "project_id", "year", "category")
UNIT_IDS = {
    "人": ["hh_id", "person_id"],
    "户": ["hh_id"],
    "措施": ["hh_id", "year", "category"],
    "项目": ["project_id"],
}
#: The nine catalogue files once the catalogue is complete (categories of rules_catalog.md).
EXPECTED_FILES = [
    "01_identity",
    "02_structure",
    "03_person",
    "04_income",
    "05_social",
    "06_needs",
    "07_dynamic",
    "08_measures",
    "09_departments",
]
ALL_RULE_IDS = [f"R{i:02d}" for i in range(1, 96)]


def catalogue_files(directory: str | Path | None = None) -> list[Path]:
    d = Path(directory) if directory else RULES_DIR
    return sorted(p for p in d.glob("[0-9][0-9]_*.yaml"))


def finding_ids(spec: dict) -> list[str]:
    """A rule's identifying finding columns: its ``ids``, else those of its ``unit`` (户 for an unknown unit)."""
    ids = spec.get("ids")
    if isinstance(ids, list) and ids:
        return [str(i) for i in ids if i in ID_FIELDS]
    return list(UNIT_IDS.get(spec.get("unit"), UNIT_IDS["户"]))


def _check_tables(rid: str, needs, where: str, problems: list[str]):
    if needs is None:
        return
    if not isinstance(needs, dict):
        problems.append(f"{rid} {where} 应为 表: [列] 映射")
        return
    for table, cols in needs.items():
        if table not in S.TABLES:
            problems.append(f"{rid} {where} 未知数据表 {table}")
            continue
        for c in cols or []:
            if c not in S.TABLES[table].columns_by_key:
                problems.append(f"{rid} {where} 数据表 {table} 无列 {c}")


#: libyaml's safe loader when PyYAML was built with it (the same documents, parsed in C), else the Python one
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_file(path: Path) -> dict[str, dict]:
    """One catalogue file -> ``{rule_id: spec}``; errors name the file and the rule."""
    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.load(fh, Loader=_LOADER) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"规则目录文件不是有效的 YAML：{exc}", file=str(path))
    problems: list[str] = []
    out: dict[str, dict] = {}
    category, module = raw.get("category"), raw.get("module")
    for r in raw.get("rules") or []:
        rid = str(r.get("id", "?"))
        for k in REQUIRED_KEYS:
            if not r.get(k):
                problems.append(f"{rid} 缺少 {k}")
        if not re.fullmatch(r"R\d{2}", rid):
            problems.append(f"规则编号格式错误：{rid}")
        if r.get("level") not in LEVELS:
            problems.append(f"{rid} 级别应为 错误/警告/政策：{r.get('level')}")
        if not isinstance(r.get("visit"), bool):
            problems.append(f"{rid} 缺少 visit（是否需入户核实：true/false）")
        if r.get("unit") not in UNITS:
            problems.append(f"{rid} 单位应为 人/户/项目/措施：{r.get('unit')}")
        ids = r.get("ids")
        if ids is not None and (
            not isinstance(ids, list) or not ids or any(i not in ID_FIELDS for i in ids) or len(set(ids)) != len(ids)
        ):
            problems.append(f"{rid} ids 应为 {'/'.join(ID_FIELDS)} 中不重复的列：{ids}")
        _check_tables(rid, r.get("tables"), "tables", problems)
        for part, needs in (r.get("parts") or {}).items():
            _check_tables(rid, needs, f"part {part}", problems)
        if rid in out:
            problems.append(f"规则 {rid} 重复")
        spec = dict(r)
        spec.setdefault("category", category)
        spec.setdefault("module", module)
        spec["params"] = dict(r.get("params") or {})
        spec["ids"] = finding_ids(spec)
        spec["file"] = path.name
        out[rid] = spec
    if problems:
        raise InputError("规则目录有误：" + "；".join(problems), file=str(path))
    return out


@lru_cache(maxsize=8)
def _load_cached(directory: str, stamp: tuple) -> dict:
    merged: dict[str, dict] = {}
    for path in catalogue_files(directory):
        for rid, spec in parse_file(path).items():
            if rid in merged:
                raise InputError(f"规则 {rid} 在 {merged[rid]['file']} 和 {path.name} 中重复", file=str(path))
            merged[rid] = spec
    return merged


def load_catalogue(directory: str | Path | None = None) -> dict[str, dict]:
    """Merge all ``NN_<category>.yaml`` files: ``{rule_id: spec}`` (a fresh copy; safe to modify)."""
    d = str(Path(directory) if directory else RULES_DIR)
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in catalogue_files(d))
    cat = _load_cached(d, stamp)
    return {
        rid: {**spec, "params": dict(spec["params"]), "ids": list(spec["ids"])} for rid, spec in sorted(cat.items())
    }
