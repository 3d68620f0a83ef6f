"""R10–R18 (家庭结构)."""

from helpers.rules_tables import fired, make_household, make_id, make_id15, make_member, summary_row, check_char

WIFE_ID = make_id("19820202", "女")
SON_ID = make_id("20050505", "男")


def wife(**kw):
    return make_member(
        **{
            "person_id": "P2",
            "name": "李梅",
            "id_no": WIFE_ID,
            "sex": "女",
            "birth_date": "1982-02-02",
            "relation": "配偶",
            **kw,
        }
    )


def son(**kw):
    return make_member(
        **{
            "person_id": "P3",
            "name": "张小",
            "id_no": SON_ID,
            "sex": "男",
            "birth_date": "2005-05-05",
            "relation": "之子",
            **kw,
        }
    )


def T(members, households=None):
    return {"household": households or [make_household(hh_size=len(members))], "member": members}


# -- R10 ---------------------------------------------------------------------------------------------------------
def test_r10_every_duplicate_row_fires_and_dup_not_evaluated_elsewhere():
    hh = [make_household(hh_size=5), make_household(hh_size=7), make_household(hh_id="H2")]
    members = [make_member(), make_member(hh_id="H2", person_id="P9", id_no=make_id("19700101"))]
    f = fired("R10", T(members, hh))
    assert len(f) == 2 and set(f["source_row"]) == {2, 3}
    assert "出现2次" in f.iloc[0]["message"]
    # R16 would fire on H1 (家庭人口数 5 vs A 1) but H1 is duplicated: not evaluated
    s = summary_row("R16", T(members, hh))
    assert s["findings"] == 0 and s["evaluated"] == 1


def test_r10_unique_passes():
    assert fired("R10", T([make_member()])).empty


# -- R11 ---------------------------------------------------------------------------------------------------------
def test_r11_orphan_member_fires_and_is_left_out_of_aggregates():
    orphan = make_member(hh_id="H9", person_id="P9", id_no=make_id("19700101"))
    f = fired("R11", T([make_member(), orphan], [make_household(hh_size=1)]))
    assert list(f["person_id"]) == ["P9"] and '户编号"H9"' in f.iloc[0]["message"]
    assert fired("R16", T([make_member(), orphan], [make_household(hh_size=1)])).empty


# -- R12 ---------------------------------------------------------------------------------------------------------
def test_r12_messages():
    hh = [make_household(), make_household(hh_id="H2"), make_household(hh_id="H3"), make_household(hh_id="H4")]
    members = [
        make_member(),
        make_member(hh_id="H2", person_id="A", member_status="自然减少"),
        make_member(hh_id="H3", person_id="B", member_status="清退"),
        make_member(hh_id="H3", person_id="C", member_status="自然减少"),
    ]
    f = fired("R12", T(members, hh)).set_index("hh_id")
    assert set(f.index) == {"H2", "H3", "H4"}
    assert "均为自然减少" in f.loc["H2", "message"]
    assert "混合" in f.loc["H3", "message"]
    assert "无任何成员记录" in f.loc["H4", "message"]


def test_r12_one_person_household_passes():
    assert fired("R12", T([make_member()])).empty


# -- R13 ---------------------------------------------------------------------------------------------------------
def test_r13_no_head_two_heads_two_spouses():
    hh = [make_household(), make_household(hh_id="H2"), make_household(hh_id="H3")]
    members = [
        make_member(relation="之子"),
        make_member(hh_id="H2", person_id="A"),
        make_member(hh_id="H2", person_id="B", id_no=WIFE_ID, sex="女"),
        make_member(hh_id="H3", person_id="C", id_no=make_id("19600101")),
        wife(hh_id="H3", person_id="D"),
        wife(hh_id="H3", person_id="E", id_no=make_id("19830303", "女")),
    ]
    f = fired("R13", T(members, hh)).set_index("hh_id")
    assert "无户主" in f.loc["H1", "message"]
    assert "多个户主" in f.loc["H2", "message"]
    assert "2人为配偶" in f.loc["H3", "message"]


