"""R62–R71 动态管理: a failing case and a passing case at each boundary, plus not-run cases."""

import pytest

from helpers.rules_tables import (
    HEAD_ID,
    fired,
    make_household,
    make_id,
    make_income_years,
    make_measure,
    make_member,
    make_project,
    summary_row,
)


def base(hh=None, members=None, measures=None, **extra):
    t = {
        "household": [make_household(**(hh or {}))],
        "member": members if members is not None else [make_member()],
        "income": make_income_years(),
        "measure": measures if measures is not None else [make_measure(year=y) for y in range(2016, 2020)],
        "project": [make_project()],
    }
    t.update(extra)
    return t


def second(**kw):
    row = dict(
        person_id="P2", name="王五", id_no=make_id("19820101", "女"), sex="女", birth_date="1982-01-01", relation="配偶"
    )
    row.update(kw)
    return make_member(**row)


# --------------------------------------------------------------------------------------------------------- R62
def test_r62_a_blank_or_unrecognised_status():
    f = fired("R62", base(members=[make_member(), second(member_status="迁走")]), part="a")
    assert len(f) == 1 and f.iloc[0]["values"] == "迁走"
    assert len(fired("R62", base(members=[make_member(), second(member_status=None)]), part="a")) == 1


@pytest.mark.parametrize(
    "status,reason,parts",
    [
        ("自然减少", None, ["b"]),
        ("自然减少", "新生儿", ["b", "d"]),
        ("正常", "迁出", ["c"]),
        ("清退", "补录", ["d"]),
        ("自然减少", "死亡", []),
        ("清退", "错误", []),
        ("正常", "新生儿", []),
        ("自然减少", "其他", []),
    ],
)
def test_r62_status_and_reason(status, reason, parts):
    t = base(members=[make_member(), second(member_status=status, change_reason=reason, change_date="2019-01-01")])
    assert sorted(fired("R62", t)["part"]) == parts


# --------------------------------------------------------------------------------------------------------- R63
def test_r63_a_missing_or_invalid_date():
    t = base(members=[make_member(), second(member_status="自然减少", change_reason="死亡", change_date=None)])
    assert len(fired("R63", t, part="a")) == 1
    t = base(members=[make_member(), second(change_reason="补录", change_date="2019-13-45")])
    f = fired("R63", t, part="a")
    assert len(f) == 1 and f.iloc[0]["values"].endswith("2019-13-45")
    assert fired("R63", base(members=[make_member(), second(change_reason=None, change_date=None)])).empty


@pytest.mark.parametrize("date,fires", [("2019-09-30", False), ("2019-10-01", True)])
def test_r63_b_after_reference_date(date, fires):
    t = base(members=[make_member(), second(change_reason="嫁入", change_date=date)])
    assert len(fired("R63", t, part="b")) == (1 if fires else 0)


@pytest.mark.parametrize("date,fires", [("1981-12-31", True), ("1982-01-01", False)])
def test_r63_c_before_birth(date, fires):
    t = base(members=[make_member(), second(member_status="自然减少", change_reason="迁出", change_date=date)])
    assert len(fired("R63", t, part="c")) == (1 if fires else 0)


@pytest.mark.parametrize("date,fires", [("2019-01-02", False), ("2019-01-03", True)])  # 366 / 367 days
def test_r63_d_newborn_registered_late(date, fires):
    baby = second(
        person_id="P3",
        id_no=make_id("20180101"),
        sex="男",
        birth_date="2018-01-01",
        relation="之子",
        change_reason="新生儿",
        change_date=date,
    )
    assert len(fired("R63", base(members=[make_member(), baby]), part="d")) == (1 if fires else 0)


@pytest.mark.parametrize("date,fires", [("2015-12-31", True), ("2016-01-01", False)])
def test_r63_e_added_before_first_identification(date, fires):
    t = base(hh={"first_year": 2016}, members=[make_member(), second(change_reason="嫁入", change_date=date)])
    assert len(fired("R63", t, part="e")) == (1 if fires else 0)


def test_r63_not_run_without_change_date():
    t = base()
    t["member"] = ([make_member()], ["change_date"])
    assert summary_row("R63", t)["status"] == "未运行（无数据）"


# --------------------------------------------------------------------------------------------------------- R64–R65
def police(status, date=None, id_no=HEAD_ID, name="张三"):
    return {"id_no": id_no, "name": name, "hukou_status": status, "change_date": date}


def test_r64_police_dead():
    f = fired("R64", base(police=[police("死亡", "2019-03-01")]))
    assert len(f) == 1 and "2019-03-01" in f.iloc[0]["message"] and "自然减少（死亡）" in f.iloc[0]["message"]


def test_r64_passes_when_alive_or_already_removed():
    assert fired("R64", base(police=[police("正常")])).empty
    t = base(
        members=[make_member(), second(id_no=make_id("19820101", "女"))],
        police=[police("死亡", id_no=make_id("19820101", "女"))],
    )
    t["member"][1]["member_status"] = "自然减少"
    t["member"][1]["change_reason"] = "死亡"
    assert fired("R64", t).empty


def test_r64_matches_15_digit_id_as_id18():
    id15 = "441881800101123"  # same person as an 18-digit ID after conversion
    from hgk_lib.derive import to_id18
    import pandas as pd

    id18 = to_id18(pd.Series([id15])).iloc[0]
    t = base(members=[make_member(id_no=id15, birth_date="1980-01-01")], police=[police("死亡", id_no=id18)])
    assert len(fired("R64", t)) == 1


