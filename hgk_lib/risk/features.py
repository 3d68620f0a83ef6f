"""Household features for the return-risk model, from the registry only, and labels from 历史核查结果.

Design rules (docs/risk.md):

* features come from the registry tables, the audit's recomputed income and the rule findings; nothing an
  inspection produces is a feature (no leakage from the label);
* never ethnicity (民族), never sex, never a county or village dummy: the county and group attributes are kept in
  separate *group* columns, used only to audit the model per group, never to fit it;
* one row per household, vectorised (no loop over households).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import derive as D
from .. import schema as S

#: feature key -> Chinese label (the order is the model's column order)
FEATURES: dict[str, str] = {
    "n_active": "在册人数",
    "dependency_share": "非劳动年龄人口占比",
    "labour_class": "劳动能力（0有/1弱/2无）",
    "n_chronic": "长期慢性病人数",
    "n_serious": "患有大病人数",
    "n_disabled": "残疾人数",
    "income_pc": "复核人均可支配收入",
    "margin": "高出脱贫线比例",
    "margin_capped": "高出脱贫线比例（截断于-50%至100%）",
    "wage_share": "工资性收入占比",
    "business_share": "生产经营性收入占比",
    "transfer_share": "转移性收入占比",
    "policy_share": "政策性收入占比",
    "income_change": "人均收入同比变化",
    "years_since_exit": "脱贫年数",
    "unsafe_house": "危房（登记）",
    "no_safe_water": "未解决安全饮用水",
    "water_difficulty": "饮水困难",
    "no_power": "未通生活用电",
    "road_km": "距村主干路（公里）",
    "dirt_road": "入户路为泥土路",
    "arable_mu": "耕地面积（亩）",
    "kept_fix": "书面核查：保持脱贫（限期整改）",
    "net_exit": "书面核查：保持脱贫（兜底）",
    "not_kept": "书面核查：未保持脱贫",
    "quality_b": "书面核查：脱贫质量不稳定（B）",
    "n_measures_year": "当年帮扶措施数",
    "n_measure_kinds": "历年措施类别数",
    "has_dev_measure": "当年有发展类措施",
    "has_safety_net": "当年有兜底措施",
    "f_identity": "身份信息问题数",
    "f_structure": "家庭结构问题数",
    "f_person": "人员属性问题数",
    "f_income": "收入问题数",
    "f_social": "社保兜底问题数",
    "f_needs": "两不愁三保障问题数",
    "f_dynamic": "动态管理问题数",
    "f_measures": "措施项目问题数",
    "f_department": "部门比对问题数",
    "n_error": "错误级问题数",
    "n_warning": "警告级问题数",
    "n_policy": "政策级问题数",
}
#: the core set of the small logistic candidate (docs/risk.md): income margin, policy reliance, the desk audit's
#: result, health, labour, income trend, measures
CORE_FEATURES = (
    "margin_capped",
    "policy_share",
    "kept_fix",
    "net_exit",
    "not_kept",
    "quality_b",
    "n_serious",
    "n_chronic",
    "n_disabled",
    "labour_class",
    "income_change",
    "dependency_share",
    "has_dev_measure",
    "n_measures_year",
)
#: group attributes: audited per group, never fitted on
GROUP_COLUMNS = [
    "county",
    "county_code",
    "township",
    "village",
    "minority_county",
    "female_head",
    "elderly_only",
    "has_disability",
]
#: forbidden as features, checked by tests and by :func:`feature_matrix`
FORBIDDEN = {"ethnicity", "sex", "county", "county_code", "village", "township", "minority_county", "female_head"}

#: rule-id ranges of the catalogue categories (rules_catalog.md section numbers)
_CATEGORY_RANGES = [
    ("f_identity", 1, 9),
    ("f_structure", 10, 18),
    ("f_person", 19, 31),
    ("f_income", 32, 44),
    ("f_social", 45, 51),
    ("f_needs", 52, 61),
    ("f_dynamic", 62, 71),
    ("f_measures", 72, 87),
    ("f_department", 88, 95),
]
_LEVELS = {"错误": "n_error", "警告": "n_warning", "政策": "n_policy"}
_DEV_MEASURES = ["产业帮扶", "就业帮扶", "金融帮扶", "技能培训", "公益性岗位", "扶贫车间"]
_NET_MEASURES = ["低保兜底", "特困供养"]
_NAME_TO_CODE = {v: k for k, v in S.QINGYUAN_COUNTIES.items()}


def county_code(county: pd.Series) -> pd.Series:
    """County code from a county name (``英德市``), a folder name (``441881_英德市``) or a code."""
    s = county.astype(object).where(county.notna(), "").astype(str)
    codes, uniq = pd.factorize(s)  # a handful of distinct values: each worked out once
    u = pd.Series(uniq, dtype=s.dtype)
    code = u.str.extract(r"^(\d{6})", expand=False)
    by_name = u.str.replace(r"^\d{6}_?", "", regex=True).map(_NAME_TO_CODE)
    per_value = code.where(code.notna(), by_name).astype(object).to_numpy(dtype=object)
    return pd.Series(per_value[codes], index=county.index, name=county.name, dtype=object)


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df:
        return pd.Series(np.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[col], errors="coerce").astype(float)


def _flag(df: pd.DataFrame, col: str, value=True) -> pd.Series:
    """1.0 where ``col == value``, 0.0 where it holds another value, NaN where blank or absent."""
    if col not in df:
        return pd.Series(np.nan, index=df.index, dtype=float)
    s = df[col].astype(object)
    out = (s == value).astype(float)
    return out.where(s.notna(), np.nan)


def member_facts(member: pd.DataFrame, reference_date, params: dict) -> pd.DataFrame:
    """Per household: active counts, ages, health, labour class, female head, elderly-only (active members only).

    ``params``: flat year parameters (``working_age_min``, ``working_age_max``, ``pension_age``)."""
    p = params
    ref = pd.Timestamp(reference_date)
    m = member.assign(_birth=D.birth_dates(member, ref)) if "id_no" in member else member.assign(_birth=pd.NaT)
    m = m.assign(_age=D.age_on(m["_birth"], ref).astype(float), _active=D.is_active(m))
    act = m[m["_active"]]
    # working age [working_age_min, old_age): the audit's labour classes and R76 use the same two parameters
    wmin, old_age = int(p["working_age_min"]), int(p["old_age"])
    age = act["_age"]
    health = act["health"] if "health" in act else pd.Series(None, index=act.index, dtype=object)
    skill = act["labour_skill"].astype(object) if "labour_skill" in act else pd.Series(None, index=act.index)
    full = skill.isin(["普通劳动力", "技能劳动力"])
    weak = skill.eq("弱劳动力或半劳动力")
    per = pd.DataFrame(
        {
            "hh_id": act["hh_id"],
            "n_active": 1.0,
            "dep": ((age < wmin) | (age >= old_age)).astype(float).where(age.notna(), np.nan),
            "n_chronic": D.has_value(health, "长期慢性病").astype(float),
            "n_serious": D.has_value(health, "患有大病").astype(float),
            "n_disabled": D.has_value(health, "残疾").astype(float),
            "cap_full": (full & (age >= wmin) & (age < old_age)).astype(float),
            "cap_weak": ((weak & (age >= wmin)) | (full & (age >= old_age))).astype(float),
            "old": (age >= int(p["pension_age"])).astype(float).where(age.notna(), np.nan),
            "female_head": ((act["relation"].astype(object) == "户主") & (act["sex"].astype(object) == "女")).astype(
                float
            )
            if {"relation", "sex"} <= set(act.columns)
            else 0.0,
        }
    )
    g = per.groupby("hh_id", sort=False)
    out = g[["n_active", "n_chronic", "n_serious", "n_disabled", "cap_full", "cap_weak", "female_head"]].sum()
    out["dependency_share"] = g["dep"].mean()
    out["elderly_only"] = (g["old"].min() == 1).astype(float)
    out["labour_class"] = np.where(out["cap_full"] > 0, 0.0, np.where(out["cap_weak"] > 0, 1.0, 2.0))
    out["female_head"] = (out["female_head"] > 0).astype(float)
    out["has_disability"] = (out["n_disabled"] > 0).astype(float)
    return out.drop(columns=["cap_full", "cap_weak"])


def income_facts(
    income: pd.DataFrame, audit_year: int, n_active: pd.Series, count_medical: bool = False
) -> pd.DataFrame:
    """Per household: recomputed per-capita income of the audit year, component shares, year-on-year change."""
    inc = income.copy()
    items = [c for c in S.INCOME_ITEMS if c in inc and (c != "medical_reimb" or count_medical)]
    item_sum = inc[items].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=1) if items else None
    transfer = item_sum if item_sum is not None else _num(inc, "transfer_income")
    transfer = transfer.where(transfer.notna(), _num(inc, "transfer_income")).fillna(0.0)
    wage, bus = _num(inc, "wage").fillna(0.0), _num(inc, "business_income").fillna(0.0)
    cost, prop = _num(inc, "business_cost").abs().fillna(0.0), _num(inc, "property_income").fillna(0.0)
    disp = wage + bus - cost + prop + transfer - _num(inc, "transfer_out").fillna(0.0)
    policy_cols = [
        c
        for c in ["dibao_income", "tekun_income", "pension_income", "family_planning", "eco_comp", "other_transfer"]
        if c in inc
    ]
    policy = inc[policy_cols].apply(pd.to_numeric, errors="coerce").sum(axis=1) if policy_cols else transfer
    gross = (wage + bus.clip(lower=0) + prop.clip(lower=0) + transfer).where(lambda x: x > 0)
    frame = pd.DataFrame(
        {
            "hh_id": inc["hh_id"],
            "year": _num(inc, "year"),
            "disp": disp,
            "n_rec": _num(inc, "n_members"),
            "wage_share": wage / gross,
            "business_share": bus.clip(lower=0) / gross,
            "transfer_share": transfer / gross,
            "policy_share": (policy / disp.where(disp > 0)),
        }
    )
    frame = frame.drop_duplicates(["hh_id", "year"], keep="first")
    cur = frame[frame["year"] == audit_year].set_index("hh_id")
    prev = frame[frame["year"] == audit_year - 1].set_index("hh_id")
    a = n_active.reindex(cur.index).where(lambda x: x > 0)
    cur = cur.assign(income_pc=cur["disp"] / a)
    prev_pc = prev["disp"] / prev["n_rec"].where(prev["n_rec"] > 0)
    cur["income_change"] = (cur["income_pc"] - prev_pc.reindex(cur.index)) / prev_pc.reindex(cur.index).abs().where(
        lambda x: x > 0
    )
    return cur[["income_pc", "wage_share", "business_share", "transfer_share", "policy_share", "income_change"]]


def measure_facts(measure: pd.DataFrame, audit_year: int) -> pd.DataFrame:
    """Per household: measures in the audit year, kinds over all years, development / safety-net measures."""
    m = measure.assign(_y=_num(measure, "year"), _c=measure["category"].astype(object))
    cur = m[m["_y"] == audit_year]
    out = pd.DataFrame(
        {
            "n_measures_year": cur.groupby("hh_id").size().astype(float),
            "has_dev_measure": cur.assign(v=cur["_c"].isin(_DEV_MEASURES)).groupby("hh_id")["v"].any().astype(float),
            "has_safety_net": cur.assign(v=cur["_c"].isin(_NET_MEASURES)).groupby("hh_id")["v"].any().astype(float),
        }
    )
    kinds = m.groupby("hh_id")["_c"].nunique().astype(float).rename("n_measure_kinds")
    return out.join(kinds, how="outer")


def finding_counts(findings: pd.DataFrame | None) -> pd.DataFrame:
    """Per household: findings by catalogue category (from the rule number) and by level."""
    cols = [c for c, _, _ in _CATEGORY_RANGES] + list(_LEVELS.values())
    if findings is None or findings.empty or "hh_id" not in findings:
        return pd.DataFrame(columns=cols, dtype=float)
    f = findings[findings["hh_id"].notna()]
    num = pd.to_numeric(f["rule_id"].astype(str).str.extract(r"(\d+)", expand=False), errors="coerce")
    cat = pd.Series(None, index=f.index, dtype=object)
    for name, lo, hi in _CATEGORY_RANGES:
        cat = cat.where(~num.between(lo, hi), name)
    lev = f["level"].astype(object).map(_LEVELS) if "level" in f else pd.Series(None, index=f.index, dtype=object)
    by_cat = pd.crosstab(f["hh_id"], cat) if cat.notna().any() else pd.DataFrame(index=pd.Index([], name="hh_id"))
    by_lev = pd.crosstab(f["hh_id"], lev) if lev.notna().any() else pd.DataFrame(index=pd.Index([], name="hh_id"))
    out = by_cat.join(by_lev, how="outer")
    return out.reindex(columns=cols).astype(float)


def build_features(
    tables: dict[str, pd.DataFrame],
    params: dict,
    findings: pd.DataFrame | None = None,
    verdicts: pd.DataFrame | None = None,
    county: str | None = None,
) -> pd.DataFrame:
    """One row per household of the county (index ``hh_id``): :data:`FEATURES` columns + :data:`GROUP_COLUMNS`.

    ``params`` is the year's parameter file (sections) or a flat mapping with ``audit_year``, ``reference_date``
    and ``exit_line``. Where the audit's verdicts are given, its recomputed income, policy share, active count and
    labour class are used (one definition across the package); otherwise they are recomputed here.
    """
    flat = flatten_params(params)
    year, ref, line = int(flat["audit_year"]), flat["reference_date"], float(flat["exit_line"])
    hh = tables["household"].drop_duplicates("hh_id", keep="first").set_index("hh_id")
    out = pd.DataFrame(index=hh.index)
    mf = member_facts(tables["member"], ref, flat).reindex(out.index)
    out = out.join(mf)
    out["n_active"] = out["n_active"].fillna(0.0)
    inc = income_facts(tables["income"], year, out["n_active"], bool(flat.get("count_medical_reimbursement", False)))
    out = out.join(inc)
    if verdicts is not None and not verdicts.empty:
        v = verdicts.drop_duplicates("hh_id").set_index("hh_id")
        lab = {"有劳动能力": 0.0, "弱劳力半劳力": 1.0, "无劳动能力": 2.0}
        for col, src, fn in [
            ("income_pc", "income_pc", float),
            ("policy_share", "policy_share", float),
            ("n_active", "active_n", float),
        ]:
            if src in v:
                val = pd.to_numeric(v[src], errors="coerce").reindex(out.index)
                out[col] = val.where(val.notna(), out[col])
        if "verdict" in v:
            vd = v["verdict"].astype(object).reindex(out.index)
            known = vd.notna() & (vd != "")
            out["kept_fix"] = (vd == "保持脱贫（限期整改）").astype(float).where(known)
            out["net_exit"] = (vd == "保持脱贫（兜底）").astype(float).where(known)
            out["not_kept"] = (~vd.astype(str).str.startswith("保持脱贫")).astype(float).where(known)
        if "quality" in v:
            q = v["quality"].astype(object).reindex(out.index)
            # compare the code letter: the audit writes "B 不稳定"
            code = q.astype(str).str.strip().str[:1]
            out["quality_b"] = (code == "B").astype(float).where(q.notna() & (q.astype(str).str.strip() != ""))
        if "labour_class" in v:
            val = v["labour_class"].astype(object).map(lab).reindex(out.index)
            out["labour_class"] = val.where(val.notna(), out["labour_class"])
    out["margin"] = out["income_pc"] / line - 1.0
    out["margin_capped"] = out["margin"].clip(-0.5, 1.0)
    out["years_since_exit"] = (year - _num(hh, "exit_year")).where(_num(hh, "exit_year").notna())
    out["unsafe_house"] = pd.concat(
        [_flag(hh, "unsafe_house")] + [_flag(hh, "house_level", lv) for lv in flat["unsafe_house_levels"]], axis=1
    ).max(axis=1)
    out["no_safe_water"] = _flag(hh, "safe_water", False)
    out["water_difficulty"] = _flag(hh, "water_difficulty", True)
    out["no_power"] = _flag(hh, "power_living", False)
    out["road_km"] = _num(hh, "road_distance_km")
    out["dirt_road"] = pd.concat([_flag(hh, "road_type", t) for t in flat["unhardened_road_types"]], axis=1).max(axis=1)
    out["arable_mu"] = _num(hh, "arable_mu")
    if "measure" in tables and tables["measure"] is not None and "category" in tables["measure"]:
        out = out.join(measure_facts(tables["measure"], year))
    for c in ["n_measures_year", "n_measure_kinds", "has_dev_measure", "has_safety_net"]:
        out[c] = out[c].fillna(0.0) if c in out else 0.0
    fc = finding_counts(findings)
    out = out.join(fc)
    for c in fc.columns:
        out[c] = out[c].fillna(0.0)
    # group attributes (never features)
    cty = hh["county"].astype(object) if "county" in hh else pd.Series(county, index=hh.index, dtype=object)
    if county is not None:
        cty = cty.where(cty.notna(), county)
    out["county"] = cty
    code = county_code(cty)
    if county is not None:
        code = code.where(code.notna(), county_code(pd.Series([county] * len(hh), index=hh.index)))
    out["county_code"] = code
    out["township"] = hh["township"].astype(object) if "township" in hh else None
    out["village"] = hh["village"].astype(object) if "village" in hh else None
    out["minority_county"] = out["county_code"].isin(S.MINORITY_AUTONOMOUS_COUNTIES).astype(float)
    for c in ["female_head", "elderly_only", "has_disability"]:
        out[c] = out[c].fillna(0.0)
    out = out.reindex(columns=list(FEATURES) + GROUP_COLUMNS)
    out.index.name = "hh_id"
    return out


def county_risk_tables(
    tables: dict[str, pd.DataFrame],
    params: dict,
    findings: pd.DataFrame | None,
    verdicts: pd.DataFrame | None,
    county: str,
) -> dict[str, pd.DataFrame]:
    """What the spot-check draw needs of one county, computed once by the county run and saved with its results:

    * ``features``: :func:`build_features` (one row per household, ``hh_id`` a column), with the county folder,
      its code and the minority-county flag set from the folder name;
    * ``labels``: :func:`build_labels` of 历史核查结果 before the audit year;
    * ``contacts``: ``hh_id`` and the household's phone (the spot-check list's 联系电话).
    """
    year = int(flatten_params(params)["audit_year"])
    f = build_features(tables, params, findings, verdicts, county=county)
    f["county"] = county
    f["county_code"] = county[:6]
    f["minority_county"] = float(county[:6] in S.MINORITY_AUTONOMOUS_COUNTIES)
    hh = tables["household"].drop_duplicates("hh_id")
    phone = hh["phone"] if "phone" in hh else pd.Series(None, index=hh.index, dtype=object)
    return {
        "features": f.reset_index(),
        "labels": build_labels(tables.get("inspection"), year),
        "contacts": pd.DataFrame({"hh_id": hh["hh_id"].to_numpy(dtype=object), "phone": phone.to_numpy(dtype=object)}),
    }


def feature_matrix(features: pd.DataFrame) -> pd.DataFrame:
    """The model's input: the :data:`FEATURES` columns as float, in order (refuses a forbidden column)."""
    bad = FORBIDDEN & set(FEATURES)
    if bad:  # pragma: no cover - guarded by tests
        raise ValueError(f"forbidden features: {sorted(bad)}")
    return features.reindex(columns=list(FEATURES)).astype(float)


