"""The demo export generator: reproducibility, proportions, ground-truth coverage, clean base, committed fixture."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from hgk_lib import derive as D
from hgk_lib import schema as S
from hgk_lib.demo import build_demo, generate_demo_export, write_fixture_export
from hgk_lib.demo import population as P

FIXTURE = Path(__file__).parent / "fixtures" / "export" / "2019"
ALL_RULES = [f"R{i:02d}" for i in range(1, 96)]
VERDICTS = ["返贫", "退回未脱贫", "兜底未落实", "保持脱贫（兜底）", "保持脱贫（限期整改）", "收入未达标", "保持脱贫"]


def _digest(root: Path) -> dict:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def city():
    """A city-wide demo (all 8 counties), built in memory once for the module."""
    return build_demo(seed=7, households=4000)


def test_same_seed_gives_byte_identical_export(tmp_path):
    kw = dict(seed=11, counties=["441825", "441826"], households=60, fmt="mixed", k=1, plant_share=0.3)
    generate_demo_export(tmp_path / "a", **kw)
    generate_demo_export(tmp_path / "b", **kw)
    da, db = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert da == db and any(k.endswith(".xlsx") for k in da) and any(k.endswith(".csv") for k in da)
    assert _digest(tmp_path / "a_truth") == _digest(tmp_path / "b_truth")


def test_different_seed_gives_different_export(tmp_path):
    kw = dict(counties=["441825"], households=40, fmt="csv", k=1, plant_share=0.2)
    generate_demo_export(tmp_path / "a", seed=1, **kw)
    generate_demo_export(tmp_path / "b", seed=2, **kw)
    assert _digest(tmp_path / "a") != _digest(tmp_path / "b")


def test_households_per_county_in_proportion(city):
    sizes = P.county_sizes(sorted(S.QINGYUAN_COUNTIES), 15000)
    assert sum(sizes.values()) == 15000
    assert max(sizes, key=sizes.get) == "441881"  # 英德市 largest
    assert sizes["441825"] < sizes["441802"] and sizes["441826"] < sizes["441821"] * 1.2
    got = city["households"].groupby("county").size()
    want = pd.Series(P.county_sizes(sorted(S.QINGYUAN_COUNTIES), 4000))
    assert (got.reindex(want.index) - want).abs().max() <= 1


def test_truth_covers_every_rule_and_every_verdict(city):
    planted = city["planted"]
    assert set(ALL_RULES) <= set(planted["rule_id"])
    # lettered parts planted where the catalogue letters them
    parts = planted.groupby("rule_id")["part"].apply(lambda s: set(s) - {""})
    assert {"a", "b", "c", "d", "e"} <= parts["R32"] and {"a", "b", "c"} <= parts["R07"]
    assert {"a", "b", "c", "d"} <= parts["R77"] and {"a", "b", "c"} <= parts["R95"]
    assert set(VERDICTS) <= set(city["households"]["verdict"])
    # R09: the same ID active in two different counties
    r09 = planted[planted["rule_id"] == "R09"]
    assert r09["county"].nunique() >= 2


def test_planted_households_are_not_clean_and_clean_ones_exist(city):
    h = city["households"]
    planted_hh = set(city["planted"]["hh_id"])
    assert not h.loc[h["hh_id"].isin(planted_hh), "clean"].any()
    assert h["clean"].mean() > 0.85
    exited = h["exit_status"].isin(S.EXITED)
    assert (h.loc[exited, "verdict"] != "").all() or (h.loc[exited, "verdict"] == "").sum() <= 3


def test_clean_households_have_valid_identity_and_consistent_members(city):
    t = city["tables"]
    clean = set(city["households"].loc[city["households"]["clean"], "hh_id"])
    m = t["member"]
    m = m[m["hh_id"].isin(clean) & (m["member_status"] == "正常")]
    body = m["id_no"].astype(str)
    assert body.str.fullmatch(r"\d{17}[0-9X]").all()
    assert D.id_checksum_ok(body).all()
    assert body.str[:4].eq("4418").mean() > 0.8
    enc = D.id_encoded_date(body)
    assert (enc == pd.to_datetime(m["birth_date"])).all()
    odd = body.str[16].astype(int) % 2 == 1
    assert ((m["sex"] == "男") == odd).all()
    age = D.age_on(enc, P.REF)
    assert (m.loc[(age >= 60).to_numpy(), "pension_receiving"] == True).all()  # noqa: E712
    assert not m["id_no"].duplicated().any()
    # elderly-heavy population; causes led by 因病, 缺劳力, 因残
    assert (age >= 60).mean() > 0.25
    top = t["household"]["main_cause"].value_counts().index[:3].tolist()
    assert set(top) == {"因病", "缺劳力", "因残"}


def test_income_totals_consistent_for_clean_households(city):
    t = city["tables"]
    clean = set(city["households"].loc[city["households"]["clean"], "hh_id"])
    inc = t["income"][t["income"]["hh_id"].isin(clean)]
    items = inc[
        [
            "family_planning",
            "dibao_income",
            "tekun_income",
            "pension_income",
            "eco_comp",
            "medical_reimb",
            "other_transfer",
        ]
    ].sum(axis=1)
    assert (inc["transfer_income"] - items).abs().max() < 0.011
    d = (
        inc["wage"]
        + inc["business_income"]
        - inc["business_cost"].abs()
        + inc["property_income"]
        + inc["transfer_income"]
        - inc["transfer_out"]
    )
    assert (inc["disposable_recorded"] - d).abs().max() < 0.011
    assert (inc["disposable_pc_recorded"] - d / inc["n_members"]).abs().max() < 0.011


def test_cli_writes_export_and_truth(tmp_path):
    from hgk_lib.cli import main

    out = tmp_path / "raw" / "2019"
    rc = main(
        ["demo-data", "--out", str(out), "--counties", "441825", "--households", "40", "--seed", "3", "--format", "csv"]
    )
    assert rc == 0
    folder = out / "441825_连山壮族瑶族自治县"
    for table in S.TABLES.values():
        base = folder / S.DEPARTMENT_DIR if table.department else folder
        assert (base / f"{table.file}.csv").exists(), table.file
    truth = out.parent / "2019_truth"
    for name in ("planted.csv", "households.csv", "quarantine.csv"):
        assert (truth / name).exists()
    assert main(["demo-data", "--out", str(out), "--counties", "999999"]) == 2


def test_fixture_regenerates_committed_bytes(tmp_path):
    write_fixture_export(tmp_path / "2019")
    assert _digest(tmp_path / "2019") == _digest(FIXTURE)
    assert _digest(tmp_path / "2019_truth") == _digest(FIXTURE.parent / "2019_truth")


def test_fixture_carries_the_mess_of_real_exports():
    csv_member = next(FIXTURE.glob("441826_*/贫困人口信息.csv"))
    raw = csv_member.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "清远市连南瑶族自治县贫困人口信息" in raw.decode("gb18030")
    assert next(FIXTURE.glob("441826_*/贫困户信息.csv")).read_bytes().startswith(b"\xef\xbb\xbf")
    truth = pd.read_csv(FIXTURE.parent / "2019_truth" / "quarantine.csv", dtype=str)
    assert len(truth) >= 1


def test_loader_quarantines_exactly_the_planted_rows():
    from hgk_lib.io import loader

    data = loader.load_counties(FIXTURE, year=2019)
    q = pd.concat([d.quarantine for d in data], ignore_index=True)
    truth = pd.read_csv(FIXTURE.parent / "2019_truth" / "quarantine.csv", dtype=str)
    got = set(zip(q["table"].astype(str), q["row"].astype(int)))
    assert {("member", int(r)) for r in truth["row"]} <= got
    names = pd.concat([d.tables["member"]["name"] for d in data])
    assert names.astype(str).str.startswith("=HYPERLINK").sum() == 1


def test_engine_findings_on_fixture_equal_planted():
    from hgk_lib.demo import reconcile as R

    findings = R.engine_findings(FIXTURE)
    planted = pd.read_csv(FIXTURE.parent / "2019_truth" / "planted.csv", dtype=str)
    res = R.compare(planted, findings)
    assert res["missed"].empty, res["missed"].to_string()
    assert res["unexpected"].empty, res["unexpected"].to_string()


def test_fixture_truth_has_every_verdict_and_audit_agrees():
    h = pd.read_csv(FIXTURE.parent / "2019_truth" / "households.csv", dtype={"hh_id": str})
    assert set(VERDICTS) <= set(h["verdict"].dropna())
    from hgk_lib.demo import reconcile as R

    diff = R.compare_verdicts(h, R.audit_verdicts(FIXTURE))
    assert diff.empty, diff.to_string()
