"""R19–R31 (人员属性). Ages: reference date 2019-09-30; school age on 2019-08-31."""

from helpers.rules_tables import fired, make_household, make_id, make_member, summary_row


def person(birth: str, **kw):
    """A member (not the head) born on ``birth`` (YYYY-MM-DD), ID consistent with the date."""
    sex = kw.pop("sex", "男")
    d = birth.replace("-", "")
    return make_member(
        **{
            "person_id": kw.pop("person_id", "P2"),
            "id_no": make_id(d, sex),
            "sex": sex,
            "birth_date": birth,
            "relation": "之子" if sex == "男" else "之女",
            **kw,
        }
    )


def T(*members, hh=None):
    members = [make_member()] + list(members)
    return {"household": hh or [make_household(hh_size=len(members))], "member": members}


def ids(f):
    return sorted(f["person_id"])


# -- R19 ---------------------------------------------------------------------------------------------------------
def test_r19_a_blank_or_unrecognised_key_columns():
    f = fired(
        "R19", T(person("1990-01-01", sex=None), person("1991-01-01", person_id="P3", labour_skill="能干")), part="a"
    )
    assert ids(f) == ["P2", "P3"]
    assert "能干" in f.set_index("person_id").loc["P3", "values"]


def test_r19_b_school_status_blank_age_band():
    six = person("2013-08-31", school_status=None, labour_skill="无劳动力", work_status=None, work_months=None)
    five = person(
        "2013-09-01", person_id="P3", school_status=None, labour_skill="无劳动力", work_status=None, work_months=None
    )
    f = fired("R19", T(six, five), part="b")
    assert ids(f) == ["P2"]
    age22 = person("1997-08-31", person_id="P4", school_status=None)
    age23 = person("1996-08-31", person_id="P5", school_status=None)
    assert ids(fired("R19", T(age22, age23), part="b")) == ["P4"]


def test_r19_c_education_blank_for_non_student():
    f = fired(
        "R19", T(person("2013-08-31", education=None, school_status="非在校生", labour_skill="无劳动力")), part="c"
    )
    assert ids(f) == ["P2"]
    assert fired("R19", T(person("2013-09-01", education=None, school_status="非在校生")), part="c").empty


def test_r19_d_healthy_with_other_value():
    f = fired("R19", T(person("1990-01-01", health="健康,残疾")), part="d")
    assert ids(f) == ["P2"] and "残疾" in f.iloc[0]["message"]
    assert fired("R19", T(person("1990-01-01", health="长期慢性病,残疾")), part="d").empty


# -- R20 ---------------------------------------------------------------------------------------------------------
def test_r20_primary_band_boundaries():
    ok14 = person("2005-08-31", school_status="小学", labour_skill="无劳动力")  # school age 14
    bad15 = person("2004-08-31", person_id="P3", school_status="小学", labour_skill="无劳动力")  # 15
    bad5 = person("2013-09-01", person_id="P4", school_status="小学", labour_skill="无劳动力")  # 5
    f = fired("R20", T(ok14, bad15, bad5))
    assert ids(f) == ["P3", "P4"]
    assert "应在6–14岁" in f.set_index("person_id").loc["P3", "message"]


def test_r20_tertiary_and_university_student_of_24():
    uni24 = person("1995-01-01", school_status="本科及以上", labour_skill="无劳动力")
    young = person("2002-09-01", person_id="P3", school_status="大专", labour_skill="无劳动力")  # 16
    at17 = person("2002-08-31", person_id="P4", school_status="高职一年级", labour_skill="无劳动力")  # 17
    assert ids(fired("R20", T(uni24, young, at17))) == ["P3"]


def test_r20_unknown_age_not_evaluated():
    m = person("2010-01-01", school_status="小学", id_no="X", birth_date=None, labour_skill="无劳动力")
    s = summary_row("R20", T(m))
    assert s["not_evaluated"] == 1 and s["findings"] == 0


# -- R21 ---------------------------------------------------------------------------------------------------------
def test_r21_education_minimums():
    ok = person("2007-08-31", education="初中", school_status="七年级", labour_skill="无劳动力")  # 12
    bad = person("2007-09-01", person_id="P3", education="初中", school_status="七年级", labour_skill="无劳动力")  # 11
    col_ok = person("2001-08-31", person_id="P4", education="大专")  # 18
    col_bad = person("2001-09-01", person_id="P5", education="本科及以上")  # 17
    assert ids(fired("R21", T(ok, bad, col_ok, col_bad))) == ["P3", "P5"]


