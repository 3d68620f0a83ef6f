"""Integrity screen benchmark (integrity.md, issue 13): power and false-positive rate over many seeds, and speed at
province size.

    .venv/bin/python bench/bench_integrity.py [--seeds 50] [--households 8000] [--province 650000] [--demo-seeds 0]

1. ``--seeds`` synthetic cities (two counties, ``--households`` exited households in all), each with an honest base
   shaped like the demo's (incomes, items, visit dates, measure texts, villages of 10–35 households split among
   帮扶责任人 of 4–16) and one fabricated unit per county and indicator at the demo's strength
   (:data:`hgk_lib.demo.integrity.STRENGTH`: e.g. 8 of a village's households moved just above the line), a
   village in one county and a 帮扶责任人 in the other. Power = planted units flagged on their indicator;
   false-positive rate = honest units (no fabricated household) flagged, per indicator, with the raw (unadjusted)
   p < alpha rate beside it (the test's validity: must stay ≤ alpha within Monte Carlo error).
2. ``--province``: one synthetic province of that many exited households (≈100 counties), timed end to end.
3. ``--demo-seeds N``: also N seeds of the real demo generator (two counties, 6,000 households; slow: ~1 min each).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import beta

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hgk_lib.demo.integrity import STRENGTH, TEMPLATE  # noqa: E402
from hgk_lib.integrity import INDICATOR_IDS, screen_integrity  # noqa: E402
from hgk_lib.params import load_params  # noqa: E402

PARAMS = load_params(year=2019)
EXIT = "已脱贫（享受政策）"
GENERIC = [
    "发放种养殖产业奖补",
    "推荐务工就业并发放交通补贴",
    "安排村级公益性岗位",
    "扶贫小额信贷贴息",
    "发放教育生活费补助",
    "家庭医生签约与医疗救助",
    "纳入农村低保",
    "发放残疾人两项补贴",
    "光伏资产收益分红",
    "参加职业技能培训",
    "节日慰问",
]
ITEMS = [
    "wage",
    "wage_pwj",
    "business_income",
    "business_cost",
    "property_income",
    "property_dividend",
    "family_planning",
    "dibao_income",
    "tekun_income",
    "pension_income",
    "eco_comp",
    "medical_reimb",
    "other_transfer",
    "transfer_out",
]


def synthetic_city(rng, n_counties: int, households: int) -> dict:
    """An honest synthetic registry (exited households only), vectorised."""
    per = households // n_counties
    frames = []
    for c in range(n_counties):  # loop over counties
        sizes = rng.integers(10, 36, size=per // 20 + 5)
        sizes = sizes[np.cumsum(sizes) <= per]
        v = np.repeat(np.arange(len(sizes)), sizes)
        frames.append(
            pd.DataFrame(
                {
                    "county": f"县{c:03d}",
                    "township": "镇" + (v // 12).astype(str),
                    "village": "村" + v.astype(str),
                    "_v": v,
                }
            )
        )
    hh = pd.concat(frames, ignore_index=True)
    n = len(hh)
    hh["hh_id"] = pd.Series(np.arange(n)).map("H{:07d}".format).to_numpy()
    hh["exit_status"] = EXIT
    hh["exit_year"] = rng.choice([2016, 2017, 2018, 2019], size=n, p=[0.15, 0.25, 0.25, 0.35])
    # helpers: consecutive groups of one size per village (4..16), 90% with a phone
    vkey = hh["county"] + hh["_v"].astype(str)
    vcode = pd.factorize(vkey)[0]
    first = np.r_[0, np.flatnonzero(vcode[1:] != vcode[:-1]) + 1]
    pos = np.arange(n) - np.repeat(first, np.diff(np.r_[first, n]))
    size = rng.integers(4, 17, size=len(first))[vcode]
    g = pd.factorize(vkey + "/" + (pos // size).astype(str))[0]
    hh["helper_name"] = "帮扶人" + pd.Series(g).astype(str).to_numpy()
    phone = pd.Series(13_800_000_000 + g).astype(str).to_numpy(dtype=object)
    hh["helper_phone"] = np.where(rng.random(g.max() + 1)[g] < 0.1, None, phone)
    hh["head_name"] = "户主" + pd.Series(np.arange(n)).astype(str).to_numpy()
    hh["last_visit"] = pd.Timestamp("2018-10-08") + pd.to_timedelta(rng.integers(0, 354, size=n), unit="D")
    hh = hh.drop(columns="_v")
    # verdict income (fen): the demo's mixture
    u = rng.random(n)
    tgt = np.exp(rng.normal(np.log(13500), 0.35, size=n))
    tgt = np.where(u < 0.035, rng.uniform(5000, 8390, size=n), tgt)
    tgt = np.where((u >= 0.035) & (u < 0.24), rng.uniform(8450, 10080, size=n), tgt)
    verdict = pd.DataFrame({"hh_id": hh["hh_id"], "income_pc_fen": np.round(tgt * 100).astype(np.int64)})
    # income rows 2017..2019, items to the fen, a few standard amounts (计划生育金)
    nm = rng.integers(1, 6, size=n)
    on = {
        "wage": 0.8,
        "wage_pwj": 0.1,
        "business_income": 0.7,
        "property_income": 0.6,
        "dibao_income": 0.15,
        "tekun_income": 0.03,
        "pension_income": 0.4,
        "eco_comp": 0.3,
        "medical_reimb": 0.3,
        "other_transfer": 0.3,
        "transfer_out": 0.2,
    }
    lo_hi = {
        "wage": (2000, 30000),
        "wage_pwj": (800, 9000),
        "business_income": (1500, 9000),
        "property_income": (300, 1500),
        "dibao_income": (3000, 4600),
        "tekun_income": (9000, 12500),
        "pension_income": (1776, 4800),
        "eco_comp": (20, 400),
        "medical_reimb": (300, 14000),
        "other_transfer": (100, 1500),
        "transfer_out": (50, 600),
    }
    base = {}
    for k, p in on.items():
        base[k] = np.where(rng.random(n) < p, np.round(rng.uniform(*lo_hi[k], size=n), 2), 0.0)
    base["wage"] = base["wage"] + base["wage_pwj"]
    base["business_cost"] = np.round(base["business_income"] * rng.uniform(0.2, 0.5, size=n), 2)
    base["property_dividend"] = np.round(base["property_income"] * rng.uniform(0, 1, size=n), 2)
    base["family_planning"] = np.where(rng.random(n) < 0.08, rng.choice([1200.0, 2400.0, 3600.0], size=n), 0.0)
    rows = []
    factor = np.ones(n)
    for y in (2019, 2018, 2017):
        r = pd.DataFrame({"hh_id": hh["hh_id"], "year": y, "n_members": nm})
        for k in ITEMS:
            r[k] = np.round(base[k] * factor, 2)
        r["transfer_income"] = r[
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
        r["data_source"] = np.where(rng.random(n) < 0.07, "预估", "入户核实")
        rows.append(r)
        factor = factor / rng.uniform(1.04, 1.32, size=n)
    inc = pd.concat(rows, ignore_index=True)
    # measures of the audit year: 1-4 per household, 30% generic texts, the others the household's own
    m = rng.integers(1, 5, size=n)
    mh = np.repeat(np.arange(n), m)
    generic = rng.random(len(mh)) < 0.3
    text = np.where(
        generic,
        np.asarray(GENERIC, dtype=object)[rng.integers(0, len(GENERIC), size=len(mh))],
        "帮扶措施" + pd.Series(np.arange(len(mh))).astype(str).to_numpy(dtype=object),
    )
    ms = pd.DataFrame({"hh_id": hh["hh_id"].to_numpy()[mh], "year": 2019, "content": text})
    return {"household": hh, "income": inc, "measure": ms, "verdict": verdict}


def plant(rng, t: dict) -> pd.DataFrame:
    """One fabricated unit per county and indicator (village / 帮扶责任人 alternating), at the demo's strength."""
    hh, inc, ms, vi = t["household"], t["income"], t["measure"], t["verdict"]
    taken = np.zeros(len(hh), dtype=bool)
    rows = []
    i19 = inc.index[inc["year"] == 2019].to_numpy()  # households in order: row i of 2019 = household i
    for ci, (county, hc) in enumerate(hh.groupby("county", sort=True)):  # loop over counties and indicators
        for ii, ind in enumerate(INDICATOR_IDS):
            kind = "村" if (ci + ii) % 2 == 0 else "帮扶责任人"
            k = STRENGTH[ind][0 if kind == "村" else 1]
            keys = ["township", "village"] if kind == "村" else ["helper_name", "helper_phone"]
            grp = hc[hc["helper_phone"].notna()] if kind == "帮扶责任人" else hc
            sizes = grp.groupby(keys).size()
            cands = sizes[sizes >= max(10, k + 3)].index
            for j in rng.permutation(len(cands)):
                key = cands[j]
                mask = np.ones(len(hh), dtype=bool)
                for kk, vv in zip(keys, key):
                    mask &= (hh[kk] == vv).to_numpy()
                mask &= (hh["county"] == county).to_numpy()
                idx = np.flatnonzero(mask)
                if taken[idx].any():
                    continue
                taken[idx] = True
                ch = np.sort(rng.choice(idx, size=k, replace=False))
                if ind == "I1":
                    vi.loc[ch, "income_pc_fen"] = rng.integers(840000, 877800, size=k)
                elif ind == "I2":
                    inc.loc[i19[ch[1:]], ITEMS] = inc.loc[i19[ch[0]], ITEMS].to_numpy()
                    inc.loc[i19[ch], "wage"] = np.maximum(inc.loc[i19[ch], "wage"], 1000.5)  # >= 4 non-zero
                    inc.loc[i19[ch], "business_income"] = np.maximum(inc.loc[i19[ch], "business_income"], 2000.5)
                    inc.loc[i19[ch], "business_cost"] = np.maximum(inc.loc[i19[ch], "business_cost"], 500.25)
                    inc.loc[i19[ch], "property_income"] = np.maximum(inc.loc[i19[ch], "property_income"], 300.75)
                elif ind == "I3":
                    v = inc.loc[i19[ch], ITEMS].to_numpy()
                    inc.loc[i19[ch], ITEMS] = np.where(v > 0, np.maximum(np.round(v / 100) * 100, 100), v)
                elif ind == "I4":
                    inc.loc[i19[ch], "data_source"] = "预估"
                elif ind == "I5":
                    hh.loc[ch, "last_visit"] = pd.Timestamp("2019-03-01") + pd.Timedelta(days=int(rng.integers(0, 200)))
                elif ind == "I6":
                    ms.loc[ms["hh_id"].isin(hh["hh_id"].to_numpy()[ch]).to_numpy(), "content"] = TEMPLATE
                elif ind == "I7":
                    hh.loc[ch, "exit_year"] = 2019
                    r18 = inc.index[
                        (inc["year"] == 2018).to_numpy() & inc["hh_id"].isin(hh["hh_id"].to_numpy()[ch]).to_numpy()
                    ]
                    inc.loc[r18, ITEMS] = np.round(inc.loc[r18, ITEMS].to_numpy() * 0.3, 2)
                    vi_pc = np.maximum(vi.loc[ch, "income_pc_fen"].to_numpy(), 1_000_000)
                    nm = inc.loc[i19[ch], "n_members"].to_numpy()
                    scale = (vi_pc * nm / 100) / np.maximum(_disposable(inc.loc[i19[ch]]), 1)
                    inc.loc[i19[ch], ITEMS] = np.round(inc.loc[i19[ch], ITEMS].to_numpy() * scale[:, None], 2)
                    inc.loc[r18, ITEMS] = np.round(inc.loc[r18, ITEMS].to_numpy() * scale[:, None], 2)
                    # 2018 below 8,000: the cut row is 0.3 / 1.04..1.32 of 2019 -> 0.23-0.29 x >= 10,000: below
                rows.append(
                    {
                        "county": county,
                        "indicator": ind,
                        "unit_type": kind,
                        "key": tuple(key),
                        "hh_pos": ch,
                        "unit_pos": idx,
                    }
                )
                break
    return pd.DataFrame(rows)


