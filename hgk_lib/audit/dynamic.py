"""Dynamic management candidates (自然减少 / 自然增加 / 补录 / 清退). Candidates only: nothing is removed or added.

* 自然减少: a member with 人员状态 正常 whom 公安_户籍 shows 死亡 or 迁出 on or before the reference date (R64, R65;
  the same test that leaves them out of the income divisor).
* 清退: an active member listed in 比对_财产与身份, or an ID18 active in two or more households of the county.
* 自然增加 / 补录: only where a department list links a person to a registered household. The export contract's
  lists carry no household key, so this runs only when a 公安_户籍 list comes with an ``hh_id`` column (a 户编号
  link); otherwise it is reported as not run.
* Households without an active member (audit_standards.md, "Verdict"): one household row (人编号 blank) of kind
  整户自然减少 (every member row 自然减少, or 正常 but shown dead or moved out by 公安), 整户清退 (every member row
  清退) or 空挂户 (no member rows, or a mix). Such a household gets no verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import derive as D
from .. import text as T
from .common import Base, col, isin, list_id18

DYNAMIC_COLUMNS = ["hh_id", "person_id", "kind", "basis", "source"]
KIND_EMPTY, KIND_EMPTY_DECREASE, KIND_EMPTY_EXIT = "空挂户", "整户自然减少", "整户清退"
#: Household-level kinds: households without an active member (no verdict; counted apart).
EMPTY_KINDS = [KIND_EMPTY_DECREASE, KIND_EMPTY_EXIT, KIND_EMPTY]
KINDS = ["自然减少", "自然增加", "补录", "清退"] + EMPTY_KINDS


def _frame(sub: pd.DataFrame, kind: str, basis, source: str) -> pd.DataFrame:
    b = basis[sub.index] if isinstance(basis, pd.Series) else pd.Series(basis, index=sub.index)
    return pd.DataFrame(
        {
            "hh_id": sub["hh_id"].to_numpy(dtype=object),
            "person_id": col(sub, "person_id").to_numpy(dtype=object),
            "kind": kind,
            "basis": b.to_numpy(dtype=object),
            "source": source,
        }
    )


def natural_decrease(base: Base) -> pd.DataFrame:
    m = base.members
    police = base.lists.get("police")
    hit = D.is_active(m) & m["police_gone"]
    sub = m[hit]
    if sub.empty or police is None:
        return _frame(sub, "自然减少", "", "公安_户籍")
    ref = base.p.reference_date
    pol = police.assign(_id=list_id18(police))
    date = pol["change_date"] if "change_date" in pol else pd.Series(pd.NaT, index=pol.index)
    gone = pol[isin(pol, "hukou_status", ["死亡", "迁出"]) & (date.isna() | (date <= ref)).fillna(False)]
    gone = gone.assign(_d=date[gone.index], _dead=gone["hukou_status"] == "死亡")
    # one line per person: a death before a move, then the latest date
    gone = gone.sort_values(["_dead", "_d"], ascending=[False, False], na_position="last").drop_duplicates("_id")
    dtxt = gone["_d"].dt.strftime("%Y-%m-%d").fillna("空")
    text = pd.Series(
        (
            "公安_户籍：户籍状态为" + gone["hukou_status"].astype(str) + "（变动日期" + dtxt + "），人员状态仍为正常"
        ).to_numpy(dtype=object),
        index=gone["_id"].to_numpy(dtype=object),
    )
    return _frame(sub, "自然减少", sub["id18"].map(text).fillna("公安_户籍：死亡或迁出"), "公安_户籍")


def exit_candidates(base: Base) -> tuple[list[pd.DataFrame], list[str]]:
    m = base.members
    am = m[m["active"]]
    out, notes = [], []
    prop = base.lists.get("property")
    if prop is not None:
        pr = (
            pd.DataFrame(
                {"_id": list_id18(prop).to_numpy(dtype=object), "t": col(prop, "match_type").to_numpy(dtype=object)}
            )
            .dropna()
            .drop_duplicates()
        )
        order = {"财政供养人员": 0, "名下车辆": 1, "名下商品房": 2, "工商注册": 3}
        pr = pr.assign(_o=pr["t"].map(order)).sort_values(["_id", "_o"])
        types = pr.groupby("_id")["t"].agg("、".join)
        sub = am[T.isin(am["id18"], types.index)]
        basis = "比对_财产与身份：" + sub["id18"].map(types) + "（需对照退出标准核实）"
        out.append(_frame(sub, "清退", basis, "比对_财产与身份"))
    else:
        notes.append("未提供比对_财产与身份：清退候选仅按多户登记判断")
    ids = am[am["id18"].notna()]
    n_hh = ids.groupby("id18")["hh_id"].nunique()
    multi = set(n_hh[n_hh >= 2].index)
    sub = ids[T.isin(ids["id18"], multi)]
    if len(sub):
        lists = sub.drop_duplicates(["id18", "hh_id"]).groupby("id18")["hh_id"].agg(lambda s: "、".join(sorted(s)))
        basis = "同一证件号码在" + sub["id18"].map(n_hh).astype(str) + "户登记为正常成员：" + sub["id18"].map(lists)
        out.append(_frame(sub, "清退", basis, "多户登记"))
    return out, notes


def natural_increase(base: Base) -> tuple[list[pd.DataFrame], list[str]]:
    police = base.lists.get("police")
    if police is None or "hh_id" not in police:
        return [], ["自然增加/补录未运行：部门数据中没有把人员关联到已登记户的名单（公安_户籍无户编号）"]
    pol = police.assign(_id=list_id18(police), hh_id=col(police, "hh_id"))
    pol = pol[
        isin(pol, "hukou_status", ["正常"]) & T.isin_series(pol["hh_id"], base.households["hh_id"]) & pol["_id"].notna()
    ]
    pol = pol[~T.isin(pol["_id"], base.members["id18"].dropna())].drop_duplicates("_id")
    birth = D.id_encoded_date(pol["_id"])
    fy = base.households.set_index("hh_id")["first_year"] if "first_year" in base.households else None
    first = pol["hh_id"].map(fy) if fy is not None else pd.Series(np.nan, index=pol.index)
    born_after = (birth.dt.year > pd.to_numeric(first, errors="coerce")).fillna(False).astype(bool)
    sub = pol.assign(person_id=None)
    a = _frame(sub[born_after], "自然增加", "公安_户籍：户内新增人员（识别后出生），未登记为成员", "公安_户籍")
    b = _frame(sub[~born_after], "补录", "公安_户籍：户内人员未登记为成员", "公安_户籍")
    return [a, b], []


def empty_households(base: Base) -> pd.DataFrame:
    """One row per household without an active member (any 脱贫状态), kind by its member rows' state."""
    h, m = base.households, base.members
    sub = h[h["A"] == 0]
    status = col(m, "member_status")
    gone = (status == "自然减少").fillna(False) | ((status == "正常").fillna(False) & m["police_gone"])
    out_ = (status == "清退").fillna(False)
    per = pd.DataFrame(
        {
            "hh_id": m["hh_id"],
            "n": 1,
            "gone": gone.astype(int),
            "out": out_.astype(int),
            "police": ((status == "正常").fillna(False) & m["police_gone"]).astype(int),
        }
    )
    g = per.groupby("hh_id")[["n", "gone", "out", "police"]].sum().reindex(sub["hh_id"]).fillna(0).astype(int)
    n, ng, no, npol = (g[c].to_numpy() for c in ("n", "gone", "out", "police"))
    kind = np.select(
        [(n > 0) & (ng == n), (n > 0) & (no == n)], [KIND_EMPTY_DECREASE, KIND_EMPTY_EXIT], default=KIND_EMPTY
    ).astype(object)
    counts = pd.Series(
        np.where(
            n == 0,
            "无任何成员记录",
            "成员记录"
            + pd.Series(n).astype(str)
            + "条（自然减少"
            + pd.Series(ng - npol).astype(str)
            + "人、清退"
            + pd.Series(no).astype(str)
            + "人、公安登记死亡或迁出"
            + pd.Series(npol).astype(str)
            + "人）",
        ),
        dtype=object,
    )
    exited = sub["exited"].to_numpy(dtype=bool)
    basis = (
        "整户无正常成员："
        + counts
        + pd.Series(np.where(exited, "；已脱贫户不作核查结论", ""), dtype=object)
        + "；核实后按动态管理办理"
    )
    src = np.where(npol > 0, "贫困人口信息、公安_户籍", "贫困人口信息")
    return pd.DataFrame(
        {
            "hh_id": sub["hh_id"].to_numpy(dtype=object),
            "person_id": None,
            "kind": kind,
            "basis": basis.to_numpy(dtype=object),
            "source": src.astype(object),
        },
        columns=DYNAMIC_COLUMNS,
    )


def dynamic_table(base: Base) -> tuple[pd.DataFrame, list[str]]:
    notes = []
    parts = [empty_households(base)]
    if "police" in base.lists:  # (no list: the county-level note says so)
        parts.append(natural_decrease(base))
    inc, n1 = natural_increase(base)
    ex, n2 = exit_candidates(base)
    parts += inc + ex
    notes += n1 + n2
    parts = [x for x in parts if len(x)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in DYNAMIC_COLUMNS}), notes
    df = pd.concat(parts, ignore_index=True)
    order = {k: i for i, k in enumerate(KINDS)}
    df = df.assign(_o=df["kind"].map(order)).sort_values(["_o", "hh_id"], kind="stable")
    return df[DYNAMIC_COLUMNS].reset_index(drop=True), notes
