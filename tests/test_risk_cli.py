"""spot-check draw / evaluate and demo-inspect on a toy registry (the pipeline adapter is bypassed)."""

import copy

import pandas as pd
import pytest
from openpyxl import load_workbook

from hgk_lib.cli import main
from hgk_lib.params import load_params
from hgk_lib.risk.cli import draw_city, evaluate_file
from hgk_lib.risk.simulate import SIM_INSPECTOR, toy_inputs


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    out = tmp_path_factory.mktemp("risk")
    inputs, truth = toy_inputs(villages=6, per_village=25, seed=5)
    params = copy.deepcopy(load_params(year=2019))
    params["spot_check"]["min_positives"] = 10**6  # force the transparent fallback (fast, and must be said)
    res = draw_city(inputs, params, out, n=30, seed=7)
    truth_dir = out / "truth"
    truth_dir.mkdir()
    truth.to_csv(truth_dir / "households.csv", index=False)
    return out, res, truth_dir


def test_draw_writes_list_card_and_says_fallback(drawn):
    out, res, _ = drawn
    city = out / "2019" / "市汇总"
    assert res["list"] == city / "抽查名单_2019.xlsx" and res["list"].exists()
    card = (city / "风险模型卡_2019.html").read_text(encoding="utf-8")
    assert "未使用风险模型" in card and "不是" in card and "取消、减少" in card
    assert (city / "risk_model_2019.json").exists() and not (city / "risk_model_2019.skops").exists()
    wb = load_workbook(res["list"], read_only=True)
    assert wb.sheetnames == ["连山壮族瑶族自治县", "英德市", "抽样设计", "说明"]
    note = [r[0] for r in wb["说明"].iter_rows(values_only=True)]
    assert any("透明评分" in str(x) for x in note)
    rows = list(wb["抽样设计"].iter_rows(values_only=True))
    end = next(i for i, r in enumerate(rows) if all(v is None for v in r))  # the trade-off table follows a blank row
    design = pd.DataFrame(rows[1:end])
    assert any(r[0] == "纯 Neyman 分配" for r in rows[end:]) and any(r[9] == "是" for r in rows[end:])
    assert design[5].sum() == 60 and design[9].eq(7).all()
    assert design[7].astype(str).str.contains("透明评分").all()