def _disposable(r: pd.DataFrame) -> np.ndarray:
    items = ["family_planning", "dibao_income", "tekun_income", "pension_income", "eco_comp", "other_transfer"]
    return (
        r["wage"]
        + r["business_income"]
        - r["business_cost"].abs()
        + r["property_income"]
        + r[items].sum(axis=1)
        - r["transfer_out"]
    ).to_numpy()


def evaluate(units: pd.DataFrame, planted: pd.DataFrame, hh: pd.DataFrame) -> dict:
    """Per indicator: planted units flagged; honest units tested / flagged / raw p < alpha."""
    alpha = float(PARAMS["integrity"]["alpha"])
    fab_ids = set()
    for ch in planted["hh_pos"]:
        fab_ids |= set(hh["hh_id"].to_numpy()[ch])
    # units containing a fabricated household
    key_v = units["county"] + "|" + units["township"] + "|" + units["village"]
    hv = hh["county"] + "|" + hh["township"] + "|" + hh["village"]
    bad_v = set(hv[hh["hh_id"].isin(fab_ids)])
    hk = hh["county"] + "|" + hh["helper_name"].astype(str) + "|" + hh["helper_phone"].astype(str)
    key_h = units["county"] + "|" + units["helper_name"].astype(str) + "|" + units["helper_phone"].astype(str)
    bad_h = set(hk[hh["hh_id"].isin(fab_ids)])
    # helpers without phone are keyed by village too; treat them as affected when their village is
    nophone = units["helper_phone"].astype(str).isin(["", "None"])
    affected = np.where(
        units["unit_type"] == "村", key_v.isin(bad_v), key_h.isin(bad_h) | (nophone & key_v.isin(bad_v))
    )
    out = {}
    tested = units["status"] == "已检验"
    for ind in INDICATOR_IDS:
        u = units[(units["indicator"] == ind).to_numpy()]
        hon = u[~affected[(units["indicator"] == ind).to_numpy()] & tested[u.index]]
        pl = planted[planted["indicator"] == ind]
        hits = []
        for _, r in pl.iterrows():  # a few planted units
            if r["unit_type"] == "村":
                m = (
                    (u["unit_type"] == "村")
                    & (u["county"] == r["county"])
                    & (u["township"] == r["key"][0])
                    & (u["village"] == r["key"][1])
                )
            else:
                m = (
                    (u["unit_type"] == "帮扶责任人")
                    & (u["county"] == r["county"])
                    & (u["helper_name"] == r["key"][0])
                    & (u["helper_phone"] == r["key"][1])
                )
            hits.append((r["unit_type"], bool(u.loc[m.to_numpy(), "flagged"].any())))
        out[ind] = {
            "planted_village": sum(1 for t, _ in hits if t == "村"),
            "hit_village": sum(1 for t, h in hits if t == "村" and h),
            "planted_helper": sum(1 for t, _ in hits if t != "村"),
            "hit_helper": sum(1 for t, h in hits if t != "村" and h),
            "honest": len(hon),
            "fp": int(hon["flagged"].sum()),
            "raw": int((hon["p"] < alpha).sum()),
        }
    return out


