"""Hand-made inputs for the report tests (column contracts of the loader, rule engine and audit); no tests here."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from hgk_lib.rules.engine import FINDING_FIELDS, SUMMARY_FIELDS

COUNTY = "441881_英德市"
NAME = "英德市"
YEAR = 2019
FORMULAS = ['=HYPERLINK("http://x","张三")', "+86", "-1", "@sum", "\tx", "=1+1"]


def households():
    return pd.DataFrame(
        {
            "hh_id": ["4418810101001", "4418810101002", "4418810102001"],
            "township": ["英城街道", "英城街道", "大站镇"],
            "village": ["一村", "一村", "二村"],
            "head_name": ["张三", '=HYPERLINK("http://x","张三")', "王五"],
            "head_id": ["44188119800101123X", "441881198502021234", "441881197003031230"],
            "exit_status": ["已脱贫（享受政策）", "已脱贫（不再享受政策）", "未脱贫"],
        }
    )


def members():
    return pd.DataFrame(
        {
            "hh_id": ["4418810101001"] * 2 + ["4418810101002"],
            "person_id": ["01", "02", "01"],
            "member_status": ["正常", "正常", "自然减少"],
        }
    )


def findings():
    rows = [
        dict(
            rule_id="R05",
            rule_name="性别与证件号码不符",
            level="错误",
            department="扶贫办",
            unit="人",
            part="",
            hh_id="4418810101001",
            person_id="441881010100101",
            columns="性别、证件号码",
            values="女、44188119800101123X",
            message="性别为“女”，但证件号码第17位为3（男）",
            source_row=5,
        ),
        dict(
            rule_id="R53",
            rule_name="未参加基本医疗保险",
            level="政策",
            department="医保局",
            unit="人",
            part="",
            hh_id="4418810101002",
            person_id="441881010100201",
            columns="是否参加城乡居民基本医疗保险",
            values="+86",
            message="-1",
            source_row=7,
        ),
        dict(
            rule_id="R58",
            rule_name="饮水安全未解决",
            level="政策",
            department="水利局",
            unit="户",
            part="a",
            hh_id="4418810101001",
            columns="是否解决安全饮用水",
            values="@sum",
            message="是否解决安全饮用水为否",
            source_row=3,
        ),
        dict(
            rule_id="R80",
            rule_name="项目信息不完整",
            level="警告",
            department="扶贫办",
            unit="项目",
            part="",
            project_id="XM2019001",
            columns="项目名称",
            values='=HYPERLINK("http://x","张三")',
            message="项目名称\x01含控制字符",
            source_row=2,
        ),
        dict(
            rule_id="R36",
            rule_name="人均收入不符",
            level="警告",
            department="扶贫办",
            unit="户",
            part="",
            hh_id="4418810102001",
            year=2019,
            columns="人均可支配收入",
            values="9000.5",
            message="差额超过1元",
            source_row=4,
        ),
    ]
    df = pd.DataFrame(rows)
    df["county"] = COUNTY
    df["exit_status"] = "已脱贫（享受政策）"
    for c in FINDING_FIELDS:
        if c not in df:
            df[c] = None
    return df[FINDING_FIELDS]


def rule_summary():
    return pd.DataFrame(
        [
            ["R05", "性别与证件号码不符", "错误", "扶贫办", "已运行", None, 10, 0, 1, 1, 0.01],
            [
                "R95",
                "残疾信息与残联数据不一致",
                "警告",
                "残联",
                "未运行（缺数据）",
                "缺少数据表：残联_残疾人",
                0,
                0,
                0,
                0,
                0.0,
            ],
        ],
        columns=SUMMARY_FIELDS,
    )


def audit():
    return SimpleNamespace(
        income=pd.DataFrame(
            {
                "hh_id": ["4418810101001", "4418810101002"],
                "township": ["英城街道"] * 2,
                "village": ["一村"] * 2,
                "head_name": ["张三", "李四"],
                "exit_status": ["已脱贫（享受政策）", "已脱贫（不再享受政策）"],
                "active_n": [2, 1],
                "recorded_n": [2, 2],
                "disposable_fen": [2000000, 300000],
                "income_pc_fen": [1000000, 300000],
                "income_pc": [10000.0, 3000.0],
                "recorded_pc": [10000.0, 1500.0],
                "income_diff": [0.0, -1500.0],
                "policy_share": [0.1, 0.6],
                "income_finding": [False, True],
            }
        ),
        verdicts=pd.DataFrame(
            {
                "hh_id": ["4418810101001", "4418810101002"],
                "township": ["英城街道"] * 2,
                "village": ["一村"] * 2,
                "head_name": ["张三", "李四"],
                "labour_class": ["有劳动能力", "无劳动能力"],
                "active_n": [2, 1],
                "recorded_pc": [10000.0, 1500.0],
                "income_pc": [10000.0, 3000.0],
                "income_diff": [0.0, -1500.0],
                "policy_share": [0.1, 0.6],
                "verdict": ["保持脱贫（限期整改）", "返贫"],
                "return_cause": [None, "因病"],
                "quality": ["B 不稳定", "C 差距大"],
                "reasons": ["饮水不安全", "收入低于4000元"],
            }
        ),
        needs=pd.DataFrame(
            {
                "hh_id": ["4418810101001", "4418810101002"],
                "person_id": [None, "441881010100201"],
                "problem_type": ["饮水不安全", "未参加基本医疗保险"],
                "department": ["水利局", "医保局"],
                "evidence": ["是否解决安全饮用水=否", "医保_参保无记录"],
                "deadline": pd.to_datetime(["2019-12-29", "2019-10-30"]),
                "resolvable": [True, True],
            }
        ),
        sector=pd.DataFrame(
            {
                "hh_id": ["4418810101001"],
                "person_id": [None],
                "issue": ["未通生活用电"],
                "department": ["供电部门"],
                "evidence": ["是否通生活用电=否"],
            }
        ),
        classes=pd.DataFrame(
            {
                "hh_id": ["4418810101001", "4418810101002"],
                "labour_class": ["有劳动能力", "无劳动能力"],
                "recommended": ["产业帮扶、就业帮扶", "低保兜底、特困供养"],
                "measures_this_year": ["产业帮扶", ""],
                "match": [True, False],
                "quality": ["B 不稳定", "C 差距大"],
            }
        ),
        unstable_pwj=pd.DataFrame(
            {"hh_id": ["4418810101001"], "person_id": ["441881010100101"], "post": ["保洁员"], "months": [3.0]}
        ),
        measure_gaps=pd.DataFrame(
            {"hh_id": ["4418810101002"], "year": [2017], "stage": ["脱贫前"], "problem": ["2017年无帮扶措施"]}
        ),
        project_findings=pd.DataFrame(
            {"project_id": ["XM2019001"], "project_name": ["=1+1"], "rule_id": ["R80"], "description": ["未公示"]}
        ),
        beneficiaries=None,
        dynamic=pd.DataFrame(
            {
                "hh_id": ["4418810101002"],
                "person_id": ["441881010100202"],
                "kind": ["自然减少"],
                "basis": ["公安户籍：死亡 2019-05-01"],
                "source": ["公安_户籍"],
            }
        ),
        notes=["残联_残疾人 未提供，R95 未运行"],
    )


def quarantine():
    return pd.DataFrame(
        {
            "table": ["member"],
            "file": ["/data/441881_英德市/贫困人口信息.xlsx"],
            "sheet": ["Sheet1"],
            "row": [12],
            "column": ["证件号码"],
            "value": ["4.41881198001011E+17"],
            "reason": ["证件号码超过15位有效数字，已丢失末位"],
        }
    )


def row_ledger():
    return pd.DataFrame(
        {
            "table": ["household", "member"],
            "file": ["贫困户信息.xlsx", "贫困人口信息.xlsx"],
            "rows_read": [3, 4],
            "rows_loaded": [3, 3],
            "rows_quarantined": [0, 1],
        }
    )


def files():
    return pd.DataFrame(
        {
            "table": ["household", "member"],
            "path": ["/d/贫困户信息.xlsx", "/d/贫困人口信息.xlsx"],
            "sha256": ["a" * 64, "b" * 64],
            "bytes": [1000, 2000],
        }
    )


def params():
    return {
        "year": {"audit_year": 2019, "reference_date": "2019-09-30"},
        "income": {"exit_line": 8400, "return_line": 4000},
        "needs": {"饮水不安全": 90, "未参加基本医疗保险": 30, "住房不安全（未改造）": 180},
        "deadlines": {"by_level": {"错误": 30, "警告": 60, "政策": 90}, "other_days": 60, "spot_check_days": 30},
    }


def provenance():
    return {
        "hgk_version": "0.1.0",
        "packages": {"pandas": "3.1.1", "openpyxl": "3.1.5"},
        "python": "3.11",
        "platform": "Linux",
        "params_sha256": "c" * 64,
        "params_file": "2019.yaml",
        "inputs": [
            {
                "table": "household",
                "file": "贫困户信息.xlsx",
                "path": "/d/贫困户信息.xlsx",
                "sha256": "a" * 64,
                "bytes": 1000,
            }
        ],
        "seed": 20191130,
        "run_time_utc": "2019-11-30T08:00:00+00:00",
        "pythonhashseed": "0",
    }


def ledger_kwargs(**over):
    kw = dict(
        county_folder=COUNTY,
        county_name=NAME,
        year=YEAR,
        findings=findings(),
        rule_summary=rule_summary(),
        audit=audit(),
        quarantine=quarantine(),
        row_ledger=row_ledger(),
        files=files(),
        params=params(),
        provenance=provenance(),
        households=households(),
        members=members(),
    )
    kw.update(over)
    return kw
