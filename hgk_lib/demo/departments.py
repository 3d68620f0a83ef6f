"""Department lists (部门数据) consistent with the registry for clean people (canonical form)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import REF, _pick, _rand_dates

STAGE_OF = {
    "学前教育": "学前",
    "小学": "小学",
    "七年级": "初中",
    "八年级": "初中",
    "九年级": "初中",
    "高中一年级": "高中",
    "高中二年级": "高中",
    "高中三年级": "高中",
    "中职一年级": "中职",
    "中职二年级": "中职",
    "中职三年级": "中职",
    "高职一年级": "高职",
    "高职二年级": "高职",
    "高职三年级": "高职",
    "大专": "高职",
    "本科及以上": "大学",
}


def department_lists(rng, hh: pd.DataFrame, m: pd.DataFrame) -> dict[str, pd.DataFrame]:
    out = {}
    m = m.copy()
    active = (m["member_status"] == "正常").to_numpy()
    n = len(m)
    ss = m["school_status"].astype(object)
    m["_student"] = (ss.notna() & (ss != "非在校生")).to_numpy()
    m["_disabled"] = (m["health"].astype(object).fillna("").str.contains("残疾") & (m["_dis_cat"] > 0)).to_numpy()
    if "_dept_id" in m:
        m["id_no"] = m["_dept_id"].where(m["_dept_id"].notna(), m["id_no"])
    # 公安_户籍: every member row
    gone = (m["member_status"] != "正常").to_numpy()
    status = np.where(
        gone & (m["change_reason"].to_numpy() == "死亡"),
        "死亡",
        np.where(gone & m["change_reason"].isin(["嫁出", "迁出"]).to_numpy(), "迁出", "正常"),
    )
    cdate = pd.Series(m["change_date"]).where(status != "正常", pd.NaT)
    out["police"] = pd.DataFrame(
        {
            "id_no": m["id_no"].to_numpy(),
            "name": m["name"].to_numpy(),
            "hukou_status": status,
            "change_date": cdate.to_numpy(),
            "_county": m["_county"],
        }
    )
    # 教育_学籍
    stu = active & m["_student"].to_numpy()
    st = m["school_status"].map(STAGE_OF).to_numpy(dtype=object)
    st = np.where(m["school_status"].to_numpy() == "大专", np.where(rng.random(n) < 0.5, "高职", "大学"), st)
    ed = pd.DataFrame(
        {
            "id_no": m["id_no"].to_numpy()[stu],
            "stage": st[stu],
            "enrol_status": "在读",
            "_county": m["_county"].to_numpy()[stu],
        }
    )
    grad = active & ~m["_student"].to_numpy() & (m["_sage"].to_numpy() >= 16) & (m["_sage"].to_numpy() <= 22)
    gr = pd.DataFrame(
        {
            "id_no": m["id_no"].to_numpy()[grad],
            "stage": "初中",
            "enrol_status": "毕业",
            "_county": m["_county"].to_numpy()[grad],
        }
    )
    out["education"] = pd.concat([ed, gr], ignore_index=True)
    # 医保_参保: audit year and the year before
    rows = []
    prev = rng.random(n) < 0.9
    for flag, typ in (("ins_resident", "城乡居民"), ("ins_employee", "城镇职工")):
        ins = active & (m[flag].astype(object) == True).to_numpy()  # noqa: E712
        rows.append(
            pd.DataFrame(
                {
                    "id_no": m["id_no"].to_numpy()[ins],
                    "ins_type": typ,
                    "ins_year": 2019,
                    "_county": m["_county"].to_numpy()[ins],
                    "_o": np.flatnonzero(ins),
                }
            )
        )
        rows.append(
            pd.DataFrame(
                {
                    "id_no": m["id_no"].to_numpy()[ins & prev],
                    "ins_type": typ,
                    "ins_year": 2018,
                    "_county": m["_county"].to_numpy()[ins & prev],
                    "_o": np.flatnonzero(ins & prev),
                }
            )
        )
    out["medical"] = (
        pd.concat(rows, ignore_index=True)
        .sort_values(["_o", "ins_year"], ascending=[True, False], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )
    # 民政_低保特困
    dib = active & (m["dibao"].astype(object) == True).to_numpy()  # noqa: E712
    tek = active & (m["tekun"].astype(object) == True).to_numpy()  # noqa: E712
    k1, k2 = int(dib.sum()), int(tek.sum())
    civ = [
        pd.DataFrame(
            {
                "id_no": m["id_no"].to_numpy()[dib],
                "support_type": "低保",
                "start_date": _rand_dates(rng, "2014-03-01", "2019-06-30", k1).to_numpy(),
                "end_date": pd.NaT,
                "_county": m["_county"].to_numpy()[dib],
            }
        ),
        pd.DataFrame(
            {
                "id_no": m["id_no"].to_numpy()[tek],
                "support_type": "特困",
                "start_date": _rand_dates(rng, "2014-03-01", "2019-06-30", k2).to_numpy(),
                "end_date": pd.NaT,
                "_county": m["_county"].to_numpy()[tek],
            }
        ),
    ]
    # some earlier, ended 低保 spells of people no longer on 低保
    ended = active & ~dib & ~tek & (rng.random(n) < 0.02) & (m["_age"].to_numpy() >= 18)
    k3 = int(ended.sum())
    st3 = _rand_dates(rng, "2015-01-01", "2017-12-31", k3)
    civ.append(
        pd.DataFrame(
            {
                "id_no": m["id_no"].to_numpy()[ended],
                "support_type": "低保",
                "start_date": st3.to_numpy(),
                "end_date": (st3 + pd.to_timedelta(rng.integers(180, 500, size=k3), unit="D")).to_numpy(),
                "_county": m["_county"].to_numpy()[ended],
            }
        )
    )
    out["civil"] = pd.concat(civ, ignore_index=True)
    # 住建_危房: renovated houses (appraised C/D, completed)
    ren = hh["_renovated"].to_numpy()
    heads = m[active & (m["relation"].to_numpy() == "户主")].drop_duplicates("hh_id").set_index("hh_id")["id_no"]
    h = hh[ren]
    k = len(h)
    cd = pd.to_datetime(h["_renov_year"].astype(str) + "-03-01") + pd.to_timedelta(
        rng.integers(0, 180, size=k), unit="D"
    )
    cd = cd.where(cd <= REF, REF - pd.Timedelta(days=10))
    hid = h["hh_id"].map(heads).fillna(h["head_id"])
    out["housing"] = pd.DataFrame(
        {
            "head_id": hid.to_numpy(),
            "appraisal_level": _pick(rng, ["C", "D"], k, [0.7, 0.3]),
            "renovation_status": "已竣工",
            "completion_date": cd.to_numpy(),
            "_county": h["_county"].to_numpy(),
        }
    )
    # 残联_残疾人
    dis = active & m["_disabled"].to_numpy().astype(bool)
    out["disability"] = pd.DataFrame(
        {
            "id_no": m["id_no"].to_numpy()[dis],
            "dis_category": m["_dis_cat"].to_numpy()[dis].astype(int).astype(str),
            "dis_grade": m["_dis_grade"].to_numpy()[dis].astype(int).astype(str),
            "_county": m["_county"].to_numpy()[dis],
        }
    )
    # 比对_财产与身份: people already cleared (清退) from the registry
    cl = (m["member_status"] == "清退").to_numpy()
    out["property"] = pd.DataFrame(
        {"id_no": m["id_no"].to_numpy()[cl], "match_type": "财政供养人员", "_county": m["_county"].to_numpy()[cl]}
    )
    return out