def test_r13_one_person_household_and_inactive_second_head_pass():
    assert fired("R13", T([make_member()])).empty
    old_head = make_member(person_id="P0", id_no=make_id("19400101"), member_status="自然减少")
    assert fired("R13", T([make_member(), old_head, wife()])).empty


# -- R14 ---------------------------------------------------------------------------------------------------------
def test_r14_same_sex_spouse():
    f = fired("R14", T([make_member(), wife(sex="男", id_no=make_id("19820202", "男"))]))
    assert len(f) == 1 and '户主性别为"男"' in f.iloc[0]["message"] and "P2" in f.iloc[0]["message"]


def test_r14_passes_different_or_blank_sex():
    assert fired("R14", T([make_member(), wife()])).empty
    assert fired("R14", T([make_member(), wife(sex=None)])).empty


# -- R15 ---------------------------------------------------------------------------------------------------------
def test_r15_a_relation_sex():
    f = fired("R15", T([make_member(), son(sex="女")]), part="a")
    assert list(f["person_id"]) == ["P3"] and '应为"男"' not in f.iloc[0]["message"]
    assert fired("R15", T([make_member(), son()])).empty


def test_r15_b_in_laws_against_head_sex():
    mil = make_member(person_id="P4", id_no=make_id("19500101", "女"), sex="女", relation="之婆婆")
    f = fired("R15", T([make_member(), mil]), part="b")
    assert list(f["person_id"]) == ["P4"]
    ok = make_member(person_id="P4", id_no=make_id("19500101", "女"), sex="女", relation="之岳母")
    assert fired("R15", T([make_member(), ok])).empty


# -- R16 ---------------------------------------------------------------------------------------------------------
def test_r16_size_boundary():
    assert fired("R16", T([make_member(), wife()], [make_household(hh_size=2)])).empty
    f = fired("R16", T([make_member(), wife()], [make_household(hh_size=3)]))
    assert len(f) == 1 and f.iloc[0]["message"] == "家庭人口数为3，但人员状态为正常的成员有2人"


def test_r16_scope_excludes_a0_and_blank_size():
    assert fired("R16", T([make_member(member_status="清退")], [make_household(hh_size=1)])).empty
    assert fired("R16", T([make_member(), wife()], [make_household(hh_size=None)])).empty


# -- R17 ---------------------------------------------------------------------------------------------------------
def test_r17_a_head_id_differs():
    f = fired("R17", T([make_member()], [make_household(head_id=make_id("19700101"))]), part="a")
    assert len(f) == 1


def test_r17_a_compared_as_id18_and_lower_x():
    id15 = make_id15("500101")
    first17 = id15[:6] + "19" + id15[6:]
    id18 = first17 + check_char(first17)
    assert fired("R17", T([make_member(id_no=id18, birth_date=None)], [make_household(head_id=id15)])).empty
    for seq in range(100, 200):
        x = make_id("19800101", seq=str(seq))
        if x.endswith("X"):
            break
    assert fired("R17", T([make_member(id_no=x)], [make_household(head_id=x.lower())])).empty


def test_r17_b_name_whitespace_ignored():
    assert fired("R17", T([make_member(name="张 三")], [make_household(head_name=" 张三")])).empty
    f = fired("R17", T([make_member()], [make_household(head_name="张山")]), part="b")
    assert len(f) == 1 and '"张山"' in f.iloc[0]["message"]


# -- R18 ---------------------------------------------------------------------------------------------------------
def test_r18_lists_blank_and_unrecognised_columns():
    f = fired("R18", T([make_member()], [make_household(township=None, hh_type="贫困户X")]))
    assert len(f) == 1
    assert f.iloc[0]["columns"] == "乡（镇）、贫困户属性"
    assert "贫困户X" in f.iloc[0]["values"]


def test_r18_complete_household_passes():
    assert fired("R18", T([make_member()])).empty


def test_r17_a_disability_card_member_compared_as_id18():
    head_id = make_id()
    m = make_member(id_type="残疾人证", id_no=head_id + "12", health="残疾", disability_no=head_id + "12")
    assert fired("R17", T([m], [make_household(head_id=head_id)])).empty
