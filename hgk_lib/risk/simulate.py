"""Simulation helpers: fill a drawn 抽查名单 from the demo's ground truth (``hgk demo-inspect``) and repeat draws for
the benchmark (coverage of the interval, hit rates of risk-guided vs random vs oracle selection).

Nothing here is used by the audit path on real data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .draw import DESIGN_SHEET, LIST_COLUMNS, NOTE_SHEET, _text, draw_sample, permanent_random_numbers
from .estimate import stratified_estimate

SIM_INSPECTOR = "模拟（演示数据）"
SIM_REMARK = "模拟填写：依据演示数据真实情况，非真实入户核查"


def simulated_conclusions(truth: pd.DataFrame, exit_line: float) -> pd.DataFrame:
    """Per household of the truth: 核查结论, 核实人均可支配收入, 三保障问题说明 as an inspector would record them.

    Uses the generator's ``true_conclusion`` when present; otherwise: no problem → 属实; a problem with verified
    income below the exit line → 收入不达标; a problem on a household kept with rectification (限期整改) →
    两不愁三保障未解决; other problems → 信息不准确.
    """
    t = truth.drop_duplicates("hh_id").copy()
    vi = pd.to_numeric(t.get("verified_income_pc"), errors="coerce")
    prob = pd.to_numeric(t["true_problem"], errors="coerce").fillna(0).astype(int) == 1
    if "true_conclusion" in t:
        concl = t["true_conclusion"].astype(object)
    else:
        fix = t.get("verdict", pd.Series("", index=t.index)).astype(str).str.contains("限期整改")
        concl = pd.Series(
            np.where(
                ~prob, "属实", np.where(vi < exit_line, "收入不达标", np.where(fix, "两不愁三保障未解决", "信息不准确"))
            ),
            index=t.index,
            dtype=object,
        )
    note = np.where(concl == "两不愁三保障未解决", "模拟：存在未解决的两不愁三保障问题", None)
    return pd.DataFrame(
        {
            "hh_id": t["hh_id"].astype(str).to_numpy(),
            "conclusion": concl.to_numpy(),
            "verified": vi.round(2).to_numpy(),
            "needs_note": note,
        }
    )


def fill_from_truth(list_path, truth: pd.DataFrame, out_path, exit_line: float, date: str = "2019-11-30") -> dict:
    """Write a copy of the drawn list with the inspectors' columns filled from the demo truth (clearly labelled)."""
    from openpyxl import load_workbook

    from ..errors import InputError
    from ..io.safe import atomic_write

    import io

    from ..io.guard import read_checked_xlsx

    sim = simulated_conclusions(truth, exit_line).set_index("hh_id")
    wb = load_workbook(io.BytesIO(read_checked_xlsx(list_path)))
    filled = missing = 0
    col = {c: i + 1 for i, c in enumerate(LIST_COLUMNS)}
    when = pd.Timestamp(date).to_pydatetime()
    for ws in wb.worksheets:
        if ws.title in (DESIGN_SHEET, NOTE_SHEET) or ws.title.startswith("_"):
            continue
        ids = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
        found = sim.reindex([str(i) for i in ids])
        for r, (hh, rec) in enumerate(zip(ids, found.itertuples()), start=2):  # a few dozen rows per sheet
            if hh is None:
                continue
            if pd.isna(rec.conclusion):
                missing += 1
                _text(ws.cell(r, col["备注"]), "模拟：演示数据中找不到此户，未填写")
                continue
            _text(ws.cell(r, col["核查结论"]), rec.conclusion)
            if not pd.isna(rec.verified):
                ws.cell(r, col["核实人均可支配收入"], float(rec.verified)).number_format = "0.00"
            _text(ws.cell(r, col["三保障问题说明"]), rec.needs_note)
            _text(ws.cell(r, col["核查人"]), SIM_INSPECTOR)
            ws.cell(r, col["核查日期"], when).number_format = "yyyy-mm-dd"
            _text(ws.cell(r, col["备注"]), SIM_REMARK)
            filled += 1
    if NOTE_SHEET not in wb.sheetnames:
        raise InputError(f"抽查名单缺少“{NOTE_SHEET}”工作表（不是本工具写出的名单？）", file=str(list_path))
    ws = wb[NOTE_SHEET]
    ws.insert_rows(1)
    _text(
        ws.cell(1, 1),
        "【模拟数据】本名单的核查结论、核实收入由演示数据的真实情况自动填写（hgk demo-inspect），"
        "不是真实入户核查结果，仅用于演示。",
    )
    with atomic_write(out_path) as tmp:
        wb.save(tmp)
    return {"filled": filled, "missing": missing}


