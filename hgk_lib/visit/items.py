"""What needs a visit (campaign.md §1): the visit items of one county, built from the audit's tables.

Each criterion is one pure function returning rows of :data:`ITEM_COLUMNS` (one row per item):

* :func:`rule_items` — rule findings whose catalogue entry says ``visit: true`` (item id = the ledger's 问题编号:
  :func:`rule_item_ids` over the whole findings table in the engine's order, field = the finding's checked columns);
* :func:`verdict_items` — exited households whose verdict is not plain 保持脱贫 / 保持脱贫（兜底）, and households
  kept whose re-computed income is below ``exit_line × visit.income_margin`` (one 收入 item per household);
* :func:`needs_items` — every open basic-needs problem (三保障);
* :func:`dynamic_items` — every dynamic-management candidate (动态管理);
* :func:`class_items` — every labour-class / measure mismatch (分类施策 是否匹配 = 否);
* :func:`integrity_items` — the households of flagged data-integrity units (数据真实性), when such a table is given.

:func:`visit_items` concatenates them in a stable order. Item ids come from :func:`hgk_lib.items.item_ids`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..items import item_ids, key_text

#: One row per (household, item); English keys, the workbook writer maps them to Chinese headers.
ITEM_COLUMNS = [
    "item_id",
    "hh_id",
    "person_id",
    "source",
    "rule_id",
    "code",
    "short",
    "content",
    "department",
    "income_check",
    "result",
    "note",
]
#: Verdicts that need no visit on their own (campaign.md §1); every other verdict does (including 收入待核实).
PLAIN_KEPT = ["保持脱贫", "保持脱贫（兜底）"]
#: Department of a verdict item (兜底 is 民政局's; the rest are the poverty office's).
VERDICT_DEPARTMENT = {"兜底未落实": "民政局"}
DEFAULT_DEPARTMENT = "扶贫办"
SOURCE_ORDER = ["收入", "三保障", "规则", "分类施策", "动态管理", "数据真实性"]
#: Rule categories whose findings mean the household's income must be verified at the door.
INCOME_CATEGORIES = {"收入"}
DEFAULT_MARGIN = 1.1


def _blank(s: pd.Series) -> pd.Series:
    return key_text(s) == ""


def _items(idx, **cols) -> pd.DataFrame:
    out = pd.DataFrame({c: cols.get(c, None) for c in ITEM_COLUMNS}, index=idx)
    return out.astype(object).where(out.notna(), None)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ITEM_COLUMNS})


def _with_county(frame: pd.DataFrame, county: str | None) -> pd.DataFrame:
    if county is not None and "county" not in frame:
        return frame.assign(county=county)
    return frame


def _col(df: pd.DataFrame | None, name: str) -> pd.Series:
    if df is None or name not in df:
        return pd.Series(None, index=None if df is None else df.index, dtype=object)
    return df[name]


# ---------------------------------------------------------------------------------------------------------------
# rule findings
# ---------------------------------------------------------------------------------------------------------------
def rule_item_ids(findings: pd.DataFrame, county: str | None = None) -> pd.Series:
    """The campaign item id of every finding (the ledger's 问题编号): source 规则, code = rule id, field = the
    finding's checked columns. Computed over the whole table in the order given (the engine's order), so duplicate
    keys get the same ``-2`` suffixes wherever the ids are computed."""
    f = _with_county(findings, county)
    return item_ids(f.assign(field=_col(f, "columns")), "规则", key_text(f["rule_id"]))


def visit_rules(catalogue: dict) -> list[str]:
    """Rule ids whose catalogue entry says ``visit: true``."""
    return sorted(rid for rid, spec in catalogue.items() if spec.get("visit") is True)


def rule_items(findings: pd.DataFrame | None, catalogue: dict, county: str | None = None) -> pd.DataFrame:
    """Findings of ``visit: true`` rules that name a household."""
    if findings is None or len(findings) == 0:
        return _empty()
    f = findings.reset_index(drop=True)
    ids = rule_item_ids(f, county)
    rid = key_text(f["rule_id"])
    keep = rid.isin(visit_rules(catalogue)) & ~_blank(_col(f, "hh_id"))
    if not keep.any():
        return _empty()
    f, ids, rid = f[keep], ids[keep], rid[keep]
    name = key_text(_col(f, "rule_name"))
    msg = key_text(_col(f, "message"))
    category = rid.map(lambda r: (catalogue.get(r) or {}).get("category"))
    return _items(
        f.index,
        item_id=ids,
        hh_id=key_text(f["hh_id"]),
        person_id=key_text(_col(f, "person_id")),
        source="规则",
        rule_id=rid,
        code=rid,
        short=rid + name,
        content=name.where(msg == "", name + "：" + msg),
        department=_col(f, "department").fillna(DEFAULT_DEPARTMENT),
        income_check=category.isin(INCOME_CATEGORIES),
    )


# ---------------------------------------------------------------------------------------------------------------
# audit criteria
# ---------------------------------------------------------------------------------------------------------------
def _money(x: pd.Series) -> pd.Series:
    v = pd.to_numeric(x, errors="coerce")
    return v.map(lambda a: "未知" if pd.isna(a) else f"{a:,.2f}")


def verdict_items(verdicts: pd.DataFrame | None, params: dict, county: str | None = None) -> pd.DataFrame:
    """One 收入 item per exited household whose verdict is not plain 保持脱贫/保持脱贫（兜底）, or whose income is
    below ``exit_line × visit.income_margin`` (code = the verdict)."""
    if verdicts is None or len(verdicts) == 0:
        return _empty()
    v = _with_county(verdicts.reset_index(drop=True), county)
    line = float(params["income"]["exit_line"])
    margin = float((params.get("visit") or {}).get("income_margin", DEFAULT_MARGIN))
    limit = line * margin
    verdict = key_text(v["verdict"])
    income = pd.to_numeric(_col(v, "income_pc"), errors="coerce")
    by_verdict = ~verdict.isin(PLAIN_KEPT)
    by_margin = ~by_verdict & (income < limit)
    keep = by_verdict | by_margin
    if not keep.any():
        return _empty()
    v, verdict, income, by_margin = v[keep], verdict[keep], income[keep], by_margin[keep]
    income_txt = "复核人均可支配收入 " + _money(income) + " 元"
    reasons = key_text(_col(v, "reasons"))
    content_v = "核查结论“" + verdict + "”：" + reasons.where(reasons != "", income_txt)
    content_m = income_txt + f"，低于脱贫线×{margin:g}（{limit:,.2f} 元），结论为“" + verdict + "”，入户核实收入"
    short = verdict.where(~by_margin, "收入接近脱贫线")
    return _items(
        v.index,
        item_id=item_ids(v, "收入", verdict),
        hh_id=key_text(v["hh_id"]),
        person_id="",
        source="收入",
        rule_id="",
        code=verdict,
        short="收入：" + short,
        content=content_v.where(~by_margin, content_m),
        department=verdict.map(VERDICT_DEPARTMENT).fillna(DEFAULT_DEPARTMENT),
        income_check=True,
    )


def needs_items(needs: pd.DataFrame | None, county: str | None = None) -> pd.DataFrame:
    """Every open basic-needs problem (code = problem type)."""
    if needs is None or len(needs) == 0:
        return _empty()
    n = _with_county(needs.reset_index(drop=True), county)
    kind = key_text(n["problem_type"])
    ev = key_text(_col(n, "evidence"))
    return _items(
        n.index,
        item_id=item_ids(n, "三保障", kind),
        hh_id=key_text(n["hh_id"]),
        person_id=key_text(_col(n, "person_id")),
        source="三保障",
        rule_id="",
        code=kind,
        short="三保障：" + kind,
        content=kind.where(ev == "", kind + "：" + ev),
        department=_col(n, "department").fillna(DEFAULT_DEPARTMENT),
        income_check=False,
    )


def dynamic_items(dynamic: pd.DataFrame | None, county: str | None = None) -> pd.DataFrame:
    """Every dynamic-management candidate (code = candidate type)."""
    if dynamic is None or len(dynamic) == 0:
        return _empty()
    d = _with_county(dynamic.reset_index(drop=True), county)
    kind = key_text(d["kind"])
    basis = key_text(_col(d, "basis"))
    return _items(
        d.index,
        item_id=item_ids(d, "动态管理", kind),
        hh_id=key_text(d["hh_id"]),
        person_id=key_text(_col(d, "person_id")),
        source="动态管理",
        rule_id="",
        code=kind,
        short="动态管理：" + kind + "候选",
        content=(kind + "候选").where(basis == "", kind + "候选：" + basis),
        department=DEFAULT_DEPARTMENT,
        income_check=False,
    )


def _is_false(s: pd.Series) -> pd.Series:
    return s.astype(object).map(lambda v: v is False or v is np.False_ or v in ("否", 0, "False", "false"))


def class_items(classes: pd.DataFrame | None, county: str | None = None) -> pd.DataFrame:
    """Every labour-class / measure mismatch (是否匹配 = 否; code 不匹配; item id code ``mismatch`` as the saved
    results' :func:`hgk_lib.results.with_item_ids`)."""
    if classes is None or len(classes) == 0:
        return _empty()
    c = _with_county(classes.reset_index(drop=True), county)
    c = c[_is_false(c["match"])]
    if c.empty:
        return _empty()
    now = key_text(_col(c, "measures_this_year")).replace("", "无")
    content = (
        "劳动能力类型“"
        + key_text(_col(c, "labour_class"))
        + "”，建议措施“"
        + key_text(_col(c, "recommended"))
        + "”，当年措施："
        + now
    )
    ids = c["item_id"] if "item_id" in c and c["item_id"].notna().all() else item_ids(c, "分类施策", "mismatch")
    return _items(
        c.index,
        item_id=ids,
        hh_id=key_text(c["hh_id"]),
        person_id="",
        source="分类施策",
        rule_id="",
        code="不匹配",
        short="分类施策：措施不匹配",
        content=content,
        department=DEFAULT_DEPARTMENT,
        income_check=False,
    )


def integrity_items(flags: pd.DataFrame | None, county: str | None = None) -> pd.DataFrame:
    """数据真实性复核: one item per (household, indicator) of a flagged integrity unit; ``flags`` has columns
    hh_id, indicator, text (the integrity screen's table; optional) and, from the county run
    (:func:`hgk_lib.integrity.wiring.visit_flags`), indicator_name and the saved ZS- ``item_id``, which is kept."""
    if flags is None or len(flags) == 0:
        return _empty()
    g = _with_county(flags.reset_index(drop=True), county)
    g = g[~_blank(g["hh_id"])]
    if g.empty:
        return _empty()
    ind = key_text(g["indicator"])
    text = key_text(_col(g, "text"))
    ids = item_ids(g, "数据真实性", ind)
    if "item_id" in g:  # the screen's own id (the same in the saved results, the visit plan and the record)
        ids = key_text(g["item_id"]).where(~_blank(g["item_id"]), ids)
    label = ind + np.where(key_text(_col(g, "indicator_name")) != "", " " + key_text(_col(g, "indicator_name")), "")
    return _items(
        g.index,
        item_id=ids,
        hh_id=key_text(g["hh_id"]),
        person_id="",
        source="数据真实性",
        rule_id="",
        code=ind,
        short="数据真实性复核：" + label,
        content="数据真实性复核（" + ind + "）" + np.where(text != "", "：" + text, ""),
        department=DEFAULT_DEPARTMENT,
        income_check=False,
    )


def visit_items(
    *,
    findings: pd.DataFrame | None,
    catalogue: dict,
    params: dict,
    verdicts: pd.DataFrame | None = None,
    needs: pd.DataFrame | None = None,
    dynamic: pd.DataFrame | None = None,
    classes: pd.DataFrame | None = None,
    integrity: pd.DataFrame | None = None,
    county: str | None = None,
) -> pd.DataFrame:
    """All visit items of one county (one row per item; :data:`ITEM_COLUMNS`), ordered by household, source, rule,
    person and id. ``county`` (the county folder) is part of every item id when the frames carry no county."""
    parts = [
        rule_items(findings, catalogue, county),
        verdict_items(verdicts, params, county),
        needs_items(needs, county),
        dynamic_items(dynamic, county),
        class_items(classes, county),
        integrity_items(integrity, county),
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty()
    out = pd.concat(parts, ignore_index=True)
    out = out[~_blank(out["hh_id"])]
    out["income_check"] = out["income_check"].map(lambda v: v is True or v is np.True_)
    rank = out["source"].map({s: i for i, s in enumerate(SOURCE_ORDER)})
    num = pd.to_numeric(key_text(out["rule_id"]).str[1:], errors="coerce").fillna(0)
    order = pd.DataFrame({"h": out["hh_id"], "s": rank, "r": num, "p": key_text(out["person_id"]), "i": out["item_id"]})
    out = out.loc[order.sort_values(list(order.columns), kind="mergesort").index].reset_index(drop=True)
    return out[ITEM_COLUMNS]