def build_labels(inspection: pd.DataFrame | None, audit_year: int | None = None) -> pd.DataFrame:
    """Labels from 历史核查结果: one row per household (its latest inspection before ``audit_year``).

    ``problem`` = 1 when 核查结论 ≠ 属实; ``inclusion_prob`` as recorded (NaN when blank or outside (0, 1]);
    ``weight`` = 1/入样概率 where known, NaN otherwise (see :func:`fill_weights`). Rows without a conclusion are
    dropped.
    """
    cols = ["hh_id", "year", "method", "problem", "inclusion_prob", "weight", "verified_income_pc"]
    if inspection is None or inspection.empty:
        return pd.DataFrame(columns=cols)
    ins = inspection[inspection["conclusion"].notna()].copy()
    ins["year"] = _num(ins, "year")
    if audit_year is not None:
        ins = ins[~(ins["year"] > audit_year)]
    ins = ins.sort_values(["hh_id", "year"]).drop_duplicates("hh_id", keep="last")
    pi = _num(ins, "inclusion_prob")
    pi = pi.where((pi > 0) & (pi <= 1))
    return pd.DataFrame(
        {
            "hh_id": ins["hh_id"].astype(object),
            "year": ins["year"],
            "method": ins["method"].astype(object) if "method" in ins else None,
            "problem": (ins["conclusion"].astype(object) != "属实").astype(int),
            "inclusion_prob": pi,
            "weight": 1.0 / pi,
            "verified_income_pc": _num(ins, "verified_income_pc"),
        },
        columns=cols,
    ).reset_index(drop=True)


def fill_weights(labels: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Training weights: 1/入样概率 where known; elsewhere the median of the known weights (1 if none is known).

    Returns ``(weight, imputed)``; the model card reports how many weights were imputed. Weights are clipped at the
    99th percentile of the known ones so a single tiny 入样概率 cannot dominate the fit.
    """
    w = pd.to_numeric(labels["weight"], errors="coerce")
    known = w.dropna()
    imputed = w.isna()
    fill = float(known.median()) if len(known) else 1.0
    w = w.fillna(fill)
    if len(known) >= 20:
        w = w.clip(upper=float(known.quantile(0.99)))
    return w.astype(float), imputed


def flatten_params(params: dict) -> dict:
    """Year parameter file (sections) -> flat mapping; a flat mapping passes through."""
    if "year" in params and isinstance(params["year"], dict):
        flat: dict = {}
        for sec, vals in params.items():
            if isinstance(vals, dict):
                flat.update({k: v for k, v in vals.items()})
        return flat
    return dict(params)