# ---------------------------------------------------------------------------------------------------------------
# Repeated draws (benchmark)
# ---------------------------------------------------------------------------------------------------------------
def repeated_draws(frame: pd.DataFrame, n: int, seeds, design_kw: dict, y_col: str = "true_problem") -> pd.DataFrame:
    """Draw with each seed, inspect from the truth ``y_col``, estimate the city and county prevalence.

    ``frame``: county, hh_id, risk, ``y_col`` (0/1). One row per seed and area (county or 全市): estimate, interval,
    truth, hits.
    """
    rows = []
    truth_c = frame.groupby("county")[y_col].mean()
    truth_city = float(frame[y_col].mean())
    for seed in seeds:
        sample, design, _, _ = draw_sample(frame, n, int(seed), **design_kw)
        key = sample["county"].astype(str) + "|" + sample["stratum"].astype(str)
        N_h = design.assign(k=design["county"].astype(str) + "|" + design["stratum"].astype(str)).set_index("k")["N_h"]
        est = stratified_estimate(sample[y_col].astype(float), key, N_h)
        rows.append(
            {
                "seed": seed,
                "area": "全市",
                "truth": truth_city,
                **est,
                "hits": int(sample[y_col].sum()),
                "drawn": len(sample),
            }
        )
        for c, s in sample.groupby("county"):
            k = key[s.index]
            e = stratified_estimate(s[y_col].astype(float), k, N_h[N_h.index.str.startswith(str(c) + "|")])
            rows.append(
                {"seed": seed, "area": c, "truth": float(truth_c[c]), **e, "hits": int(s[y_col].sum()), "drawn": len(s)}
            )
    return pd.DataFrame(rows)


def srs_hits(frame: pd.DataFrame, n: int, seeds, y_col: str = "true_problem") -> float:
    """Mean hit rate of simple random sampling of n per county (PRN: the n smallest numbers)."""
    rates = []
    for seed in seeds:
        u = permanent_random_numbers(frame["hh_id"], int(seed))
        rank = u.groupby(frame["county"]).rank(method="first")
        pick = rank <= n
        rates.append(float(frame.loc[pick, y_col].mean()))
    return float(np.mean(rates))