def run_seeds(seeds: int, households: int) -> pd.DataFrame:
    tot = {}
    t0 = time.time()
    for s in range(seeds):  # loop over seeds
        rng = np.random.default_rng([2019, s])
        t = synthetic_city(rng, 2, households)
        planted = plant(rng, t)
        units, flags = screen_integrity(t["household"], None, t["income"], t["measure"], t["verdict"], PARAMS, seed=s)
        for ind, d in evaluate(units, planted, t["household"]).items():
            acc = tot.setdefault(ind, {})
            for k, v in d.items():
                acc[k] = acc.get(k, 0) + v
    print(f"{seeds} seeds in {time.time() - t0:.0f} s")
    return summarise(tot)


def summarise(tot: dict) -> pd.DataFrame:
    rows = []
    for ind, d in tot.items():
        hv, hh = d["hit_village"], d["hit_helper"]
        pv, ph = d["planted_village"], d["planted_helper"]
        n = d["honest"]
        fp = d["fp"] / n if n else np.nan
        raw = d["raw"] / n if n else np.nan
        rows.append(
            {
                "indicator": ind,
                "power_village": f"{hv}/{pv} = {hv / pv:.0%}" if pv else "—",
                "power_helper": f"{hh}/{ph} = {hh / ph:.0%}" if ph else "—",
                "honest_unit_tests": n,
                "fp_flagged": f"{d['fp']} ({fp:.3%})",
                "raw_p_below_alpha": f"{d['raw']} ({raw:.3%})",
                # Clopper-Pearson 95% upper bound of the raw rate: the test is valid when it reaches alpha at most
                "raw_upper_95": f"{beta.ppf(0.975, d['raw'] + 1, n - d['raw']):.3%}" if n else "—",
            }
        )
    return pd.DataFrame(rows)


