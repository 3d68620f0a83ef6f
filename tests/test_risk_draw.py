"""The stratified draw: frame, π > 0 for everyone, sizes as designed, PRN extension, the 抽查名单 workbook."""

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from hgk_lib.params import load_params
from hgk_lib.risk.draw import (
    CONCLUSIONS,
    DESIGN_COLUMNS,
    DESIGN_SHEET,
    LIST_COLUMNS,
    assign_bands,
    draw_sample,
    lower_bounds,
    neyman_allocation,
    permanent_random_numbers,
    sampling_frame,
    write_spot_list,
)

_SC = load_params(year=2019)["spot_check"]
#: the city's design from params/2019.yaml (the draw has no defaults of its own)
DESIGN = {
    "bands": int(_SC["risk_bands"]),
    "min_per_stratum": int(_SC["min_per_stratum"]),
    "pi_floor_share": float(_SC["pi_floor_share"]),
}


def frame(N=400, county="441881_英德市", seed=1, prefix="H"):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "county": county,
            "hh_id": [f"{prefix}{i:05d}" for i in range(N)],
            "risk": rng.beta(1, 8, N),
            "township": "某镇",
            "village": "某村",
            "head_name": "张三",
            "phone": "13800001234",
        }
    )


def test_frame_is_kept_verdicts_only():
    v = pd.DataFrame(
        {
            "county": "c",
            "hh_id": list("abcdefg"),
            "verdict": [
                "保持脱贫",
                "保持脱贫（兜底）",
                "保持脱贫（限期整改）",
                "返贫",
                "退回未脱贫",
                "收入未达标",
                None,
            ],
        }
    )
    assert list(sampling_frame(v)["hh_id"]) == ["a", "b", "c"]


def test_every_frame_household_can_be_drawn_with_floor():
    fr = pd.concat([frame(400), frame(90, "441882_连州市", 2, "L")])
    sample, design, out, _ = draw_sample(fr, 60, 11, **DESIGN)
    assert (out["pi"] > 0).all()
    for c, g in out.groupby("county"):
        n = min(60, len(g))
        assert (g["pi"] >= 0.25 * n / len(g) - 1e-12).all()
    assert np.allclose(sample["weight"], 1 / sample["pi"])


def test_sizes_per_county_and_stratum_as_designed():
    fr = pd.concat([frame(400), frame(45, "441882_连州市", 2, "L")])
    sample, design, out, _ = draw_sample(fr, 60, 3, **{**DESIGN, "bands": 4, "min_per_stratum": 2})
    got = sample.groupby(["county", "stratum"]).size()
    want = design.set_index(["county", "stratum"])["n_h"]
    assert (got.reindex(want.index, fill_value=0) == want).all()
    assert design.groupby("county")["n_h"].sum().to_dict() == {"441881_英德市": 60, "441882_连州市": 45}  # capped
    assert (design["n_h"] >= np.minimum(2, design["N_h"])).all()
    assert (design.groupby("county")["N_h"].sum() == out.groupby("county").size()).all()
    # Neyman: higher-risk bands get more households (mean risk rises across bands)
    yd = design[design["county"] == "441881_英德市"].sort_values("order")
    assert yd["mean_risk"].is_monotonic_increasing and yd["n_h"].is_monotonic_increasing


def test_allocation_matches_continuous_neyman_when_bounds_do_not_bind():
    N_h, p_h = np.array([1000, 1000, 1000]), np.array([0.02, 0.08, 0.25])
    a = neyman_allocation(N_h, p_h, 300, np.zeros(3, int))
    S = np.sqrt(p_h * (1 - p_h))
    assert np.abs(a - 300 * N_h * S / (N_h * S).sum()).max() <= 1


def test_lower_bounds_edges():
    # floor share 0.25, n=60, N=1000, N_h=250 -> 0.25*60*250/1000 = 3.75 -> 4; min 2
    assert list(lower_bounds([250, 250, 4, 1], 60, 1000, 2, 0.25)) == [4, 4, 2, 1]


@pytest.mark.parametrize("emphasis", [0.0, 1.5])
def test_extension_property_larger_n_contains_smaller(emphasis):
    fr = pd.concat([frame(400), frame(130, "441882_连州市", 2, "L")])
    prev = None
    for n in range(8, 140, 3):
        s = set(draw_sample(fr, n, 20191130, hit_emphasis=emphasis, **DESIGN)[0]["hh_id"])
        if prev is not None:
            assert prev <= s, n
        prev = s