# -- R22 ---------------------------------------------------------------------------------------------------------
def test_r22_parts():
    a = person(
        "2010-01-01", out_of_school_reason="因病", school_status="小学", health="长期慢性病", labour_skill="无劳动力"
    )
    b_ok = person("2004-08-31", person_id="P3", out_of_school_reason="其他", labour_skill="无劳动力")  # school age 15
    b_bad = person("2003-08-31", person_id="P4", out_of_school_reason="其他", labour_skill="无劳动力")  # 16
    c = person("2010-01-01", person_id="P5", out_of_school_reason="因病辍学", health="健康", labour_skill="无劳动力")
    d = person("2010-01-01", person_id="P6", out_of_school_reason="残疾", health="长期慢性病", labour_skill="无劳动力")
    f = fired("R22", T(a, b_ok, b_bad, c, d))
    got = set(zip(f["person_id"], f["part"]))
    assert got == {("P2", "a"), ("P4", "b"), ("P5", "c"), ("P6", "d")}


# -- R23 ---------------------------------------------------------------------------------------------------------
def test_r23_working_age_boundary():
    at16 = person("2003-09-30", labour_skill="普通劳动力")  # 16 on 2019-09-30
    at15 = person("2003-10-01", person_id="P3", labour_skill="普通劳动力")  # 15
    kid = person("2010-01-01", person_id="P4", labour_skill="无劳动力")
    f = fired("R23", T(at16, at15, kid), part="a")
    assert ids(f) == ["P3"]


def test_r23_old_age_boundary():
    at65 = person("1954-09-30", labour_skill="普通劳动力")
    at64 = person("1954-10-01", person_id="P3", labour_skill="技能劳动力")
    weak = person("1950-01-01", person_id="P4", labour_skill="弱劳动力或半劳动力")
    assert ids(fired("R23", T(at65, at64, weak), part="b")) == ["P2"]


# -- R24 ---------------------------------------------------------------------------------------------------------
def test_r24_students_of_working_age():
    st16 = person("2003-09-30", school_status="高中二年级", labour_skill="弱劳动力或半劳动力")
    st15 = person("2003-10-01", person_id="P3", school_status="高中一年级", labour_skill="普通劳动力")
    uni24 = person("1995-01-01", person_id="P4", school_status="本科及以上", labour_skill="无劳动力")
    assert ids(fired("R24", T(st16, st15, uni24))) == ["P2"]


# -- R25 ---------------------------------------------------------------------------------------------------------
def test_r25_a_healthy_adult_without_labour():
    bad = person("1990-01-01", health="健康", labour_skill="弱劳动力或半劳动力")
    at59 = person("1959-10-01", person_id="P3", health="健康", labour_skill="丧失劳动力")  # 59
    at60 = person("1959-09-30", person_id="P4", health="健康", labour_skill="丧失劳动力")  # 60
    student = person("2000-01-01", person_id="P5", health="健康", labour_skill="无劳动力", school_status="大专")
    sick = person("1990-01-01", person_id="P6", health="长期慢性病", labour_skill="弱劳动力或半劳动力")
    assert ids(fired("R25", T(bad, at59, at60, student, sick), part="a")) == ["P2", "P3"]


def test_r25_b_severe_grade_with_full_labour():
    sev = person("1990-01-01", health="残疾", disability_no=make_id("19900101") + "11")
    mild = person("1991-01-01", person_id="P3", health="残疾", disability_no=make_id("19910101") + "13")
    assert ids(fired("R25", T(sev, mild), part="b")) == ["P2"]


# -- R26 ---------------------------------------------------------------------------------------------------------
def test_r26_parts():
    a = person("1990-01-01", health="残疾", disability_no=None, labour_skill="弱劳动力或半劳动力")
    b = person("1991-01-01", person_id="P3", health="健康", disability_no=make_id("19910101") + "14")
    ok = person("1992-01-01", person_id="P4", health=None, disability_no=make_id("19920101") + "14")
    f = fired("R26", T(a, b, ok))
    assert set(zip(f["person_id"], f["part"])) == {("P2", "a"), ("P3", "b")}


# -- R27 ---------------------------------------------------------------------------------------------------------
def test_r27_months_range_and_consistency():
    m12 = person("1990-01-01", work_status="省外务工", work_months=12)
    m13 = person("1990-01-02", person_id="P3", work_status="省外务工", work_months=13)
    neg = person("1990-01-03", person_id="P4", work_status="省外务工", work_months=-1)
    zero = person("1990-01-04", person_id="P5", work_status="县外省内务工", work_months=0)
    idle = person("1990-01-05", person_id="P6", work_status="未务工", work_months=1)
    half = person("1990-01-06", person_id="P7", work_status="未务工", work_months=0.5)
    f = fired("R27", T(m12, m13, neg, zero, idle, half))
    assert set(zip(f["person_id"], f["part"])) == {("P3", "a"), ("P4", "a"), ("P5", "b"), ("P6", "c")}


