"""R01–R09 (身份信息): a failing case and a passing case at the boundary for every rule, plus the legitimate edge
cases that must not be flagged (an elderly person with a region code created after birth, a lower-case x, ...)."""

import pytest

from helpers.rules_tables import (
    bad_check,
    fired,
    make_household,
    make_id,
    make_id15,
    make_member,
    make_table,
    summary_row,
)


def T(*members, households=None, drop=()):
    hh = households or [make_household()]
    return {"household": hh, "member": (list(members), drop) if drop else list(members)}


# -- R01 ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "id_type,id_no",
    [
        ("居民身份证", make_id()),
        ("居民身份证", make_id15()),
        (None, make_id()),
        ("残疾人证", make_id() + "12"),
        ("残疾人证", make_id() + "12AB"),
        ("残疾人证", make_id()),
        ("其他", "护照E12345678"),
    ],
)
def test_r01_accepts_allowed_forms(id_type, id_no):
    assert fired("R01", T(make_member(id_type=id_type, id_no=id_no))).empty


@pytest.mark.parametrize(
    "id_type,id_no",
    [
        ("居民身份证", None),
        ("居民身份证", make_id()[:17]),
        ("居民身份证", make_id() + "12"),
        ("其他", None),
        ("残疾人证", make_id() + "82"),
        ("居民身份证", make_id()[:17] + "Y"),
    ],
)
def test_r01_fires_on_blank_or_bad_form(id_type, id_no):
    f = fired("R01", T(make_member(id_type=id_type, id_no=id_no)))
    assert len(f) == 1
    assert f.iloc[0]["person_id"] == "P1"
    assert "证件号码" in f.iloc[0]["message"]


def test_r01_checks_all_member_rows_including_inactive():
    f = fired("R01", T(make_member(id_no=None, member_status="自然减少")))
    assert len(f) == 1 and f.iloc[0]["message"] == "证件号码为空"


def test_r01_lower_case_x_is_accepted_even_when_table_keeps_it():
    idx = "44188119800101123X".lower()
    t = T(make_member())
    m = make_table("member", t["member"])
    m["id_no"] = [idx]
    assert fired("R01", {"household": t["household"], "member": m}).empty


# -- R02 ---------------------------------------------------------------------------------------------------------
def test_r02_fires_on_wrong_check_character():
    good = make_id()
    f = fired("R02", T(make_member(id_no=bad_check(good))))
    assert len(f) == 1
    assert f'应为"{good[17]}"' in f.iloc[0]["message"]


def test_r02_passes_right_check_and_lower_case_x():
    # find a birth/sequence whose check character is X
    for seq in range(100, 200):
        i = make_id("19800101", seq=str(seq))
        if i.endswith("X"):
            break
    assert i.endswith("X")
    assert fired("R02", T(make_member(id_no=i.lower(), sex="男" if int(i[16]) % 2 else "女"))).empty
    assert fired("R02", T(make_member())).empty


def test_r02_not_applicable_to_15_digit_or_other_type():
    s = summary_row(
        "R02",
        T(make_member(id_no=make_id15()), make_member(person_id="P2", id_type="其他", id_no="12345678901234567A")),
    )
    assert s["evaluated"] == 0 and s["findings"] == 0


def test_r02_disability_card_body_checked():
    f = fired("R02", T(make_member(id_type="残疾人证", id_no=bad_check(make_id()) + "12")))
    assert len(f) == 1


# -- R03 ---------------------------------------------------------------------------------------------------------
def test_r03_fires_on_impossible_date():
    f = fired("R03", T(make_member(id_no=make_id("19800230"), birth_date=None)))
    assert len(f) == 1 and "不是有效日期" in f.iloc[0]["message"]


def test_r03_reference_date_boundary():
    born_on_ref = make_member(id_no=make_id("20190930"), birth_date=None, relation="之子")
    born_after = make_member(person_id="P2", id_no=make_id("20191001"), birth_date=None, relation="之子")
    f = fired("R03", T(born_on_ref, born_after))
    assert list(f["person_id"]) == ["P2"]
    assert "晚于基准日2019-09-30" in f.iloc[0]["message"]


def test_r03_age_max_boundary():
    aged_110 = make_member(id_no=make_id("19081001"), birth_date=None)  # 110 on 2019-09-30
    aged_111 = make_member(person_id="P2", id_no=make_id("19080930"), birth_date=None)  # 111
    f = fired("R03", T(aged_110, aged_111))
    assert list(f["person_id"]) == ["P2"]
    assert "111岁" in f.iloc[0]["message"]


def test_r03_elderly_with_new_region_code_not_flagged():
    # 441881 (英德市) was created in 1988; a person born in 1930 legitimately carries it
    m = make_member(id_no=make_id("19300505", region="441881"), birth_date="1930-05-05")
    assert fired("R03", T(m)).empty
    assert fired("R01", T(m)).empty


def test_r03_15_digit_encoded_date():
    f = fired("R03", T(make_member(id_no=make_id15("501301"), birth_date=None)))
    assert len(f) == 1


def test_r03_threshold_change_without_code():
    m = make_member(id_no=make_id("19300505"), birth_date=None)
    assert fired("R03", T(m)).empty
    assert len(fired("R03", T(m), age_max=80)) == 1


