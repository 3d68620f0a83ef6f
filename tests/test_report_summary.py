"""summary.json and provenance: machine-readable, sorted, no personal data, reruns equal timestamps aside."""

import datetime as dt
import json

import numpy as np
import pandas as pd

from helpers import report_tables as F
from hgk_lib.report.provenance import collect_provenance, params_digest, run_datetime, sha256_file
from hgk_lib.report.summary import build_county_summary, rule_category, strip_volatile, write_json_atomic


def test_provenance_records_versions_hashes_seed(tmp_path):
    pfile = tmp_path / "2019.yaml"
    pfile.write_text("year: {audit_year: 2019}\n", encoding="utf-8")
    when = dt.datetime(2019, 11, 30, 8, 0, 0, 123456, tzinfo=dt.timezone.utc)
    p = collect_provenance(F.files(), {"a": 1}, 7, params_file=pfile, run_time=when)
    assert p["packages"]["pandas"] == pd.__version__ and p["packages"]["numpy"] == np.__version__
    assert p["packages"]["openpyxl"] and "scikit-learn" in p["packages"] and "papermill" in p["packages"]
    assert p["params_sha256"] == sha256_file(pfile) and p["params_file"] == "2019.yaml"
    assert [i["file"] for i in p["inputs"]] == ["贫困户信息.xlsx", "贫困人口信息.xlsx"]
    assert p["inputs"][0]["sha256"] == "a" * 64 and p["inputs"][0]["bytes"] == 1000
    assert p["seed"] == 7 and p["run_time_utc"] == "2019-11-30T08:00:00+00:00"
    assert run_datetime(p) == dt.datetime(2019, 11, 30, 8, 0, 0)
    json.dumps(p)  # serialisable


def test_params_digest_is_stable_for_mappings():
    assert params_digest({"b": 1, "a": [1, 2]}) == params_digest({"a": [1, 2], "b": 1})
    assert params_digest({"a": 1}) != params_digest({"a": 2})


def test_rule_category_edges():
    s = rule_category(pd.Series(["R01", "R09", "R10", "R51", "R52", "R61", "R62", "R87", "R88", "R95", "R96", None]))
    assert s.tolist() == [
        "身份信息",
        "身份信息",
        "家庭结构",
        "社会保障与兜底",
        "两不愁三保障",
        "两不愁三保障",
        "动态管理",
        "帮扶措施与项目库",
        "部门数据比对",
        "部门数据比对",
        None,
        None,
    ]


def test_write_json_atomic_sorted_and_nan_free(tmp_path):
    path = tmp_path / "summary.json"
    write_json_atomic(path, {"b": np.int64(2), "a": float("nan"), "c": {"y": 1, "x": np.float64(1.5)}})
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == {"a": None, "b": 2, "c": {"x": 1.5, "y": 1}}
    assert text.index('"a"') < text.index('"b"') < text.index('"c"')


def test_summary_without_audit_or_tables():
    s = build_county_summary(**F.ledger_kwargs(audit=None, households=None, members=None, findings=None))
    assert s["verdicts"] == {} and s["findings"]["total"] == 0 and s["needs"]["total"] == 0
    assert s["households"]["audited"] == 0
    json.dumps(s, allow_nan=False)


def test_summary_same_inputs_same_counts():
    a, b = build_county_summary(**F.ledger_kwargs()), build_county_summary(**F.ledger_kwargs())
    assert a == b
    assert "run" not in strip_volatile(a)