def run_province(households: int) -> None:
    rng = np.random.default_rng(650)
    t0 = time.time()
    t = synthetic_city(rng, max(1, households // 6500), households)
    t1, c1 = time.time(), time.process_time()
    units, flags = screen_integrity(t["household"], None, t["income"], t["measure"], t["verdict"], PARAMS, seed=1)
    t2, c2 = time.time(), time.process_time()
    print(
        f"province: {len(t['household']):,} exited households, {t['household']['county'].nunique()} counties, "
        f"{len(t['income']):,} income rows, {len(t['measure']):,} measures; generated in {t1 - t0:.0f} s; "
        f"screen {t2 - t1:.1f} s wall, {c2 - c1:.1f} s CPU (load average {os.getloadavg()[0]:.1f}); "
        f"{units['unit_id'].nunique():,} units, {int(units['flagged'].sum())} flags"
    )


def run_demo(seeds: int) -> None:
    from hgk_lib.demo import build_demo

    tot = {}
    for s in range(seeds):
        d = build_demo(1000 + s, counties=["441881", "441882"], households=6000)
        tb = d["tables"]
        hh = tb["household"].assign(county=tb["household"]["_county"])
        vi = d["households"][["hh_id", "income_pc"]]
        units, _ = screen_integrity(hh, None, tb["income"], tb["measure"], vi, PARAMS, seed=s)
        fab = d["integrity"]
        planted = []
        for (c, ind, ut, tw, vv, hn, hp), g in fab.groupby(
            ["county", "indicator", "unit_type", "township", "village", "helper_name", "helper_phone"], dropna=False
        ):
            key = (tw, vv) if ut == "村" else (hn, hp)
            planted.append(
                {
                    "county": c,
                    "indicator": ind,
                    "unit_type": ut,
                    "key": key,
                    "hh_pos": np.flatnonzero(hh["hh_id"].isin(g["hh_id"]).to_numpy()),
                }
            )
        planted = pd.DataFrame(planted)
        for ind, dd in evaluate(units, planted, hh.assign(county=hh["_county"])).items():
            acc = tot.setdefault(ind, {})
            for k, v in dd.items():
                acc[k] = acc.get(k, 0) + v
    print(f"demo generator, {seeds} seeds (two counties, 6,000 households):")
    print(summarise(tot).to_string(index=False))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--households", type=int, default=8000)
    ap.add_argument("--province", type=int, default=650_000)
    ap.add_argument("--demo-seeds", type=int, default=0)
    a = ap.parse_args(argv)
    if a.seeds:
        print(run_seeds(a.seeds, a.households).to_string(index=False))
    if a.demo_seeds:
        run_demo(a.demo_seeds)
    if a.province:
        run_province(a.province)


if __name__ == "__main__":
    main()