# -- R04 ---------------------------------------------------------------------------------------------------------
def test_r04_message_and_fire():
    f = fired("R04", T(make_member(sex="女", id_no=make_id(sex="男"))))
    assert len(f) == 1
    assert f.iloc[0]["message"] == '性别为"女"，但证件号码第17位为3（男）'
    assert f.iloc[0]["columns"] == "性别、证件号码"


def test_r04_passes_matching_sex_and_blank_sex():
    assert fired("R04", T(make_member(sex="女", id_no=make_id(sex="女")))).empty
    assert fired("R04", T(make_member(sex=None))).empty
    assert fired("R04", T(make_member(sex="F"))).empty  # unrecognised = blank


def test_r04_15_digit_uses_character_15():
    f = fired("R04", T(make_member(sex="男", id_no=make_id15(sex="女"), birth_date=None)))
    assert len(f) == 1 and "第15位为4（女）" in f.iloc[0]["message"]


# -- R05 ---------------------------------------------------------------------------------------------------------
def test_r05_fires_on_mismatch_and_invalid_date():
    a = make_member(birth_date="1980-01-02")
    b = make_member(person_id="P2", birth_date="1980-13-01")
    f = fired("R05", T(a, b))
    assert set(f["person_id"]) == {"P1", "P2"}
    assert "1980-13-01" in f.set_index("person_id").loc["P2", "values"]


def test_r05_passes_equal_date_and_blank():
    assert fired("R05", T(make_member(birth_date="1980-01-01"), make_member(person_id="P2", birth_date=None))).empty


def test_r05_not_compared_when_id_date_invalid():
    assert fired("R05", T(make_member(id_no=make_id("19800230"), birth_date="1980-02-28"))).empty


def test_r05_not_run_without_column():
    s = summary_row("R05", T(make_member(), drop=["birth_date"]))
    assert s["status"] == "未运行（无数据）" and "出生日期" in s["missing"]


# -- R06 ---------------------------------------------------------------------------------------------------------
def test_r06_shows_computed_id18():
    id15 = make_id15("500101")
    f = fired("R06", T(make_member(id_no=id15, birth_date=None)))
    first17 = id15[:6] + "19" + id15[6:]
    from helpers.rules_tables import check_char

    assert first17 + check_char(first17) in f.iloc[0]["message"]
    assert fired("R06", T(make_member())).empty


# -- R07 ---------------------------------------------------------------------------------------------------------
def test_r07_valid_numbers_pass():
    assert fired("R07", T(make_member(disability_no=make_id() + "12", health="残疾"))).empty
    assert fired("R07", T(make_member(disability_no=make_id() + "74AB"))).empty


def test_r07_parts():
    other = make_id("19700101")
    a = make_member(disability_no="12345")
    b = make_member(person_id="P2", disability_no=bad_check(make_id()) + "12")
    c = make_member(person_id="P3", disability_no=other + "12")
    f = fired("R07", T(a, b, c))
    got = set(zip(f["person_id"], f["part"]))
    assert ("P1", "a") in got and ("P2", "b") in got and ("P3", "c") in got
    assert ("P3", "a") not in got and ("P3", "b") not in got


def test_r07_grade_out_of_range():
    f = fired("R07", T(make_member(disability_no=make_id() + "15")))
    assert list(f["part"]) == ["a"]


def test_r07_not_run_without_column():
    assert summary_row("R07", T(make_member(), drop=["disability_no"]))["status"] == "未运行（无数据）"


# -- R08 ---------------------------------------------------------------------------------------------------------
def test_r08_duplicate_names_the_others():
    a = make_member()
    b = make_member(hh_id="H2", person_id="P7")
    f = fired("R08", T(a, b, households=[make_household(), make_household(hh_id="H2")]))
    assert len(f) == 2
    msg = f.set_index("person_id")["message"]
    assert "户编号H2/人编号P7" in msg["P1"] and "户编号H1/人编号P1" in msg["P7"]


def test_r08_15_and_18_digit_same_person():
    id15 = make_id15("500101")
    first17 = id15[:6] + "19" + id15[6:]
    from helpers.rules_tables import check_char

    f = fired(
        "R08",
        T(
            make_member(id_no=id15, birth_date=None),
            make_member(person_id="P2", id_no=first17 + check_char(first17), birth_date=None),
        ),
    )
    assert len(f) == 2


def test_r08_inactive_duplicate_not_flagged():
    assert fired("R08", T(make_member(), make_member(person_id="P2", member_status="自然减少"))).empty


# -- R09 ---------------------------------------------------------------------------------------------------------
def test_r09_not_run_with_one_county():
    s = summary_row("R09", T(make_member()))
    assert s["status"] == "未运行（无数据）"


def test_r09_fires_across_counties():
    others = {"441882_连州市": [make_member(hh_id="L5", person_id="L5-1")]}
    f = fired("R09", T(make_member()), others=others)
    assert len(f) == 1
    assert "441882_连州市" in f.iloc[0]["message"] and "L5" in f.iloc[0]["message"]
    assert "L5-1" in f.iloc[0]["message"]


def test_r09_other_county_inactive_row_passes():
    others = {
        "441882_连州市": [make_member(hh_id="L5", member_status="自然减少")],
        "441823_阳山县": [make_member(hh_id="Y1", id_no=make_id("19700101"))],
    }
    s = summary_row("R09", T(make_member()), others=others)
    assert s["status"] == "已运行" and s["findings"] == 0