def test_r64_r65_not_run_without_police_list():
    assert summary_row("R64", base())["status"] == "未运行（无数据）"
    assert summary_row("R65", base())["status"] == "未运行（无数据）"


@pytest.mark.parametrize(
    "rows,fires",
    [
        ([("正常", "2018-01-01"), ("迁出", "2019-01-01")], True),
        ([("迁出", "2018-01-01"), ("正常", "2019-01-01")], False),
        ([("正常", "2019-01-01"), ("迁出", "2019-01-01")], True),  # tie: 迁出 wins
        ([("迁出", None), ("正常", "2010-01-01")], False),  # blank date counts as earliest
        ([("迁出", None)], True),
        ([("迁出", "2019-01-01"), ("死亡", "2018-01-01")], False),  # a 死亡 row: R64's case
    ],
)
def test_r65_latest_row_moved_out(rows, fires):
    t = base(police=[police(s, d) for s, d in rows])
    assert len(fired("R65", t)) == (1 if fires else 0)


# --------------------------------------------------------------------------------------------------------- R66
def test_r66_name_differs():
    f = fired("R66", base(police=[police("正常", name="张山")]))
    assert len(f) == 1 and "张山" in f.iloc[0]["message"]


def test_r66_whitespace_and_fullwidth_ignored_blank_police_name_out_of_scope():
    assert fired("R66", base(members=[make_member(name="Ａli 张")], police=[police("正常", name="Ali张")])).empty
    assert fired("R66", base(police=[police("正常", name=None)])).empty
    assert fired("R66", base(police=[police("正常", name="张山"), police("正常", name="张三")])).empty


# --------------------------------------------------------------------------------------------------------- R67–R68
def test_r67_state_paid_person():
    t = base(property=[{"id_no": HEAD_ID, "match_type": "财政供养人员"}])
    assert len(fired("R67", t)) == 1
    assert fired("R67", base(property=[{"id_no": HEAD_ID, "match_type": "名下车辆"}])).empty


def test_r68_one_finding_listing_every_type():
    t = base(
        property=[
            {"id_no": HEAD_ID, "match_type": "工商注册"},
            {"id_no": HEAD_ID, "match_type": "名下车辆"},
            {"id_no": HEAD_ID, "match_type": "名下车辆"},
        ]
    )
    f = fired("R68", t)
    assert len(f) == 1 and f.iloc[0]["values"] == "名下车辆、工商注册"
    assert fired("R68", base(property=[{"id_no": HEAD_ID, "match_type": "财政供养人员"}])).empty
    assert summary_row("R68", base())["status"] == "未运行（无数据）"


# --------------------------------------------------------------------------------------------------------- R69
@pytest.mark.parametrize("date,fires", [("2018-05-01", True), ("2019-05-01", False)])
def test_r69_cleared_household_with_later_measures(date, fires):
    t = base(members=[make_member(member_status="清退", change_reason="错误", change_date=date)])
    f = fired("R69", t)
    assert len(f) == (1 if fires else 0)
    if fires:
        assert "2019" in f.iloc[0]["message"]


def test_r69_needs_every_row_cleared_and_a_date():
    t = base(members=[make_member(member_status="清退", change_reason="错误", change_date="2017-01-01"), second()])
    assert fired("R69", t).empty
    assert fired("R69", base(members=[make_member(member_status="清退", change_reason="错误")])).empty


# --------------------------------------------------------------------------------------------------------- R70
@pytest.mark.parametrize(
    "hh,parts",
    [
        ({"exit_year": None}, ["a"]),
        ({"exit_status": "未脱贫", "exit_year": 2018, "hh_type": "一般贫困户"}, ["b"]),
        ({"first_year": 2016, "exit_year": 2015}, ["c"]),
        ({"first_year": 2016, "exit_year": 2016}, []),
        ({"exit_year": 2020}, ["d"]),
        ({"first_year": 2020, "exit_year": 2020, "exit_status": "已脱贫（享受政策）"}, ["d"]),
        ({"first_year": 2013}, ["e"]),
        ({"first_year": 2014}, []),
        ({"exit_status": "返贫", "hh_type": "一般贫困户", "exit_year": 2017}, []),
    ],
)
def test_r70_years(hh, parts):
    assert sorted(fired("R70", base(hh=hh))["part"]) == parts


def test_r70_without_exit_year_column_runs_d_and_e():
    t = base()
    t["household"] = ([make_household(first_year=2013)], ["exit_year"])
    assert summary_row("R70", t)["status"] == "部分运行"
    assert list(fired("R70", t)["part"]) == ["e"]


# --------------------------------------------------------------------------------------------------------- R71
def test_r71_type_and_status():
    assert list(fired("R71", base(hh={"exit_status": "返贫"}))["part"]) == ["a"]
    assert list(fired("R71", base(hh={"hh_type": "低保贫困户"}))["part"]) == ["b"]
    assert fired("R71", base(hh={"hh_type": "一般贫困户", "exit_status": "未脱贫", "exit_year": None})).empty
    assert fired("R71", base(hh={"exit_status": None})).empty


def test_r63_e_not_run_without_first_year():
    t = base(members=[make_member(), second(change_reason="嫁入", change_date="2010-01-01")])
    t["household"] = ([make_household()], ["first_year"])
    s = summary_row("R63", t)
    assert s["status"] == "部分运行" and "(e)" in s["missing"]
