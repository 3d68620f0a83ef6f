"""Masking of ID/phone/bank numbers and the scanner used on every rendered output."""

import json

import pandas as pd
import pytest

from hgk_lib.report.mask import find_unmasked_pii, key_ids, mask_bank, mask_frame, mask_id, mask_phone, mask_text


def test_mask_id_keeps_first_six_and_last_four():
    assert mask_id("44188119800101123X") == "441881********123X"
    assert mask_id("44188119800101123x") == "441881********123x"
    assert mask_id("441881800101123") == "441881*****1123"
    # 残疾证号: the 18-character body is masked, category and grade are kept
    assert mask_id("4418811980010112342" + "1") == "441881********123421"
    assert mask_id("4418811980010112342" + "111") == "441881********12342111"
    assert mask_id(None) is None and mask_id("") == ""


def test_mask_phone_and_bank():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138 1234 5678") == "138****5678"
    assert mask_phone("0763-5123456") == "****-***3456"
    assert mask_bank("6222021234567890123") == "***************0123"
    assert mask_bank("6222 0212 3456 7890") == "**** **** **** 7890"


@pytest.mark.parametrize(
    "text,masked",
    [
        ("证件号码44188119800101123X有误", "证件号码441881********123X有误"),
        ("44188119800101123x", "441881********123X"),
        ("旧证441881800101123", "旧证441881*****1123"),
        ("电话13812345678，", "电话138****5678，"),
        ("+8613812345678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("卡号6222021234567890123", "卡号***************0123"),
        ("卡号 6222 0212 3456 7890", "卡号 **** **** **** 7890"),
        ("残疾证号4418811980010112344211", "残疾证号441881********12344211"),
        ("ID:441881198001011234;", "ID:441881********1234;"),
        ("证件 441881 19800101 123X", "证件 441881********123X"),
    ],
)
def test_mask_text_positives(text, masked):
    assert mask_text(text) == masked
    assert find_unmasked_pii(text)  # the scanner sees the raw number
    assert find_unmasked_pii(mask_text(text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "户编号4418810101001",
        "出生日期20190901",
        "变更日期2019-09-01",
        "人均可支配收入12345.67元",
        "金额13812345678.50元",
        "0.13812345678",
        "sha256 " + "a3f5" + "1381234567890123" + "bcd" * 10,
        "441881********123X",
        "138****5678",
        "***************0123",
        "441881010100101",  # person id: impossible date
        "第4418810101001号户，年度2019，行号12345",
        "1,381,234,567,890",
        "seed 20191130",
        "data:image/png;base64," + "A" * 50 + "13812345678" + "B" * 100,
    ],
)
def test_scanner_negatives(text):
    assert find_unmasked_pii(text) == []
    assert mask_text(text) == text


def test_known_keys_can_be_allowed():
    pid = "441881010112301"  # a 15-digit person id whose digits 7-12 read as a valid date
    assert find_unmasked_pii(f"成员{pid}") == [pid]
    assert find_unmasked_pii(f"成员{pid}", allow={pid}) == []
    assert mask_text(f"成员{pid}", keep={pid}) == f"成员{pid}"


# demo-shaped keys: 户编号 = county(6) + township(2) + village(3) + sequence(5); 人编号 = 户编号 + 2 digits
HH, PID = "4418810100100001", "441881010010000101"


def test_demo_shaped_keys_need_context_or_allow_list():
    # alone they have the shapes of a bank number and an 18-digit ID: masked (privacy first) ...
    assert find_unmasked_pii(f"{HH} {PID}") == [HH, PID]
    # ... unless the caller passes the run's ids, or a label says what they are
    assert find_unmasked_pii(f"{HH} {PID}", allow=key_ids(pd.DataFrame({"hh_id": [HH], "person_id": [PID]}))) == []
    for text in (f"户编号{HH}", f"户编号：{HH}", f"人编号 {PID}", f"人编号=“{PID}", f"项目编号:{HH}"):
        assert find_unmasked_pii(text) == [] and mask_text(text) == text
    # a label does not protect a personal number further along the text
    assert mask_text(f"户编号{HH}，电话13812345678") == f"户编号{HH}，电话138****5678"


def test_mask_frame_by_column_and_by_pattern():
    df = pd.DataFrame(
        {
            "hh_id": ["4418810101001", "4418810101002"],
            "person_id": ["441881010112301", None],
            "id_no": ["44188119800101123X", None],
            "phone": ["13812345678", "0763-5123456"],
            "bank_account": ["6222021234567890123", ""],
            "message": ["证件号码44188119800101123X重复", "正常"],
            "values": ["13812345678、是", None],
            "amount": [1.5, 2.0],
        }
    )
    out = mask_frame(df)
    assert out["hh_id"].tolist() == df["hh_id"].tolist()
    assert out["person_id"].tolist()[0] == "441881010112301"  # keys are never masked
    assert out["id_no"][0] == "441881********123X" and pd.isna(out["id_no"][1])
    assert out["phone"].tolist() == ["138****5678", "****-***3456"]
    assert out["bank_account"][0] == "***************0123"
    assert out["message"][0] == "证件号码441881********123X重复"
    assert out["values"][0] == "138****5678、是"
    assert df["id_no"][0] == "44188119800101123X"  # input untouched
    dumped = json.dumps(out.astype(object).where(out.notna(), None).to_dict("records"), ensure_ascii=False)
    assert find_unmasked_pii(dumped, allow={"441881010112301"}) == []


def test_html_table_key_columns_stay_readable():
    html = (
        "<table><thead><tr><th></th><th>户编号</th><th>人编号</th><th>联系电话</th><th>备注</th></tr></thead>"
        f"<tbody><tr><th>0</th><td>{HH}</td><td>{PID}</td><td>13812345678</td><td>{HH}</td></tr>"
        f"<tr><th>1</th><td>4418810100100002</td><td>441881010010000201</td><td>6222021234567890123</td>"
        "<td>44188119800101123X</td></tr></tbody></table>"
    )
    out = mask_text(html)
    assert f"<td>{HH}</td><td>{PID}</td>" in out and "<td>4418810100100002</td>" in out
    assert "138****5678" in out and "***************0123" in out and "441881********123X" in out
    assert find_unmasked_pii(out) == []
    assert find_unmasked_pii(html) == ["13812345678", "6222021234567890123", "44188119800101123X"]


def test_mask_frame_with_chinese_headers():
    df = pd.DataFrame(
        {
            "户编号": [HH],
            "人编号": [PID],
            "证件号码": ["44188119800101123X"],
            "联系电话": ["13812345678"],
            "银行账号": ["6217000011112222333"],
            "问题描述": [f"与户{HH}的成员证件号码44188119800101123X重复"],
        }
    )
    out = mask_frame(df)
    assert out["户编号"][0] == HH and out["人编号"][0] == PID
    assert out["证件号码"][0] == "441881********123X" and out["联系电话"][0] == "138****5678"
    assert out["银行账号"][0] == "***************2333"
    # the frame's own ids stay readable in free text too
    assert out["问题描述"][0] == f"与户{HH}的成员证件号码441881********123X重复"
    other = "4418810100100077"  # an id-shaped number the frame does not know: masked (privacy first)
    assert mask_frame(pd.DataFrame({"问题描述": [f"与户{other}"]}))["问题描述"][0] == f"与户{'*' * 12}0077"


def test_joined_numbers_are_not_mistaken_for_base64():
    phones = "/".join(f"1381234567{i}" for i in range(8))  # 95 characters of [0-9/]
    ids = "/".join(["44188119800101123X"] * 5)
    for text in (phones, ids, "联系电话：" + phones):
        assert find_unmasked_pii(mask_text(text)) == []
        assert "****" in mask_text(text)
    b64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA" + "13812345678" + "Aa" * 20
    assert mask_text(b64) == b64  # image data is never rewritten


def test_mask_frame_catches_grouped_numbers():
    df = pd.DataFrame(
        {"备注": ["证件 441881 19800101 123X", "卡 6222 0212 3456 7890", "电话 138 1234 5678", "2019 年"]}
    )
    out = mask_frame(df)["备注"].tolist()
    assert out == ["证件 441881********123X", "卡 **** **** **** 7890", "电话 138****5678", "2019 年"]


def test_number_after_a_data_uri_is_still_masked():
    text = "data:image/png;base64,iVBORw0KGgo= 电话 13812345678\n13912345678"
    assert find_unmasked_pii(text) == ["13812345678", "13912345678"]
    assert find_unmasked_pii(mask_text(text)) == []
