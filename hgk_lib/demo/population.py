"""The clean synthetic registry: households, members, income, measures, projects (canonical form, English keys).

Everything is generated city-wide with vectorised numpy/pandas; the only Python loops run over family templates,
years (2016-2019) and counties. The base population is *clean*: it satisfies every rule R01-R95 of
``rules_catalog.md`` and has no basic-needs problem. Defects are planted afterwards (:mod:`hgk_lib.demo.plant`).

Hidden helper columns start with ``_`` (they never reach the export).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import derive as D
from .. import schema as S
from . import names as NM

AUDIT_YEAR = 2019
REF = pd.Timestamp("2019-09-30")
CUTOFF = pd.Timestamp("2019-08-31")
YEARS = [2016, 2017, 2018, 2019]
OTHER_REGIONS = np.array(["440229", "440281", "431022", "452402", "440882", "445281", "441900", "440604"])
QY_REGIONS = np.array(list(S.QINGYUAN_COUNTIES))
FULL = ["普通劳动力", "技能劳动力"]
NONE = ["丧失劳动力", "无劳动力"]
CAPABLE = FULL + ["弱劳动力或半劳动力"]
LABOUR_MEASURES = ["就业帮扶", "公益性岗位", "扶贫车间", "技能培训"]

# family templates: slots (relation, sex, base slot or 'abs', lo, hi), weight
TEMPLATES = [
    ([("户主", "R", "abs", 60, 92)], 0.19),
    ([("户主", "M", "abs", 60, 88), ("配偶", "F", 0, -6, 1)], 0.17),
    ([("户主", "M", "abs", 60, 84), ("配偶", "F", 0, -6, 1), ("CHILD", "R", 0, -36, -22)], 0.08),
    (
        [
            ("户主", "M", "abs", 50, 72),
            ("配偶", "F", 0, -5, 1),
            ("CHILD", "M", 0, -30, -22),
            ("之儿媳", "F", 2, -4, 3),
            ("GRAND", "R", 2, -32, -19),
        ],
        0.07,
    ),
    (
        [
            ("户主", "M", "abs", 50, 72),
            ("配偶", "F", 0, -5, 1),
            ("CHILD", "M", 0, -30, -22),
            ("之儿媳", "F", 2, -4, 3),
            ("GRAND", "R", 2, -32, -19),
            ("GRAND", "R", 2, -34, -19),
        ],
        0.05,
    ),
    ([("户主", "M", "abs", 28, 55), ("配偶", "F", 0, -5, 2), ("CHILD", "R", 0, -34, -20)], 0.10),
    (
        [
            ("户主", "M", "abs", 30, 55),
            ("配偶", "F", 0, -5, 2),
            ("CHILD", "R", 0, -34, -20),
            ("CHILD", "R", 0, -38, -21),
        ],
        0.10,
    ),
    (
        [
            ("户主", "M", "abs", 33, 55),
            ("配偶", "F", 0, -5, 2),
            ("CHILD", "R", 0, -32, -20),
            ("CHILD", "R", 0, -36, -21),
            ("CHILD", "R", 0, -40, -22),
        ],
        0.04,
    ),
    (
        [("户主", "M", "abs", 30, 55), ("配偶", "F", 0, -5, 2), ("CHILD", "R", 0, -34, -21), ("之母", "F", 0, 20, 32)],
        0.06,
    ),
    ([("户主", "R", "abs", 30, 55), ("CHILD", "R", 0, -35, -20)], 0.05),
    ([("户主", "M", "abs", 30, 59)], 0.05),
    ([("户主", "M", "abs", 30, 59), ("之母", "F", 0, 20, 32)], 0.04),
]

MEASURE_CONTENT = {
    "产业帮扶": "发放种养殖产业奖补",
    "就业帮扶": "推荐务工就业并发放交通补贴",
    "公益性岗位": "安排村级公益性岗位",
    "扶贫车间": "扶贫车间就近就业",
    "金融帮扶": "扶贫小额信贷贴息",
    "教育帮扶": "发放教育生活费补助",
    "健康帮扶": "家庭医生签约与医疗救助",
    "住房安全保障": "危房改造补助",
    "饮水安全保障": "饮水工程入户",
    "低保兜底": "纳入农村低保",
    "特困供养": "纳入特困人员供养",
    "残疾人补贴": "发放残疾人两项补贴",
    "资产收益": "光伏资产收益分红",
    "技能培训": "参加职业技能培训",
    "其他": "节日慰问",
}
PROJECT_OF_MEASURE = {
    "产业帮扶": "产业发展",
    "就业帮扶": "就业扶贫",
    "技能培训": "就业扶贫",
    "金融帮扶": "金融扶贫",
    "教育帮扶": "教育扶贫",
    "健康帮扶": "健康扶贫",
    "资产收益": "资产收益",
    "住房安全保障": "住房改造",
    "扶贫车间": "就业扶贫",
}


# ---------------------------------------------------------------------------------------------------------------
def county_sizes(counties: list[str], total: int | None) -> dict[str, int]:
    """Households per county, in proportion to the county's share of the city's registry."""
    shares = np.array([NM.COUNTY_SHARES[c] for c in counties], dtype=float)
    if total is None:
        total = int(round(15000 * shares.sum()))
    raw = shares / shares.sum() * total
    n = np.floor(raw).astype(int)
    n[np.argsort(-(raw - n))[: total - n.sum()]] += 1
    return {c: max(int(k), 1) for c, k in zip(counties, n)}


def _pick(rng, arr, n, p=None):
    arr = np.asarray(arr, dtype=object)
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
    return arr[rng.choice(len(arr), size=n, p=p)]


def _names(rng, surname: np.ndarray, male: np.ndarray) -> np.ndarray:
    n = len(surname)
    g1m = _pick(rng, NM.GIVEN_MALE, n)
    g2m = _pick(rng, NM.GIVEN_MALE, n)
    g1f = _pick(rng, NM.GIVEN_FEMALE, n)
    g2f = _pick(rng, NM.GIVEN_FEMALE, n)
    two = rng.random(n) < 0.8
    g1 = np.where(male, g1m, g1f)
    g2 = np.where(male, g2m, g2f)
    given = np.where(two, g1.astype(object) + g2.astype(object), g1)
    return surname.astype(object) + given


def make_ids(rng, region: np.ndarray, birth: pd.Series, male: np.ndarray, taken: set | None = None) -> np.ndarray:
    """Valid GB 11643 IDs (unique among themselves and versus ``taken``)."""
    n = len(region)
    ymd = pd.Series(birth).dt.strftime("%Y%m%d").to_numpy(dtype="U8")
    reg = np.asarray(region).astype("U6")
    out = np.empty(n, dtype="U18")
    todo = np.arange(n)
    taken = set() if taken is None else taken
    for _ in range(50):
        if len(todo) == 0:
            break
        seq = rng.integers(0, 500, size=len(todo)) * 2 + np.where(male[todo], 1, 0)
        first17 = np.char.add(np.char.add(reg[todo], ymd[todo]), np.char.zfill(seq.astype("U3"), 3))
        digits = first17.view("U1").reshape(-1, 17).astype(np.int64) if len(todo) else np.zeros((0, 17), int)
        out[todo] = np.char.add(first17, D.check_chars_of_digits(digits).astype("U1"))
        s = pd.Series(out)
        clash = np.zeros(n, dtype=bool)
        if taken:
            clash[todo] = [x in taken for x in out[todo]]
        dup = s.duplicated(keep="first").to_numpy() | clash
        todo = np.flatnonzero(dup)
    res = out.astype(object)
    taken.update(res.tolist())
    return res


def _rand_dates(rng, start, end, n) -> pd.Series:
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    days = (end - start).days
    return pd.Series(start + pd.to_timedelta(rng.integers(0, days + 1, size=n), unit="D"))


# ---------------------------------------------------------------------------------------------------------------
def generate_households(rng, sizes: dict[str, int]) -> pd.DataFrame:
    parts = []
    for county, n in sizes.items():
        towns = NM.TOWNSHIPS[county]
        n_vill = max(2, int(round(n / len(towns) / 25)))
        tw = rng.dirichlet(np.full(len(towns), 4.0))
        t_idx = rng.choice(len(towns), size=n, p=tw)
        v_idx = rng.integers(0, n_vill, size=n)
        # village names: unique per township (first + second syllable)
        combos = np.array([a + b for a in NM.VILLAGE_FIRST for b in NM.VILLAGE_SECOND], dtype=object)
        vnames = {}
        for ti in range(len(towns)):
            sel = rng.choice(len(combos), size=n_vill, replace=False)
            vnames[ti] = combos[sel] + "村"
        vname_arr = np.stack([vnames[ti] for ti in range(len(towns))])
        df = pd.DataFrame({"_county": county, "_t": t_idx, "_v": v_idx})
        df = df.sort_values(["_t", "_v"], kind="stable").reset_index(drop=True)
        df["_seq"] = df.groupby(["_t", "_v"]).cumcount() + 1
        df["hh_id"] = (
            county
            + pd.Series(df["_t"] + 1).map("{:02d}".format)
            + pd.Series(df["_v"] + 1).map("{:03d}".format)
            + df["_seq"].map("{:05d}".format)
        )
        df["county"] = S.QINGYUAN_COUNTIES[county]
        df["township"] = np.array(towns, dtype=object)[df["_t"].to_numpy()]
        df["village"] = vname_arr[df["_t"].to_numpy(), df["_v"].to_numpy()]
        hamlet = _pick(rng, NM.VILLAGE_FIRST, n).astype(object) + _pick(rng, NM.VILLAGE_SECOND, n).astype(object)
        df["hamlet"] = hamlet + np.where(rng.random(n) < 0.5, "组", "")
        parts.append(df)
    hh = pd.concat(parts, ignore_index=True)
    hh["_template"] = rng.choice(
        len(TEMPLATES), size=len(hh), p=np.array([w for _, w in TEMPLATES]) / sum(w for _, w in TEMPLATES)
    )
    return hh


def generate_members(rng, hh: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for ti, (slots, _) in enumerate(TEMPLATES):
        h = hh[hh["_template"] == ti]
        n = len(h)
        if n == 0:
            continue
        k = len(slots)
        ages = np.zeros((n, k))
        male = np.zeros((n, k), dtype=bool)
        for j, (rel, sex, base, lo, hi) in enumerate(slots):
            off = rng.uniform(lo, hi + 0.999, size=n)
            ages[:, j] = off if base == "abs" else ages[:, base] + off
            if sex == "M":
                male[:, j] = True
            elif sex == "F":
                male[:, j] = False
            else:
                male[:, j] = rng.random(n) < (0.62 if rel == "户主" else 0.52)
        young = ages < 0.05  # children "not yet born" by the template: spread over the last 18 months
        ages = np.where(young, rng.uniform(0.05, 1.5, size=ages.shape), np.minimum(ages, 99))
        rels = []
        for j, (rel, *_rest) in enumerate(slots):
            if rel == "CHILD":
                rels.append(np.where(male[:, j], "之子", "之女"))
            elif rel == "GRAND":
                rels.append(np.where(male[:, j], "之孙子", "之孙女"))
            else:
                rels.append(np.full(n, rel, dtype=object))
        m = pd.DataFrame(
            {
                "hh_id": np.repeat(h["hh_id"].to_numpy(), k),
                "_county": np.repeat(h["_county"].to_numpy(), k),
                "_slot": np.tile(np.arange(k), n),
                "_agef": ages.ravel(),
                "_male": male.ravel(),
                "relation": np.stack(rels, axis=1).ravel().astype(object),
            }
        )
        parts.append(m)
    m = pd.concat(parts, ignore_index=True)
    m = m.sort_values(["hh_id", "_slot"], kind="stable").reset_index(drop=True)
    n = len(m)
    m["person_id"] = m["hh_id"] + (m["_slot"] + 1).map("{:02d}".format)
    days = np.floor(m["_agef"].to_numpy() * 365.25).astype(int)
    m["birth_date"] = pd.Series(REF - pd.to_timedelta(days, unit="D")).dt.normalize().to_numpy()
    m["sex"] = np.where(m["_male"], "男", "女").astype(object)
    # names: household surname for head/children/grandchildren; spouses and in-laws their own
    hh_surname = _surnames(rng, hh)
    sur_map = pd.Series(hh_surname, index=hh["hh_id"].to_numpy())
    own = _surnames_for(rng, m["_county"].to_numpy())
    same = m["relation"].isin(["户主", "之子", "之女", "之孙子", "之孙女", "之兄弟姐妹"]).to_numpy()
    surname = np.where(same, m["hh_id"].map(sur_map).to_numpy(dtype=object), own)
    m["name"] = _names(rng, surname.astype(object), m["_male"].to_numpy())
    # ethnicity
    eth = np.full(n, "汉族", dtype=object)
    u = rng.random(n)
    for c, (han, yao, zhuang) in NM.ETHNIC_MIX.items():
        sel = m["_county"].to_numpy() == c
        eth[sel & (u >= han) & (u < han + yao)] = "瑶族"
        eth[sel & (u >= han + yao)] = "壮族"
    m["ethnicity"] = eth
    # identity
    region = np.where(
        rng.random(n) < 0.85,
        m["_county"].to_numpy(dtype=object),
        np.where(rng.random(n) < 0.6, _pick(rng, QY_REGIONS, n), _pick(rng, OTHER_REGIONS, n)),
    )
    m["_region"] = region.astype(object)
    m["id_type"] = "居民身份证"
    m["id_no"] = make_ids(rng, m["_region"].to_numpy(dtype=object), m["birth_date"], m["_male"].to_numpy())
    m["member_status"] = "正常"
    m["change_reason"] = None
    m["change_date"] = pd.NaT
    m["phone"] = None
    adult = m["_agef"].to_numpy() >= 18
    has_phone = adult & (rng.random(n) < 0.5)
    m.loc[has_phone, "phone"] = _phones(rng, int(has_phone.sum()))
    return m


def _surnames(rng, hh):
    return _surnames_for(rng, hh["_county"].to_numpy())


def _surnames_for(rng, county: np.ndarray) -> np.ndarray:
    n = len(county)
    han = _pick(rng, NM.SURNAMES, n, NM.SURNAME_WEIGHTS)
    yao = _pick(rng, NM.SURNAMES_YAO, n)
    zh = _pick(rng, NM.SURNAMES_ZHUANG, n)
    u = rng.random(n)
    out = han.copy()
    out = np.where((county == "441826") & (u < 0.55), yao, out)
    out = np.where((county == "441825") & (u < 0.25), zh, out)
    out = np.where((county == "441825") & (u >= 0.25) & (u < 0.45), yao, out)
    return out.astype(object)


def _phones(rng, n):
    pre = _pick(
        rng, ["135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "187", "188", "134", "182"], n
    )
    rest = pd.Series(rng.integers(0, 10**8, size=n)).map("{:08d}".format).to_numpy(dtype=object)
    return pre.astype(object) + rest


# ---------------------------------------------------------------------------------------------------------------
def person_attributes(rng, m: pd.DataFrame) -> pd.DataFrame:
    """Health, schooling, education, labour, work, posts, insurance and pensions: all clean."""
    n = len(m)
    age = D.age_on(m["birth_date"], REF).to_numpy(dtype=float)
    sage = D.age_on(m["birth_date"], CUTOFF).to_numpy(dtype=float)
    m["_age"] = age
    m["_sage"] = sage
    u = rng.random((n, 4))
    old = age >= 60
    mid = (age >= 16) & ~old
    chronic = u[:, 0] < np.select([old, mid], [0.42, 0.11], 0.02)
    major = u[:, 1] < np.select([old, mid], [0.08, 0.045], 0.01)
    disabled = u[:, 2] < np.select([old, mid], [0.12, 0.09], 0.025)
    m["_chronic"], m["_major"], m["_disabled"] = chronic, major, disabled
    parts = np.stack([~(chronic | major | disabled), chronic, major, disabled], axis=1)
    labels = np.array(S.HEALTH, dtype=object)
    m["health"] = _join_flags(parts, labels)
    cat = rng.integers(1, 8, size=n)
    grade = np.where(rng.random(n) < 0.35, rng.integers(1, 3, size=n), rng.integers(3, 5, size=n))
    m["_dis_cat"] = np.where(disabled, cat, 0)
    m["_dis_grade"] = np.where(disabled, grade, 0)
    severe = disabled & (grade <= 2)
    m["_severe"] = severe
    m["disability_no"] = np.where(
        disabled, m["id_no"].astype(object) + cat.astype(str).astype(object) + grade.astype(str).astype(object), None
    )
    # schooling by school age
    sch = np.full(n, "非在校生", dtype=object)
    sch[(sage >= 3) & (sage <= 5) & (u[:, 3] < 0.8)] = "学前教育"
    sch[(sage >= 6) & (sage <= 11)] = "小学"
    sch[sage == 12] = "七年级"
    sch[sage == 13] = "八年级"
    sch[sage == 14] = "九年级"
    r = rng.random(n)
    sch[sage == 15] = np.where(r[sage == 15] < 0.5, "九年级", np.where(r[sage == 15] < 0.8, "高中一年级", "中职一年级"))
    for a, grades in (
        (16, ["高中一年级", "高中二年级", "中职一年级", "中职二年级"]),
        (17, ["高中二年级", "高中三年级", "中职二年级", "中职三年级"]),
        (18, ["高中三年级", "中职三年级", "高职一年级"]),
    ):
        sel = (sage == a) & (r < 0.7)
        sch[sel] = _pick(rng, grades, int(sel.sum()))
    sel = (sage >= 19) & (sage <= 22) & (r < 0.35)
    sch[sel] = _pick(rng, ["高职一年级", "高职二年级", "高职三年级", "大专", "本科及以上"], int(sel.sum()))
    m["school_status"] = sch
    student = sch != "非在校生"
    m["_student"] = student
    # education
    edu = np.full(n, None, dtype=object)
    e = rng.random(n)
    adult_ns = ~student & (sage >= 6)
    edu[adult_ns & (sage <= 22)] = np.where(e[adult_ns & (sage <= 22)] < 0.6, "初中", "高中")
    sel = adult_ns & (sage > 22) & (age < 60)
    edu[sel] = np.select([e[sel] < 0.2, e[sel] < 0.7, e[sel] < 0.94], ["小学", "初中", "高中"], "大专")
    sel = adult_ns & (age >= 60)
    edu[sel] = np.select([e[sel] < 0.4, e[sel] < 0.87], ["文盲或半文盲", "小学"], "初中")
    edu[student & (sage >= 6) & np.isin(sch, ["小学", "七年级", "八年级", "九年级"])] = "小学"
    edu[student & np.char.startswith(sch.astype(str), "高") & (sage >= 15)] = "初中"
    edu[student & np.char.startswith(sch.astype(str), "中职")] = "初中"
    edu[student & np.isin(sch, ["高职一年级", "高职二年级", "高职三年级", "大专", "本科及以上"])] = "高中"
    m["education"] = edu
    m["out_of_school_reason"] = None
    # labour skill
    lab = np.full(n, "无劳动力", dtype=object)
    L = rng.random(n)
    ill = chronic | major
    w = (age >= 16) & (age <= 59) & ~student
    lab[w & ~ill & ~disabled] = np.where(L[w & ~ill & ~disabled] < 0.8, "普通劳动力", "技能劳动力")
    sel = w & (chronic & ~major & ~disabled)
    lab[sel] = np.where(L[sel] < 0.6, "普通劳动力", "弱劳动力或半劳动力")
    sel = w & (major | disabled)
    lab[sel] = np.where(L[sel] < 0.6, "弱劳动力或半劳动力", "丧失劳动力")
    sel = (age >= 60) & (age <= 64)
    lab[sel] = np.where(
        ill[sel] | disabled[sel],
        np.where(L[sel] < 0.6, "弱劳动力或半劳动力", "丧失劳动力"),
        np.where(L[sel] < 0.5, "普通劳动力", "弱劳动力或半劳动力"),
    )
    sel = (age >= 65) & (age <= 74)
    lab[sel] = np.where(L[sel] < np.where(ill[sel], 0.35, 0.65), "弱劳动力或半劳动力", "丧失劳动力")
    sel = age >= 75
    lab[sel] = np.where(L[sel] < 0.15, "弱劳动力或半劳动力", np.where(L[sel] < 0.8, "丧失劳动力", "无劳动力"))
    sel = severe & (age >= 16) & ~student
    lab[sel] = np.where(L[sel] < 0.7, "丧失劳动力", "无劳动力")
    m["labour_skill"] = lab
    # soldiers (现役军人): a few healthy young men
    soldier = (age >= 18) & (age <= 24) & m["_male"].to_numpy() & ~student & np.isin(lab, FULL) & (rng.random(n) < 0.03)
    m["soldier"] = soldier
    # work
    cap = np.isin(lab, CAPABLE) & (age >= 16) & (age <= 59) & ~student & ~soldier
    works = cap & (rng.random(n) < np.where(np.isin(lab, FULL), 0.62, 0.2))
    ws = _pick(rng, S.WORK_STATUSES[:4], n, [0.25, 0.25, 0.4, 0.1])
    m["work_status"] = np.where(works, ws, "未务工")
    months = np.where(np.isin(lab, FULL), rng.integers(4, 13, size=n), rng.integers(2, 9, size=n))
    m["work_months"] = np.where(works, months, np.where(rng.random(n) < 0.6, 0, np.nan)).astype(float)
    # public-welfare posts
    post_ok = np.isin(lab, CAPABLE) & (age >= 16) & (age <= 69) & ~student & ~soldier & ~works
    post = post_ok & (rng.random(n) < np.where(age >= 50, 0.16, 0.06))
    m["pwj_post"] = np.where(post, _pick(rng, NM.POSTS, n), None)
    pm = np.where(rng.random(n) < 0.88, rng.integers(6, 13, size=n), rng.integers(3, 6, size=n))
    m["pwj_months"] = np.where(post, pm, np.nan).astype(float)
    m["_works"], m["_post"] = works, post
    # insurance and pensions
    employee = works & (age >= 20) & (age <= 55) & (rng.random(n) < 0.03)
    m["ins_resident"] = ~employee & ~soldier
    m["ins_employee"] = employee
    m["ins_critical"] = ~soldier
    m["pension_insured"] = (age >= 16) & ~student & ~soldier
    m["pension_receiving"] = age >= 60
    m["dibao"] = False
    m["tekun"] = False
    return m


def _join_flags(parts: np.ndarray, labels: np.ndarray) -> np.ndarray:
    out = np.full(len(parts), "", dtype=object)
    for j, lab in enumerate(labels):
        sep = np.where(out == "", "", ",")
        out = np.where(parts[:, j], out + sep + lab, out)
    return out


# ---------------------------------------------------------------------------------------------------------------
def household_attributes(rng, hh: pd.DataFrame, m: pd.DataFrame) -> pd.DataFrame:
    n = len(hh)
    g = m.groupby("hh_id", sort=False)
    agg = pd.DataFrame(
        {
            "A": g.size(),
            "ill": g["_chronic"].any() | g["_major"].any(),
            "dis": g["_disabled"].any(),
            "severe": g["_severe"].any(),
            "student": g["_student"].any(),
            "capable": m.assign(_c=m["labour_skill"].isin(CAPABLE)).groupby("hh_id", sort=False)["_c"].any(),
            "n_old": m.assign(_o=m["_age"] >= 60).groupby("hh_id", sort=False)["_o"].sum(),
            "min_age": g["_age"].min(),
            "max_age": g["_age"].max(),
            "workers": g["_works"].sum(),
            "posts": g["_post"].sum(),
        }
    )
    hh = hh.join(agg, on="hh_id")
    # labour class (audit_standards) and no-labour (R48)
    age = m["_age"].to_numpy()
    lab = m["labour_skill"].to_numpy()
    cls_full = pd.Series((age >= 16) & (age <= 64) & np.isin(lab, FULL)).groupby(m["hh_id"].to_numpy()).any()
    cls_weak = (
        pd.Series((age >= 16) & ((lab == "弱劳动力或半劳动力") | (np.isin(lab, FULL) & (age >= 65))))
        .groupby(m["hh_id"].to_numpy())
        .any()
    )
    hh["_class"] = np.where(
        hh["hh_id"].map(cls_full), "有劳动能力", np.where(hh["hh_id"].map(cls_weak), "弱劳力半劳力", "无劳动能力")
    )
    hh["labour_type"] = np.where(hh["capable"], "有劳动能力", "无劳动能力")
    # safety net
    nolab = ~hh["capable"].to_numpy()
    u = rng.random(n)
    tekun_hh = nolab & (hh["A"].to_numpy() == 1) & (hh["min_age"].to_numpy() >= 60) & (u < 0.5)
    dibao_hh = (
        (nolab & ~tekun_hh)
        | (~nolab & (hh["ill"] | hh["dis"]).to_numpy() & (rng.random(n) < 0.22))
        | (~nolab & (hh["n_old"].to_numpy() == hh["A"].to_numpy()) & (rng.random(n) < 0.3))
    )
    hh["_dibao"], hh["_tekun"] = dibao_hh, tekun_hh
    # causes (rules R31: cause must match the family)
    c = np.full(n, None, dtype=object)
    r = rng.random(n)
    ill, dis, stu = hh["ill"].to_numpy(), hh["dis"].to_numpy(), hh["student"].to_numpy()
    c[ill & (r < 0.62)] = "因病"
    r2 = rng.random(n)
    c[(c == None) & dis & (r2 < 0.75)] = "因残"  # noqa: E711
    r3 = rng.random(n)
    c[(c == None) & stu & (r3 < 0.3)] = "因学"  # noqa: E711
    weak = hh["_class"].to_numpy() != "有劳动能力"
    c[(c == None) & weak] = "缺劳力"  # noqa: E711
    rest = c == None  # noqa: E711
    c[rest] = _pick(
        rng,
        ["缺劳力", "缺资金", "缺技术", "因灾", "缺土地", "交通条件落后", "自身发展动力不足", "其他"],
        int(rest.sum()),
        [0.35, 0.2, 0.15, 0.06, 0.08, 0.05, 0.06, 0.05],
    )
    hh["main_cause"] = c
    oc = _pick(rng, ["缺资金", "缺技术", "缺劳力", "因灾", "交通条件落后"], n)
    oc2 = _pick(rng, ["缺土地", "缺水", "自身发展动力不足"], n)
    other = np.where(rng.random(n) < 0.4, oc, None)
    other = np.where((other != None) & (rng.random(n) < 0.3), other.astype(str).astype(object) + "," + oc2, other)  # noqa
    oth = pd.Series(other, dtype=object)
    hh["other_causes"] = _drop_main(oth, pd.Series(c, dtype=object))
    # identification and exit
    fy = _pick(rng, [2014, 2015, 2016, 2017, 2018, 2019], n, [0.55, 0.2, 0.12, 0.08, 0.04, 0.01]).astype(int)
    hh["first_year"] = fy
    st = _pick(rng, [S.EXIT_ENJOY, S.EXIT_NO_POLICY, S.EXIT_NOT, S.EXIT_RETURNED], n, [0.73, 0.16, 0.095, 0.015])
    st = np.where((fy == 2019) & np.isin(st, S.EXITED) & (rng.random(n) < 0.7), S.EXIT_NOT, st)
    hh["exit_status"] = st
    lo = np.maximum(fy, 2016)
    ey = lo + np.floor(rng.random(n) * (2020 - lo)).astype(int)
    ey = np.where(rng.random(n) < 0.35, np.maximum(lo, 2018), ey)
    ey = np.minimum(ey, 2019)
    exited = np.isin(st, S.EXITED)
    returned = st == S.EXIT_RETURNED
    hh["exit_year"] = pd.array(np.where(exited | returned, ey, 0), dtype="Int64")
    hh.loc[~(exited | returned), "exit_year"] = pd.NA
    kind = np.where(tekun_hh, 2, np.where(dibao_hh, 1, 0))
    hh["hh_type"] = np.where(
        exited,
        np.array(["一般脱贫户", "低保脱贫户", "特困供养脱贫户"])[kind],
        np.array(["一般贫困户", "低保贫困户", "特困供养贫困户"])[kind],
    ).astype(object)
    hh["id_standard"] = _pick(rng, S.ID_STANDARDS, n, [0.15, 0.8, 0.05])
    # contact, bank, helper
    hh["phone"] = _phones(rng, n)
    hh["bank_name"] = _pick(rng, NM.BANKS, n, [0.5, 0.2, 0.15, 0.15])
    hh["bank_account"] = ("6217" + pd.Series(rng.integers(0, 10**15, size=n)).map("{:015d}".format)).to_numpy(object)
    helper_sur = _pick(rng, NM.SURNAMES, n, NM.SURNAME_WEIGHTS)
    hh["helper_name"] = _names(rng, helper_sur, rng.random(n) < 0.6)
    hh["helper_phone"] = _phones(rng, n)
    hh["last_visit"] = _rand_dates(rng, "2018-10-08", "2019-09-26", n).to_numpy()
    # living conditions (clean)
    hh["unsafe_house"] = False
    hh["house_level"] = _pick(rng, ["A", "B", None], n, [0.55, 0.3, 0.15])
    hh["house_area"] = np.round(rng.uniform(35, 160, size=n), 1)
    hh["safe_water"] = True
    hh["water_difficulty"] = False
    hh["power_living"] = True
    hh["power_production"] = rng.random(n) < 0.92
    hh["road_distance_km"] = np.round(rng.uniform(0.0, 4.8, size=n) * rng.random(n), 1)
    hh["road_type"] = _pick(rng, ["水泥路", "砂石路", "柏油路"], n, [0.8, 0.12, 0.08])
    hh["sanitary_toilet"] = rng.random(n) < 0.93
    A = hh["A"].to_numpy()
    hh["arable_mu"] = np.round(np.where(rng.random(n) < 0.85, rng.uniform(0.3, 1.8, size=n) * A, 0), 1)
    forest = np.where(rng.random(n) < 0.45, np.round(rng.uniform(1, 12, size=n) * A, 1), 0.0)
    hh["forest_mu"] = forest
    hh["grain_to_green_mu"] = np.where(
        (forest > 0) & (rng.random(n) < 0.4), np.round(forest * rng.uniform(0.1, 0.8, n), 1), 0.0
    )
    # renovated houses (住建 list: appraised C/D, completed)
    hh["_renovated"] = rng.random(n) < 0.15
    hh["_renov_year"] = rng.integers(2016, 2020, size=n)
    return hh


def _drop_main(other: pd.Series, main: pd.Series) -> pd.Series:
    parts = other.fillna("").str.split(",")
    flat = parts.explode()
    mains = main.reindex(flat.index)
    flat = flat[(flat != "") & (flat != mains)]
    joined = flat.groupby(level=0).agg(",".join)
    out = joined.reindex(other.index)
    return out.astype(object).where(out.notna(), None)


# ---------------------------------------------------------------------------------------------------------------
def safety_net_flags(m: pd.DataFrame, hh: pd.DataFrame) -> pd.DataFrame:
    dib = m["hh_id"].map(hh.set_index("hh_id")["_dibao"]).fillna(False).astype(bool)
    tek = m["hh_id"].map(hh.set_index("hh_id")["_tekun"]).fillna(False).astype(bool)
    m["dibao"] = dib.to_numpy()
    m["tekun"] = tek.to_numpy()
    return m


def dynamic_events(rng, hh: pd.DataFrame, m: pd.DataFrame, taken: set) -> pd.DataFrame:
    """Clean 自然增减: deaths, marriages out, newborns, marriages in, a few 清退 rows (not the whole household)."""
    n = len(hh)
    # newborns and 嫁入 on active members
    fy_start = pd.to_datetime(m["hh_id"].map(hh.set_index("hh_id")["first_year"]).astype(int).astype(str) + "-01-01")
    newborn = (
        (m["birth_date"] >= fy_start) & (m["birth_date"] >= pd.Timestamp("2015-01-01")) & (rng.random(len(m)) < 0.7)
    )
    m.loc[newborn, "change_reason"] = "新生儿"
    m.loc[newborn, "change_date"] = m.loc[newborn, "birth_date"] + pd.to_timedelta(
        rng.integers(3, 200, size=int(newborn.sum())), unit="D"
    )
    m.loc[newborn, "change_date"] = m.loc[newborn, "change_date"].where(m.loc[newborn, "change_date"] <= REF, REF)
    married_in = (m["relation"] == "之儿媳") & (fy_start <= pd.Timestamp("2017-01-01")) & (rng.random(len(m)) < 0.25)
    d = _rand_dates(rng, "2017-03-01", "2019-06-30", int(married_in.sum()))
    m.loc[married_in, "change_reason"] = "嫁入"
    m.loc[married_in, "change_date"] = d.to_numpy()
    # removed members: extra rows
    pick = rng.random(n)
    dead = pick < 0.07
    out = (pick >= 0.07) & (pick < 0.09)
    cleared = (pick >= 0.09) & (pick < 0.10)
    rows = []
    for mask, status, reason, rel, age_lo, age_hi in (
        (dead, "自然减少", "死亡", "之父", 72, 96),
        (out, "自然减少", "嫁出", "之女", 20, 30),
        (cleared, "清退", "错误", "之兄弟姐妹", 25, 55),
    ):
        h = hh[mask]
        k = len(h)
        if k == 0:
            continue
        age = rng.uniform(age_lo, age_hi, size=k)
        cd = _rand_dates(rng, "2016-02-01", "2019-09-20", k)
        birth = (cd - pd.to_timedelta(np.floor(age * 365.25).astype(int), unit="D")).dt.normalize()
        male = np.full(k, rel in ("之父", "之兄弟姐妹"))
        if rel == "之兄弟姐妹":
            male = rng.random(k) < 0.6
        r = pd.DataFrame(
            {
                "hh_id": h["hh_id"].to_numpy(),
                "_county": h["_county"].to_numpy(),
                "_slot": 20 + len(rows),
                "relation": rel,
                "birth_date": birth.to_numpy(),
                "_male": male,
                "member_status": status,
                "change_reason": reason,
                "change_date": cd.to_numpy(),
            }
        )
        rows.append(r)
    extra = pd.concat(rows, ignore_index=True)
    k = len(extra)
    extra["person_id"] = extra["hh_id"] + (extra["_slot"] + 1).map("{:02d}".format)
    extra["sex"] = np.where(extra["_male"], "男", "女")
    extra["name"] = _names(rng, _surnames_for(rng, extra["_county"].to_numpy()), extra["_male"].to_numpy())
    extra["ethnicity"] = "汉族"
    extra["_region"] = extra["_county"]
    extra["id_type"] = "居民身份证"
    extra["id_no"] = make_ids(
        rng, extra["_region"].to_numpy(dtype=object), extra["birth_date"], extra["_male"].to_numpy(), taken
    )
    age = D.age_on(extra["birth_date"], REF).to_numpy(dtype=float)
    extra["_age"] = age
    extra["_sage"] = D.age_on(extra["birth_date"], CUTOFF).to_numpy(dtype=float)
    extra["health"] = np.where(extra["change_reason"] == "死亡", "长期慢性病", "健康")
    for col, val in (
        ("_chronic", False),
        ("_major", False),
        ("_disabled", False),
        ("_severe", False),
        ("_student", False),
        ("_works", False),
        ("_post", False),
        ("soldier", False),
        ("ins_employee", False),
        ("dibao", False),
        ("tekun", False),
    ):
        extra[col] = val
    extra["_dis_cat"] = 0
    extra["_dis_grade"] = 0
    extra["disability_no"] = None
    extra["school_status"] = "非在校生"
    extra["education"] = np.where(age >= 60, "小学", "初中")
    extra["out_of_school_reason"] = None
    extra["labour_skill"] = np.where(age >= 65, "丧失劳动力", "普通劳动力")
    extra["work_status"] = "未务工"
    extra["work_months"] = 0.0
    extra["pwj_post"] = None
    extra["pwj_months"] = np.nan
    extra["ins_resident"] = True
    extra["ins_critical"] = True
    extra["pension_insured"] = True
    extra["pension_receiving"] = age >= 60
    extra["phone"] = None
    m = pd.concat([m, extra[[c for c in extra.columns if c in m.columns or c.startswith("_")]]], ignore_index=True)
    m = m.sort_values(["hh_id", "_slot"], kind="stable").reset_index(drop=True)
    return m


# ---------------------------------------------------------------------------------------------------------------
def _fen(x):
    return np.round(np.asarray(x, dtype=float) * 100).astype(np.int64)


def generate_income(rng, hh: pd.DataFrame, m: pd.DataFrame) -> pd.DataFrame:
    """Income rows 2016..2019 (from max(2016, 首次识别年度)), amounts in fen internally; consistent totals."""
    n = len(hh)
    act = m[m["member_status"] == "正常"]
    hid = act["hh_id"].to_numpy()
    by = lambda v: pd.Series(v).groupby(hid).sum().reindex(hh["hh_id"]).fillna(0).to_numpy()  # noqa: E731
    age = act["_age"].to_numpy()
    n60 = by(age >= 60)
    n_dib = by(act["dibao"].to_numpy())
    n_tek = by(act["tekun"].to_numpy())
    wm = np.nan_to_num(act["work_months"].to_numpy(dtype=float))
    pm = np.nan_to_num(act["pwj_months"].to_numpy(dtype=float))
    work_rate = rng.uniform(2200, 4200, size=len(act))
    pwj_rate = rng.uniform(800, 1500, size=len(act))
    wage_work = by(np.where(act["_works"], wm * work_rate, 0))
    wage_pwj = by(np.where(act["_post"], pm * pwj_rate, 0))
    A = hh["A"].to_numpy()
    pension = n60 * rng.uniform(1776, 2400, size=n)
    dib = n_dib * rng.uniform(3000, 4600, size=n)
    tek = n_tek * rng.uniform(9000, 12500, size=n)
    fp = np.where(rng.random(n) < 0.08, rng.choice([1200, 2400, 3600], size=n), 0)
    eco = np.where(
        (hh["forest_mu"].to_numpy() > 0) & (rng.random(n) < 0.6),
        hh["forest_mu"].to_numpy() * rng.uniform(18, 32, size=n),
        0,
    )
    ill = hh["ill"].to_numpy()
    med = np.where(ill & (rng.random(n) < 0.7), rng.uniform(300, 14000, size=n), 0)
    other = np.where(rng.random(n) < 0.3, rng.uniform(100, 1500, size=n), 0)
    div = np.where(rng.random(n) < 0.6, rng.uniform(300, 1500, size=n), 0)
    prop = div + np.where(rng.random(n) < 0.2, rng.uniform(50, 800, size=n), 0)
    tout = np.where(rng.random(n) < 0.2, rng.uniform(50, 600, size=n), 0)
    # business: any capable member aged 16-74 (farming)
    farm_ok = by(np.isin(act["labour_skill"].to_numpy(), CAPABLE) & (age >= 16) & (age <= 74)) > 0
    bus = np.where(farm_ok, rng.uniform(1500, 9000, size=n), 0)
    cost_ratio = rng.uniform(0.2, 0.5, size=n)
    # target verdict income per person by status
    st = hh["exit_status"].to_numpy()
    u = rng.random(n)
    tgt = np.exp(rng.normal(np.log(13500), 0.35, size=n))
    tgt = np.where(u < 0.004, rng.uniform(2500, 3990, size=n), tgt)
    tgt = np.where((u >= 0.004) & (u < 0.035), rng.uniform(5000, 8390, size=n), tgt)
    tgt = np.where((u >= 0.035) & (u < 0.24), rng.uniform(8450, 10080, size=n), tgt)
    tgt = np.where(st == S.EXIT_NOT, rng.uniform(3500, 8200, size=n), tgt)
    tgt = np.where(st == S.EXIT_RETURNED, rng.uniform(2500, 6000, size=n), tgt)
    fixed = prop + fp + dib + tek + pension + eco + other - tout + wage_pwj
    earned = wage_work + bus * (1 - cost_ratio)
    need = tgt * A - fixed
    f = np.where(earned > 0, np.clip(need / np.maximum(earned, 1), 0.25, 5.0), 0)
    wage_work = wage_work * f
    min_work = by(np.where(act["_works"], wm * 600, 0))
    wage_work = np.maximum(wage_work, min_work)
    bus = np.where(bus > 0, np.maximum(bus * f, 800), 0)
    cost = np.where(bus > 0, np.maximum(bus * cost_ratio, 100), 0)
    # top up exited households meant to be above the line (business, else wages, else support from relatives)
    ipre = (wage_work + wage_pwj + bus - cost + prop + fp + dib + tek + pension + eco + other - tout) / np.maximum(A, 1)
    up = (tgt >= 8400) & (ipre < tgt) & np.isin(st, S.EXITED)
    gap = np.where(up, (tgt - ipre) * A, 0)
    use_bus = up & (bus > 0)
    use_wage = up & ~use_bus & (wage_work > 0)
    use_other = up & ~use_bus & ~use_wage
    bus = np.where(use_bus, bus + gap / (1 - cost_ratio), bus)
    cost = np.where(use_bus, bus * cost_ratio, cost)
    wage_work = np.where(use_wage, wage_work + gap, wage_work)
    other = np.where(use_other, other + gap, other)
    wage = wage_work + wage_pwj
    base = {
        "wage": wage,
        "wage_pwj": wage_pwj,
        "business_income": bus,
        "business_cost": cost,
        "property_income": prop,
        "property_dividend": div,
        "family_planning": fp,
        "dibao_income": dib,
        "tekun_income": tek,
        "pension_income": pension,
        "eco_comp": eco,
        "medical_reimb": med,
        "other_transfer": other,
        "transfer_out": tout,
    }
    base = {k: _fen(v) for k, v in base.items()}
    # growth back in time
    g = rng.uniform(1.04, 1.32, size=(n, 3))
    factors = {2019: np.ones(n)}
    for i, y in enumerate([2018, 2017, 2016]):
        factors[y] = factors[y + 1] / g[:, i]
    # member counts per year: removed members count before their change year; added ones not
    rem = m[m["member_status"] != "正常"]
    add = m[(m["member_status"] == "正常") & m["change_reason"].isin(["新生儿", "嫁入", "补录"])]
    fy = hh["first_year"].to_numpy()
    rows = []
    for y in YEARS:
        has = np.maximum(fy, 2016) <= y
        if y == AUDIT_YEAR:
            nm = A.copy()
        else:
            r_after = (
                pd.Series((rem["change_date"].dt.year > y).to_numpy() & (rem["member_status"] == "自然减少").to_numpy())
                .groupby(rem["hh_id"].to_numpy())
                .sum()
                .reindex(hh["hh_id"])
                .fillna(0)
                .to_numpy()
            )
            a_after = (
                pd.Series((add["change_date"].dt.year > y).to_numpy())
                .groupby(add["hh_id"].to_numpy())
                .sum()
                .reindex(hh["hh_id"])
                .fillna(0)
                .to_numpy()
            )
            nm = np.maximum(A + r_after - a_after, 1)
        row = {"hh_id": hh["hh_id"].to_numpy(), "year": y, "n_members": nm.astype(int)}
        for k, v in base.items():
            row[k] = np.round(v * factors[y]).astype(np.int64) if y != AUDIT_YEAR else v
        df = pd.DataFrame(row)[has]
        rows.append(df)
    inc = pd.concat(rows, ignore_index=True)
    inc = inc.sort_values(["hh_id", "year"], kind="stable").reset_index(drop=True)
    inc = finish_income(inc)
    inc["data_source"] = np.where(rng.random(len(inc)) < 0.93, "入户核实", "预估")
    return inc


def finish_income(inc: pd.DataFrame) -> pd.DataFrame:
    """Recompute 转移性收入, 家庭可支配收入, 人均可支配收入 from items (fen ints); then convert to yuan floats."""
    items = [
        "family_planning",
        "dibao_income",
        "tekun_income",
        "pension_income",
        "eco_comp",
        "medical_reimb",
        "other_transfer",
    ]
    inc["transfer_income"] = sum(inc[k] for k in items)
    d = (
        inc["wage"]
        + inc["business_income"]
        - inc["business_cost"].abs()
        + inc["property_income"]
        + inc["transfer_income"]
        - inc["transfer_out"]
    )
    inc["disposable_recorded"] = d
    nm = inc["n_members"].to_numpy()
    inc["disposable_pc_recorded"] = np.floor(d.to_numpy() / np.maximum(nm, 1) + 0.5).astype(np.int64)
    return inc


def income_to_yuan(inc: pd.DataFrame) -> pd.DataFrame:
    out = inc.copy()
    for c in [
        "wage",
        "wage_pwj",
        "business_income",
        "business_cost",
        "property_income",
        "property_dividend",
        "transfer_income",
        "family_planning",
        "dibao_income",
        "tekun_income",
        "pension_income",
        "eco_comp",
        "medical_reimb",
        "other_transfer",
        "transfer_out",
        "disposable_recorded",
        "disposable_pc_recorded",
    ]:
        out[c] = out[c].astype(float) / 100.0
    return out


# ---------------------------------------------------------------------------------------------------------------
def generate_measures(rng, hh: pd.DataFrame, m: pd.DataFrame) -> pd.DataFrame:
    """Measures 2016..2019 satisfying R73-R79 and the cause/labour matching; 2019 carries the needed ones."""
    act = m[m["member_status"] == "正常"]
    hid = act["hh_id"].to_numpy()
    anyb = lambda v: pd.Series(v).groupby(hid).any().reindex(hh["hh_id"]).fillna(False).to_numpy()  # noqa: E731
    ill = anyb((act["_chronic"] | act["_major"]).to_numpy())
    severe = anyb(act["_severe"].to_numpy())
    student = anyb(act["_student"].to_numpy())
    n = len(hh)
    cls = hh["_class"].to_numpy()
    cause = hh["main_cause"].to_numpy()
    fy = hh["first_year"].to_numpy()
    rows = []

    def add(mask, year, cat):
        if np.any(mask):
            rows.append(pd.DataFrame({"hh_id": hh["hh_id"].to_numpy()[mask], "year": year, "category": cat}))

    # audit year (2019): recommended by class, needs by health/disability/cause
    dev = _pick(rng, ["产业帮扶", "就业帮扶", "金融帮扶", "技能培训"], n, [0.45, 0.25, 0.15, 0.15])
    dev = np.where(cause == "缺资金", np.where(rng.random(n) < 0.5, "金融帮扶", "产业帮扶"), dev)
    dev = np.where(cause == "缺技术", "技能培训", dev)
    weak = _pick(rng, ["扶贫车间", "公益性岗位"], n, [0.4, 0.6])
    safety = np.where(hh["_tekun"].to_numpy(), "特困供养", "低保兜底")
    rec = np.select([cls == "有劳动能力", cls == "弱劳力半劳力"], [dev, weak], safety)
    for cat in np.unique(rec):
        add(rec == cat, AUDIT_YEAR, cat)
    add(ill | (cause == "因残"), AUDIT_YEAR, "健康帮扶")
    add(severe, AUDIT_YEAR, "残疾人补贴")
    add(student & ((cause == "因学") | (rng.random(n) < 0.5)), AUDIT_YEAR, "教育帮扶")
    add(~(cls == "有劳动能力") & np.isin(cause, ["缺资金"]), AUDIT_YEAR, "产业帮扶")
    add((cls != "无劳动能力") & (cause == "缺技术") & (rec != "技能培训"), AUDIT_YEAR, "技能培训")
    add(hh["_dibao"].to_numpy() & (rec != "低保兜底") & (rng.random(n) < 0.5), AUDIT_YEAR, "低保兜底")
    add(rng.random(n) < 0.3, AUDIT_YEAR, "资产收益")
    # earlier years: one or two generic measures per year from S
    for y in (2016, 2017, 2018):
        has = np.maximum(fy, 2016) <= y
        c1 = np.where(
            cls == "无劳动能力",
            _pick(rng, ["产业帮扶", "资产收益", "健康帮扶", "其他"], n),
            _pick(rng, ["产业帮扶", "就业帮扶", "技能培训", "金融帮扶", "资产收益", "公益性岗位"], n),
        )
        c1 = np.where(~ill & (c1 == "健康帮扶"), "资产收益", c1)
        for cat in np.unique(c1):
            add(has & (c1 == cat), y, cat)
        add(has & ill & (rng.random(n) < 0.5), y, "健康帮扶")
        add(has & hh["_renovated"].to_numpy() & (hh["_renov_year"].to_numpy() == y), y, "住房安全保障")
        add(has & student & (rng.random(n) < 0.4), y, "教育帮扶")
    add(hh["_renovated"].to_numpy() & (hh["_renov_year"].to_numpy() == 2019), AUDIT_YEAR, "住房安全保障")
    ms = pd.concat(rows, ignore_index=True)
    ms = ms.drop_duplicates(["hh_id", "year", "category"]).reset_index(drop=True)
    k = len(ms)
    ms["content"] = ms["category"].map(MEASURE_CONTENT)
    ms["amount"] = np.round(rng.uniform(200, 12000, size=k) / 10) * 10
    start = pd.to_datetime(ms["year"].astype(str) + "-01-01") + pd.to_timedelta(rng.integers(0, 170, size=k), unit="D")
    ms["start_date"] = start
    end = start + pd.to_timedelta(rng.integers(20, 200, size=k), unit="D")
    y19 = ms["year"].to_numpy() == AUDIT_YEAR
    done = ~y19 | (end <= pd.Timestamp("2019-09-25")).to_numpy() & (rng.random(k) < 0.75)
    ms["status"] = np.where(done, "已完成", "实施中")
    ms["end_date"] = end.where(done, pd.NaT)
    ms.loc[ms["end_date"] > pd.Timestamp("2019-09-25"), "end_date"] = pd.Timestamp("2019-09-25")
    # exit year needs one completed measure: force the first measure of the exit year to be completed
    ey = ms["hh_id"].map(hh.set_index("hh_id")["exit_year"]).astype("Int64")
    in_exit = (ms["year"] == ey).fillna(False).to_numpy()
    first_in_exit = in_exit & ~ms.duplicated(["hh_id", "year"]).to_numpy()
    fix = first_in_exit & (ms["status"] != "已完成").to_numpy()
    ms.loc[fix, "status"] = "已完成"
    ms.loc[fix, "end_date"] = np.minimum(ms.loc[fix, "start_date"] + pd.Timedelta(days=60), pd.Timestamp("2019-09-25"))
    eyv = ey.to_numpy(dtype=float, na_value=np.nan)
    yv = ms["year"].to_numpy()
    stage = np.where(np.isnan(eyv), "脱贫前", np.where(yv < eyv, "脱贫前", np.where(yv == eyv, "脱贫当年", "巩固提升")))
    st = ms["hh_id"].map(hh.set_index("hh_id")["exit_status"]).to_numpy()
    stage = np.where(st == S.EXIT_RETURNED, np.where(yv <= np.nan_to_num(eyv), stage, "脱贫前"), stage)
    ms["stage"] = np.where(rng.random(k) < 0.85, stage, None)
    ms["project_id"] = None
    ms = ms.sort_values(["hh_id", "year"], kind="stable").reset_index(drop=True)
    return ms


def generate_projects(rng, hh: pd.DataFrame, ms: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The county project libraries; links measures to 到户 projects; beneficiary counts match the links."""
    pcat = ms["category"].map(PROJECT_OF_MEASURE)
    link = pcat.notna().to_numpy() & (rng.random(len(ms)) < 0.6)
    info = hh.set_index("hh_id")
    town = ms["hh_id"].map(info["township"])
    county = ms["hh_id"].map(info["_county"])
    key = county + "|" + town + "|" + ms["year"].astype(str) + "|" + pcat.fillna("")
    codes, uniq = pd.factorize(key.where(link, None), sort=True)
    kdf = pd.Series(uniq).str.split("|", expand=True)
    kdf.columns = ["_county", "township", "year", "category"]
    kdf["year"] = kdf["year"].astype(int)
    kdf["_n"] = kdf.groupby(["_county", "year"]).cumcount() + 1
    kdf["project_id"] = "XM" + kdf["_county"] + kdf["year"].astype(str) + kdf["_n"].map("{:04d}".format)
    ms = ms.copy()
    ms.loc[link, "project_id"] = kdf["project_id"].to_numpy()[codes[link]]
    linked = ms[link]
    g = linked.groupby("project_id")
    nh = g["hh_id"].nunique()
    A = info["A"]
    people = (
        linked.drop_duplicates(["project_id", "hh_id"])
        .assign(_a=lambda d: d["hh_id"].map(A))
        .groupby("project_id")["_a"]
        .sum()
    )
    amount = g["amount"].sum()
    kdf["to_household"] = True
    kdf["village"] = None
    kdf["beneficiary_hh"] = kdf["project_id"].map(nh).astype(int)
    kdf["beneficiary_people"] = kdf["project_id"].map(people).astype(int)
    kdf["planned_invest_wan"] = np.round(kdf["project_id"].map(amount).to_numpy() / 10000 * 1.1 + 0.5, 2)
    # village infrastructure projects (not 到户)
    vil = hh.drop_duplicates(["_county", "township", "village"])[["_county", "township", "village"]]
    vil = vil[rng.random(len(vil)) < 0.5].reset_index(drop=True)
    vil["year"] = rng.integers(2016, 2020, size=len(vil))
    vil["category"] = _pick(rng, ["基础设施", "产业发展", "其他"], len(vil), [0.7, 0.2, 0.1])
    vil["to_household"] = False
    vil["beneficiary_hh"] = rng.integers(10, 80, size=len(vil))
    vil["beneficiary_people"] = vil["beneficiary_hh"] * rng.integers(2, 4, size=len(vil))
    vil["planned_invest_wan"] = np.round(rng.uniform(5, 120, size=len(vil)), 2)
    vil = vil.sort_values(["_county", "year"], kind="stable").reset_index(drop=True)
    base = kdf.groupby(["_county", "year"])["_n"].max()
    idx = pd.MultiIndex.from_arrays([vil["_county"], vil["year"]])
    start_n = pd.Series(base.reindex(idx).fillna(0).to_numpy(), index=vil.index).astype(int)
    vil["_n"] = start_n + vil.groupby(["_county", "year"]).cumcount() + 1
    vil["project_id"] = "XM" + vil["_county"] + vil["year"].astype(str) + vil["_n"].map("{:04d}".format)
    pr = pd.concat([kdf, vil], ignore_index=True)
    k = len(pr)
    names = {
        "产业发展": "产业发展奖补",
        "就业扶贫": "就业扶贫补助",
        "金融扶贫": "扶贫小额信贷贴息",
        "教育扶贫": "教育扶贫生活费补助",
        "健康扶贫": "健康扶贫医疗救助",
        "资产收益": "光伏发电资产收益",
        "住房改造": "农村危房改造",
        "基础设施": "村道硬底化",
        "其他": "村级公共服务提升",
    }
    pr["name"] = (
        pr["township"]
        + np.where(pr["village"].notna(), pr["village"].fillna(""), "")
        + pr["year"].astype(str)
        + "年"
        + pr["category"].map(names)
        + "项目"
    )
    pr["fund_source"] = _pick(
        rng, ["财政专项扶贫资金", "帮扶市资金", "省级财政资金", "社会帮扶资金"], k, [0.5, 0.25, 0.15, 0.1]
    )
    pr["implementer"] = pr["township"] + "人民政府"
    pr["performance_goal"] = "带动" + pr["beneficiary_hh"].astype(str) + "户贫困户稳定增收"
    y = pr["year"].to_numpy()
    start = pd.to_datetime(pr["year"].astype(str) + "-02-01") + pd.to_timedelta(rng.integers(0, 90, size=k), unit="D")
    end = start + pd.to_timedelta(rng.integers(60, 240, size=k), unit="D")
    status = np.where(
        y < 2019,
        np.where(rng.random(k) < 0.8, "已验收", "已完工"),
        np.where(end <= pd.Timestamp("2019-09-20"), "已完工", "实施中"),
    )
    pr["status"] = status
    pr["start_date"] = start
    pr["end_date"] = end.where(status != "实施中", pd.NaT)
    pr["publicized"] = True
    pr = pr.sort_values(["_county", "project_id"], kind="stable").reset_index(drop=True)
    return pr, ms
