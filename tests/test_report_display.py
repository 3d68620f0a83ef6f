"""What an auditor reads: counts as integers, shares as percentages, money with two decimals, 是/否, no nan."""

import re

import numpy as np
import pandas as pd
import pytest

from hgk_lib.report.display import BLANK, column_kind, format_value, formatted_frame, style_for_report
from hgk_lib.report.mask import show_table


@pytest.mark.parametrize(
    "name,kind",
    [
        ("已整改占比", "share"),
        ("覆盖率", "share"),
        ("问题比例（95%区间）", "share"),
        ("复核人均可支配收入", "money"),
        ("差额", "money"),
        ("校正后p值", "pvalue"),
        ("户数", "count"),
        ("需核实收入户数", "count"),
        ("数量", "count"),
        ("户数占比", "share"),
        ("核查年度", "plain"),
        ("全市", "plain"),
    ],
)
def test_column_kind_by_name(name, kind):
    assert column_kind(name) == kind


@pytest.mark.parametrize(
    "value,kind,text",
    [
        (15000.0, "plain", "15,000"),
        (15000, "plain", "15,000"),
        (12.0, "plain", "12"),
        (np.int64(7), "plain", "7"),
        (4500, "count", "4,500"),
        (4500.0, "count", "4,500"),
        (2, "count", "2"),
        (2019, "plain", "2019"),
        (0.1234, "share", "12.3%"),
        (1.0, "share", "100.0%"),
        (0.0, "share", "0.0%"),
        (8400.0, "money", "8,400.00"),
        (12345.678, "money", "12,345.68"),
        (3, "money", "3.00"),
        (0.00004, "pvalue", "<0.0001"),
        (0.0123, "pvalue", "0.0123"),
        (0.66512345, "plain", "0.665"),
        (True, "plain", "是"),
        (np.False_, "plain", "否"),
        (None, "plain", BLANK),
        (float("nan"), "money", BLANK),
        (pd.NA, "plain", BLANK),
        (pd.NaT, "plain", BLANK),
        ("nan", "plain", BLANK),
        ("True", "plain", "是"),
        (pd.Timestamp("2019-09-30"), "plain", "2019-09-30"),
    ],
)
def test_format_value(value, kind, text):
    assert format_value(value, kind) == text


def test_share_above_one_is_not_a_fraction():
    assert format_value(42.5, "share") == "42.5"


def test_mixed_count_column_reads_as_integers():
    # a count column with a blank is stored as float by pandas: it must still read 15,000, never 15000.000000
    df = pd.DataFrame({"项目": ["核查户数", "抽查估计"], "全市": [15000, None], "通过": [True, False]})
    out = formatted_frame(df)
    assert out["全市"].tolist() == ["15,000", BLANK]
    assert out["通过"].tolist() == ["是", "否"]


def test_show_table_html_has_no_english_or_long_floats():
    df = pd.DataFrame(
        {
            "户数": [1.0, 15000.0, np.nan],
            "占比": [0.5, 0.25, np.nan],
            "人均可支配收入": [8400.5, 1.0, None],
            "通过": [True, False, None],
            "联系电话": ["13812345678", None, "13900001111"],
        }
    )
    html = show_table(df).to_html()
    assert not re.search(r"\b(True|False|NaN|nan|None)\b", html)
    assert not re.search(r"\d\.\d{6}\b", html)
    assert "15,000" in html and "50.0%" in html and "8,400.50" in html and "138****5678" in html


def test_style_keeps_values_for_sorting():
    df = pd.DataFrame({"户数": [3, 1]})
    assert style_for_report(df).data["户数"].tolist() == [3, 1]