def test_hit_emphasis_moves_sample_to_high_risk_but_keeps_floor():
    fr = frame(1000)
    d0 = draw_sample(fr, 60, 1, **DESIGN)[1].sort_values("order")
    d2 = draw_sample(fr, 60, 1, hit_emphasis=2, **DESIGN)[1].sort_values("order")
    assert d2["n_h"].iloc[-1] > d0["n_h"].iloc[-1] and d2["n_h"].sum() == 60
    assert (d2["n_h"] >= lower_bounds(d2["N_h"].to_numpy(), 60, 1000, 2, 0.25)).all()


def test_reproducible_and_seed_dependent():
    fr = frame(300)
    a = draw_sample(fr, 40, 5, **DESIGN)[0]["hh_id"].tolist()
    shuffled = fr.sample(frac=1, random_state=1)
    assert a == draw_sample(shuffled, 40, 5, **DESIGN)[0]["hh_id"].tolist()  # row order irrelevant
    assert a != draw_sample(fr, 40, 6, **DESIGN)[0]["hh_id"].tolist()


def test_permanent_random_numbers_are_stable_uniforms():
    u = permanent_random_numbers(pd.Series(["441881000001", "441881000002"]), 20191130)
    assert ((u > 0) & (u < 1)).all()
    assert u.iloc[0] == pytest.approx(permanent_random_numbers(pd.Series(["441881000001"]), 20191130).iloc[0])
    big = permanent_random_numbers(pd.Series([f"h{i}" for i in range(20000)]), 1)
    assert abs(big.mean() - 0.5) < 0.01 and abs((big < 0.1).mean() - 0.1) < 0.01


def test_bands_equal_size_and_ordered():
    r = pd.Series(np.linspace(0, 1, 100))
    b = assign_bands(r, 4)
    assert b.value_counts().tolist() == [25] * 4
    assert (r.groupby(b).max().diff().dropna() > 0).all()


def test_certainty_stratum_taken_whole():
    fr = frame(300)
    fr.loc[:4, "risk"] = 0.95
    sample, design, out, _ = draw_sample(fr, 40, 1, certainty_threshold=0.9, **DESIGN)
    cert = design[design["certainty"]]
    assert int(cert["N_h"].iloc[0]) == 5 and int(cert["n_h"].iloc[0]) == 5
    assert set(fr.loc[:4, "hh_id"]) <= set(sample["hh_id"])
    assert len(sample) == 40


def test_small_frame_is_a_census():
    sample, design, out, _ = draw_sample(frame(7), 60, 1, **DESIGN)
    assert len(sample) == 7 and (out["pi"] == 1).all()


def test_workbook_layout_dropdown_text_and_no_formulas(tmp_path):
    fr = frame(200)
    fr["head_name"] = '=HYPERLINK("http://x","y")'
    fr["township"] = "+1+1"
    fr["phone"] = "013800001234"
    sample, design, _, notes = draw_sample(fr, 60, 9, certainty_threshold=None, **DESIGN)
    path = tmp_path / "抽查名单_2019.xlsx"
    write_spot_list(sample, design, path, 2019, notes, False, "logistic-abc")
    wb = load_workbook(path)
    assert wb.sheetnames[:2] == ["英德市", DESIGN_SHEET]
    ws = wb["英德市"]
    assert [c.value for c in ws[1]] == LIST_COLUMNS
    assert ws.max_row == 61
    assert any("属实" in dv.formula1 and "J2" in str(dv.sqref) for dv in ws.data_validations.dataValidation)
    assert all(c in ws.data_validations.dataValidation[0].formula1 for c in CONCLUSIONS)
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert ws.cell(2, 4).value.startswith("=HYPERLINK") and ws.cell(2, 4).data_type == "s"
    assert ws.cell(2, 2).value == "+1+1"
    ids = [ws.cell(r, 1) for r in range(2, 62)]
    assert all(c.data_type == "s" and c.number_format == "@" for c in ids)
    phones = {ws.cell(r, 5).value for r in range(2, 62)}
    assert phones == {"013800001234"}  # leading zero kept: text
    d = wb[DESIGN_SHEET]
    assert [c.value for c in d[1]] == DESIGN_COLUMNS
    assert sum(d.cell(r, 6).value for r in range(2, d.max_row + 1)) == 60


def test_county_without_name_mapping_uses_folder_name():
    from hgk_lib.risk.draw import sheet_name

    assert sheet_name("441881_英德市") == "英德市"
    assert sheet_name("999999_某县[测试]") == "某县_测试_"