# ---------------------------------------------------------------------------------------------------------------
# A toy registry (tests and the benchmark's fallback when the demo generator is not available)
# ---------------------------------------------------------------------------------------------------------------
def toy_inputs(
    counties=("441881_英德市", "441825_连山壮族瑶族自治县"),
    villages: int = 8,
    per_village: int = 40,
    seed: int = 0,
    inspected_share: float = 0.35,
    exit_line: float = 8400.0,
    audit_year: int = 2019,
) -> tuple[list[dict], pd.DataFrame]:
    """Canonical tables, findings and verdicts per county for a small synthetic registry, and its truth.

    Households have 1–5 members; the hidden problem probability rises with a thin income margin, policy reliance,
    serious illness and disability. 历史核查结果 covers ``inspected_share`` of exited households (half random with
    入样概率, half without it, as older third-party checks).
    """
    rng = np.random.default_rng(seed)
    inputs, truths = [], []
    for ci, county in enumerate(counties):
        code, name = county.split("_", 1)
        H = villages * per_village
        hh_id = np.array([f"{code}{i:06d}" for i in range(H)])
        village = np.array([f"{name}第{v + 1}村" for v in np.repeat(np.arange(villages), per_village)])
        size = rng.integers(1, 6, H)
        serious = rng.random(H) < 0.12
        disabled = rng.random(H) < 0.15
        elderly = rng.random(H) < 0.15
        income_pc = np.round(exit_line * np.exp(rng.normal(0.35, 0.35, H)), 2)
        policy = np.clip(rng.beta(2, 5, H) + 0.3 * elderly, 0, 1)
        z = (
            -2.6
            + 2.2 * np.clip((1.3 * exit_line - income_pc) / (0.5 * exit_line), 0, 2)
            + 1.2 * policy
            + 0.9 * serious
            + 0.5 * disabled
            + 0.3 * rng.normal(size=H)
        )
        prob = 1 / (1 + np.exp(-z))
        true = (rng.random(H) < prob).astype(int)
        status = np.where(rng.random(H) < 0.9, "已脱贫（享受政策）", "未脱贫")
        hh = pd.DataFrame(
            {
                "hh_id": hh_id,
                "county": name,
                "township": np.array([f"{name}镇"] * H),
                "village": village,
                "head_name": [f"户主{i}" for i in range(H)],
                "hh_size": size,
                "exit_status": status,
                "exit_year": np.where(status == "未脱贫", np.nan, rng.integers(2016, 2019, H)),
                "phone": [f"138{rng.integers(0, 10**8):08d}" for _ in range(H)],
                "unsafe_house": pd.array(rng.random(H) < 0.05, dtype="boolean"),
                "safe_water": pd.array(rng.random(H) > 0.05, dtype="boolean"),
                "road_distance_km": np.round(rng.gamma(2, 1, H), 1),
                "arable_mu": np.round(rng.gamma(2, 1, H), 1),
            }
        )
        # members: head first, then others
        m_hh = np.repeat(hh_id, size)
        pos = np.concatenate([np.arange(s) for s in size])
        age = np.where(np.repeat(elderly, size), rng.integers(62, 85, len(m_hh)), rng.integers(3, 70, len(m_hh)))
        birth = pd.to_datetime([f"{2019 - a}-03-01" for a in age])
        health = np.where(
            np.repeat(serious, size) & (pos == 0),
            "患有大病",
            np.where(np.repeat(disabled, size) & (pos == 0), "残疾", "健康"),
        )
        skill = np.where((age >= 16) & (age <= 64), "普通劳动力", np.where(age >= 65, "丧失劳动力", "无劳动力"))
        mem = pd.DataFrame(
            {
                "hh_id": m_hh,
                "person_id": [f"{h}{p:02d}" for h, p in zip(m_hh, pos)],
                "id_no": None,
                "name": "成员",
                "sex": np.where(rng.random(len(m_hh)) < 0.5, "男", "女"),
                "birth_date": birth,
                "relation": np.where(pos == 0, "户主", "之子"),
                "health": health,
                "labour_skill": skill,
                "member_status": "正常",
                "ethnicity": np.where(rng.random(len(m_hh)) < 0.3, "瑶族", "汉族"),
            }
        )
        disp = income_pc * size
        inc = pd.DataFrame(
            {
                "hh_id": np.concatenate([hh_id, hh_id]),
                "year": np.repeat([audit_year, audit_year - 1], H),
                "n_members": np.concatenate([size, size]),
                "wage": np.concatenate([disp * (1 - policy), disp * (1 - policy) * 0.95]),
                "business_income": 0.0,
                "business_cost": 0.0,
                "property_income": 0.0,
                "transfer_income": np.concatenate([disp * policy, disp * policy]),
                "dibao_income": np.concatenate([disp * policy, disp * policy]),
                "transfer_out": 0.0,
            }
        )
        meas = pd.DataFrame(
            {"hh_id": hh_id, "year": audit_year, "category": np.where(rng.random(H) < 0.7, "产业帮扶", "低保兜底")}
        )
        exited = status != "未脱贫"
        insp = exited & (rng.random(H) < inspected_share)
        known = rng.random(H) < 0.5
        ins = pd.DataFrame(
            {
                "hh_id": hh_id[insp],
                "year": audit_year - 1,
                "method": np.where(known[insp], "随机抽查", "第三方评估"),
                "inclusion_prob": np.where(known[insp], inspected_share, np.nan),
                "conclusion": np.where(true[insp] == 1, "收入不达标", "属实"),
                "verified_income_pc": income_pc[insp],
            }
        )
        lab_class = np.where(
            pd.Series(age >= 16).groupby(m_hh).any().reindex(hh_id).to_numpy(), "有劳动能力", "无劳动能力"
        )
        verdict = np.where(
            ~exited,
            "",
            np.where(
                income_pc < exit_line, np.where(lab_class == "无劳动能力", "保持脱贫（兜底）", "收入未达标"), "保持脱贫"
            ),
        )
        ver = pd.DataFrame(
            {
                "hh_id": hh_id,
                "township": hh["township"],
                "village": village,
                "head_name": hh["head_name"],
                "labour_class": lab_class,
                "active_n": size,
                "recorded_pc": income_pc,
                "income_pc": income_pc,
                "income_diff": 0.0,
                "policy_share": policy,
                "verdict": verdict,
                "return_cause": "",
                "quality": "",
                "reasons": "",
            }
        )
        ver = ver[exited].reset_index(drop=True)
        fnd = pd.DataFrame({"hh_id": hh_id[serious], "rule_id": "R56", "level": "政策", "county": county})
        inputs.append(
            {
                "county": county,
                "tables": {"household": hh, "member": mem, "income": inc, "measure": meas, "inspection": ins},
                "findings": fnd,
                "verdicts": ver,
            }
        )
        truths.append(
            pd.DataFrame(
                {
                    "county": county,
                    "hh_id": hh_id,
                    "exit_status": status,
                    "verdict": "",
                    "true_problem": true,
                    "true_problem_prob": prob,
                    "verified_income_pc": income_pc,
                }
            )
        )
    return inputs, pd.concat(truths, ignore_index=True)