def test_demo_inspect_then_evaluate_with_a_bad_entry(drawn, tmp_path, capsys):
    out, res, truth_dir = drawn
    filled = tmp_path / "抽查名单_2019.xlsx"
    assert main(["demo-inspect", "--list", str(res["list"]), "--truth", str(truth_dir), "--out", str(filled)]) == 0
    wb = load_workbook(filled)
    ws = wb["英德市"]
    assert ws.cell(2, 13).value == SIM_INSPECTOR and "模拟" in ws.cell(2, 15).value
    assert "模拟" in wb["说明"].cell(1, 1).value
    ws.cell(3, 10).value = "好像有问题"  # not a drop-down value
    ws.cell(4, 11).value = "八千"  # not a number
    for col in range(10, 16):  # row 5 not inspected yet: all inspector cells blank
        ws.cell(5, col).value = None
    wb.save(filled)
    assert main(["spot-check", "evaluate", "--results", str(filled), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "工作表“英德市”第 3 行" in printed and "第 4 行" in printed
    city = tmp_path / "2019" / "市汇总"
    html = (city / "抽查结果评估_2019.html").read_text(encoding="utf-8")
    assert "模拟数据" in html and "Korn" in html
    assert "138" in html and "****" in html  # phones masked in confirmed cases
    ev = evaluate_file(filled, tmp_path)
    s = ev["evaluation"]["summary"].set_index("county")
    assert s.loc["441881_英德市", "inspected"] == 28 and s.loc["441825_连山壮族瑶族自治县", "inspected"] == 30
    assert s.loc["全市", "inspected"] == 58
    assert s.loc["441881_英德市", "income_n"] == 27  # row 4's income unusable, row 3 and 5 without conclusion
    assert 0 <= s.loc["全市", "p_lo"] <= s.loc["全市", "p"] <= s.loc["全市", "p_hi"] <= 1
    wb2 = load_workbook(city / "抽查结果评估_2019.xlsx", read_only=True)
    assert wb2.sheetnames[:4] == ["汇总", "分层命中", "确认问题户", "填写问题"]
    issues = list(wb2["填写问题"].iter_rows(values_only=True))
    assert ("英德市", 3) in {(r[0], r[1]) for r in issues[1:]}
    assert ("英德市", 5) not in {(r[0], r[1]) for r in issues[1:]}  # blank = not inspected, not an error
    assert "nan" not in html


def test_evaluate_refuses_a_workbook_without_design(tmp_path, capsys):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "英德市"
    p = tmp_path / "抽查名单_2019.xlsx"
    wb.save(p)
    assert main(["spot-check", "evaluate", "--results", str(p), "--out", str(tmp_path)]) == 2
    assert "抽样设计" in capsys.readouterr().err


def test_draw_on_the_committed_fixture_export(tmp_path, capsys):
    """The county runs save their results (``hgk check``), the draw reads them (2 counties, fallback)."""
    from hgk_lib.orchestrate.paths import FIXTURE_EXPORT

    assert main(["spot-check", "draw", "--data", str(FIXTURE_EXPORT), "--year", "2019", "--out", str(tmp_path)]) == 2
    assert "请先运行 hgk audit 或 hgk check" in capsys.readouterr().err  # the draw never recomputes a county
    assert main(["check", "--data", str(FIXTURE_EXPORT), "--year", "2019", "--out", str(tmp_path)]) == 0
    assert (
        main(
            [
                "spot-check",
                "draw",
                "--data",
                str(FIXTURE_EXPORT),
                "--year",
                "2019",
                "--out",
                str(tmp_path),
                "--n",
                "20",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    city = tmp_path / "2019" / "市汇总"
    assert (city / "抽查名单_2019.xlsx").exists() and (city / "风险模型卡_2019.html").exists()
    assert "透明评分" in printed or "风险模型：" in printed
    wb = load_workbook(city / "抽查名单_2019.xlsx", read_only=True)
    assert wb.sheetnames[:2] == ["连山壮族瑶族自治县", "连南瑶族自治县"]


def _boom(x):
    raise ValueError(f"坏数据 {x}")


def test_work_beside_the_draw_gives_the_inline_result_and_its_errors(monkeypatch):
    """The trade-off simulation runs in a forked process beside the draw: the table equals the one computed in
    process, and an error inside it reaches the caller; with one CPU it simply runs in process."""
    import numpy as np
    import pandas as pd

    from hgk_lib.risk import cli as C
    from hgk_lib.risk.tradeoff import tradeoff_table

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "county": np.repeat(["甲县", "乙县"], 300),
            "hh_id": [f"H{i:04d}" for i in range(600)],
            "risk": rng.random(600),
        }
    )
    sc = {"risk_bands": 4, "min_per_stratum": 2, "pi_floor_share": 0.25, "certainty_n": 5}
    inline = tradeoff_table(frame, 40, sc, draws=30, seed=7)
    job = C.beside(tradeoff_table, frame, 40, sc, draws=30, seed=7)
    assert not job.in_process  # really in another process on this machine
    pd.testing.assert_frame_equal(job.result(), inline)
    with pytest.raises(ValueError, match="坏数据 1"):
        C.beside(_boom, 1).result()
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    one = C.beside(tradeoff_table, frame, 40, sc, draws=30, seed=7)
    assert one.in_process
    pd.testing.assert_frame_equal(one.result(), inline)


def test_model_version_names_what_the_model_does_not_its_file_bytes():
    """The 模型版本 on the spot-check list and the model card is the same on every run of the same inputs (the
    .skops file is not: skops names its zip entries by object ids and stamps the time), and changes when a single
    household's score changes."""
    import pandas as pd

    from hgk_lib.risk.cli import model_fingerprint

    fit = {"kind": "core", "train_hash": "abc", "risk": pd.Series([0.1, 0.25, 0.7], index=["H3", "H1", "H2"])}
    same = dict(fit, risk=fit["risk"].sort_index() + 1e-12)  # another run: other row order, float noise
    assert model_fingerprint(fit) == model_fingerprint(same)
    assert len(model_fingerprint(fit)) == 12
    moved = dict(fit, risk=fit["risk"].where(fit["risk"].index != "H1", 0.26))
    assert model_fingerprint(moved) != model_fingerprint(fit)
    assert model_fingerprint(dict(fit, kind="hgb")) != model_fingerprint(fit)
    # the published value: sha256 of the JSON [kind, train hash, 户编号 in order, scores rounded to 1e-9], 12 digits
    import hashlib
    import json

    payload = json.dumps(["core", "abc", ["H1", "H2", "H3"], [0.25, 0.7, 0.1]], ensure_ascii=False)
    assert model_fingerprint(fit) == hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