# -- R28 ---------------------------------------------------------------------------------------------------------
def test_r28_unqualified_workers():
    a = person("1990-01-01", labour_skill="丧失劳动力", work_status="省外务工", work_months=6)
    b15 = person("2003-10-01", person_id="P3", labour_skill="无劳动力", work_status="未务工", work_months=2)
    b16 = person("2003-09-30", person_id="P4", labour_skill="普通劳动力", work_status="省外务工", work_months=2)
    c = person(
        "2000-01-01", person_id="P5", school_status="大专", labour_skill="无劳动力", work_months=3, work_status=None
    )
    f = fired("R28", T(a, b15, b16, c))
    got = set(zip(f["person_id"], f["part"]))
    assert ("P2", "a") in got and ("P3", "b") in got and ("P5", "c") in got
    assert not any(p == "P4" for p, _ in got)


# -- R29 ---------------------------------------------------------------------------------------------------------
def test_r29_public_welfare_posts():
    at69 = person("1950-09-30", pwj_post="保洁员", pwj_months=6, labour_skill="弱劳动力或半劳动力")  # 69
    at70 = person("1949-09-30", person_id="P3", pwj_post="保洁员", pwj_months=6, labour_skill="弱劳动力或半劳动力")
    st = person(
        "2001-01-01", person_id="P4", pwj_post="护林员", pwj_months=3, school_status="大专", labour_skill="无劳动力"
    )
    c = person("1980-01-01", person_id="P5", pwj_post="护林员", pwj_months=0)
    d = person("1980-01-02", person_id="P6", pwj_post=None, pwj_months=4)
    e = person("1980-01-03", person_id="P7", pwj_post="护路员", pwj_months=13)
    f = fired("R29", T(at69, at70, st, c, d, e))
    got = set(zip(f["person_id"], f["part"]))
    assert got == {("P3", "a"), ("P4", "b"), ("P5", "c"), ("P6", "d"), ("P7", "e")}


# -- R30 ---------------------------------------------------------------------------------------------------------
def test_r30_derived_labour_type():
    hh = [
        make_household(labour_type="无劳动能力"),
        make_household(hh_id="H2", labour_type="有劳动能力"),
        make_household(hh_id="H3", labour_type="无劳动能力"),
    ]
    members = [
        make_member(),
        make_member(hh_id="H2", person_id="A", id_no=make_id("19400101"), labour_skill="丧失劳动力"),
        make_member(hh_id="H3", person_id="B", id_no=make_id("19410101"), labour_skill="无劳动力"),
        make_member(hh_id="H3", person_id="C", id_no=make_id("19420101"), labour_skill=None, relation="配偶"),
    ]
    s = summary_row("R30", {"household": hh, "member": members})
    f = fired("R30", {"household": hh, "member": members})
    assert sorted(f["hh_id"]) == ["H1", "H2"]
    assert s["not_evaluated"] == 1  # H3: a blank 劳动技能 and nobody capable


def test_r30_one_person_household_consistent():
    assert fired("R30", T()).empty


# -- R31 ---------------------------------------------------------------------------------------------------------
def test_r31_causes():
    hh = [
        make_household(main_cause="因病"),
        make_household(hh_id="H2", main_cause="因病"),
        make_household(hh_id="H3", main_cause="因学"),
        make_household(hh_id="H4", main_cause="因残"),
        make_household(hh_id="H5", main_cause="缺资金", other_causes="缺技术,缺资金"),
    ]
    members = [
        make_member(),
        make_member(hh_id="H2", person_id="A", health="长期慢性病"),
        make_member(hh_id="H3", person_id="B"),
        make_member(hh_id="H4", person_id="C"),
        make_member(hh_id="H5", person_id="D"),
    ]
    f = fired("R31", {"household": hh, "member": members})
    assert set(zip(f["hh_id"], f["part"])) == {("H1", "a"), ("H3", "c"), ("H4", "b"), ("H5", "d")}


def test_r29_lower_age_boundary():
    at16 = person("2003-09-30", pwj_post="保洁员", pwj_months=6)
    at15 = person(
        "2003-10-01",
        person_id="P3",
        pwj_post="保洁员",
        pwj_months=6,
        labour_skill="无劳动力",
        work_status=None,
        work_months=None,
    )
    f = fired("R29", T(at16, at15), part="a")
    assert ids(f) == ["P3"]
