"""R09 on the hash-partitioned ID index gives the same findings as R09 on whole member tables."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from helpers.paths import FIXTURE, PARAMS, fixture_counties  # noqa: F401
from hgk_lib import idindex
from hgk_lib.orchestrate import processed as P
from hgk_lib.params import load_params
from hgk_lib.rules.engine import make_context, run_rules
from helpers.rules_tables import make_id, make_id15, make_member, make_table

COUNTIES = ["441802_清城区", "441881_英德市", "441882_连州市"]


def r09(member: pd.DataFrame, county: str, others: dict) -> pd.DataFrame:
    ctx = make_context({"member": member}, load_params(PARAMS), county, others=others)
    res = run_rules(ctx, only=["R09"])
    return res.findings.reset_index(drop=True), res.summary.drop(columns=["seconds"], errors="ignore").reset_index(
        drop=True
    )


def index_cols(m: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({c: (m[c].astype(object) if c in m else None) for c in idindex.INDEX_COLUMNS})
    return out.astype(object).where(out.notna(), None)


def both_ways(tables: dict[str, pd.DataFrame], tmp_path, partitions: int):
    """R09 findings of every county: with whole tables (today's index) and with the partitioned index."""
    for c, m in tables.items():
        idindex.write_county_slice(index_cols(m), c, tmp_path, partitions)
    idindex.join_index(tmp_path, partitions)
    for c, m in tables.items():
        whole = {o: index_cols(t) for o, t in sorted(tables.items()) if o != c}
        part = idindex.others_for(tmp_path, c, list(tables))
        assert list(part) == list(whole)
        yield c, r09(m, c, whole), r09(m, c, part)


def test_hand_written_collisions_same_findings(tmp_path):
    a, b, x = make_id("19800101"), make_id("19750505", sex="女"), make_id15("600101")
    tables = {
        COUNTIES[0]: make_table(
            "member",
            [
                make_member(hh_id="Q1", person_id="Q1-1", id_no=a),
                make_member(hh_id="Q2", person_id="Q2-1", id_no=a),  # R08 dup: both rows get the list
                make_member(hh_id="Q3", person_id="Q3-1", id_no=b, member_status="自然减少"),  # inactive: never
                make_member(hh_id="Q4", person_id="Q4-1", id_no=x),
            ],
        ),  # 15 digits = its 18-digit form
        COUNTIES[1]: make_table(
            "member",
            [
                make_member(hh_id="Y1", person_id="Y1-1", id_no=a),
                make_member(hh_id="Y2", person_id="Y2-1", id_no=b),
                make_member(hh_id="Y3", person_id="Y3-1", id_no=make_id("19900101")),
            ],
        ),
        COUNTIES[2]: make_table(
            "member",
            [
                make_member(hh_id="L1", person_id="L1-1", id_no=a),
                make_member(hh_id="L2", person_id="L2-1", id_no=P_ID18(x)),
            ],
        ),
    }
    seen = 0
    for county, (fw, sw), (fp, sp) in both_ways(tables, tmp_path, 4):
        pd.testing.assert_frame_equal(fw, fp)
        pd.testing.assert_frame_equal(sw, sp)
        seen += len(fw)
    # 清城区: Q1, Q2 (a), Q4 (x); 英德市: Y1 (a; Y2's b is inactive in 清城区); 连州市: L1 (a), L2 (x)
    assert seen == 6


def P_ID18(id15: str) -> str:
    from hgk_lib.derive import id18

    return id18(pd.Series([id15])).iloc[0]


@pytest.mark.parametrize("partitions", [1, 7])
def test_partition_count_does_not_change_findings(tmp_path, partitions):
    a = make_id("19800101")
    tables = {
        c: make_table("member", [make_member(hh_id=f"H{i}", person_id=f"H{i}-1", id_no=a)])
        for i, c in enumerate(COUNTIES)
    }
    msgs = {c: fp["message"].tolist() for c, _, (fp, _) in both_ways(tables, tmp_path, partitions)}
    assert msgs[COUNTIES[1]] == [
        f"该证件号码在其他县也是正常成员：{COUNTIES[0]} 户编号H0/人编号H0-1、{COUNTIES[2]} 户编号H2/人编号H2-1"
    ]


def same_findings_on_export(data, proot) -> int:
    """R09 of every county of an export: today's whole member tables vs the partitioned index; the findings."""
    from hgk_lib.io import read_processed

    info = P.prepare_city(data, 2019, proot)
    assert info["index"] == P.r09_index_dir(proot, 2019)
    counties = info["counties"]
    members = {c: P._processed_member_ids(proot, 2019, c).drop(columns="county") for c in counties}
    total = 0
    for c in counties:
        m = read_processed(P.processed_dir(proot, 2019, c)).tables["member"]
        whole = {o: t for o, t in members.items() if o != c}
        part = P.others_from_index(proot, 2019, c)
        assert sorted(part) == sorted(whole)
        fw, sw = r09(m, c, whole)
        fp, sp = r09(m, c, part)
        pd.testing.assert_frame_equal(fw, fp)
        pd.testing.assert_frame_equal(sw, sp)
        assert sw.loc[0, "status"] == "已运行"
        total += len(fw)
    return total


def test_fixture_export_same_findings_as_the_whole_index(tmp_path):
    data = tmp_path / "export"
    shutil.copytree(FIXTURE, data)
    same_findings_on_export(data, tmp_path / "proc")  # the fixture plants no cross-county duplicate


def test_demo_export_same_findings_as_the_whole_index(tmp_path):
    from hgk_lib.demo.generate import generate_demo_export

    data = tmp_path / "2019"
    generate_demo_export(data, counties=["441802", "441881", "441882"], households=3000, fmt="csv")
    assert same_findings_on_export(data, tmp_path / "proc") >= 4  # the demo plants R09 pairs (both sides flag)


def test_index_follows_the_counties_of_the_run(tmp_path):
    data = tmp_path / "export"
    shutil.copytree(FIXTURE, data)
    proot = tmp_path / "proc"
    c, other = fixture_counties()[:2]
    P.prepare_city(data, 2019, proot)
    P.prepare_city(data, 2019, proot, [c])  # a run of one county: R09 has no other county
    assert P.others_from_index(proot, 2019, c) == {}
    P.prepare_city(data, 2019, proot)
    assert list(P.others_from_index(proot, 2019, c)) == [other]
