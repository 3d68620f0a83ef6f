"""What users see of the integrity screen: the ledger sheet 数据真实性筛查, the HTML report's chart and the city
summary's per-county table (integrity.md, "Outputs"). Chinese headers; 帮扶责任人 phones masked wherever shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..report.mask import mask_phone
from ..report.xlsx import Col, SheetSpec
from .indicators import pct
from .screen import INDICATOR_IDS, INDICATORS, ST_TESTED
from .units import HELPER

if TYPE_CHECKING:  # matplotlib loads only when a chart is drawn (the county run imports this for the ledger sheet)
    from matplotlib.figure import Figure

SHEET_NAME = "数据真实性筛查"
LEDGER_COLUMNS = [
    "乡（镇）",
    "行政村",
    "帮扶责任人",
    "户数",
    "指标",
    "本单位值",
    "全县参照值",
    "校正后p值",
    "说明",
    "建议",
]
#: The sheet for :mod:`hgk_lib.report.ledger` (keys are :func:`ledger_frame`'s columns), ready to append to its sheet
#: lists when the county run is wired.
SHEET_SPEC = SheetSpec(
    SHEET_NAME,
    [
        Col("乡（镇）", "乡（镇）", "text", "单位所在乡（镇）"),
        Col("行政村", "行政村", "text", "单位所在行政村"),
        Col("帮扶责任人", "帮扶责任人", "text", "帮扶责任人姓名（村级单位为空；同名时附脱敏电话）"),
        Col("户数", "户数", "int", "单位的已脱贫户数"),
        Col("指标", "指标", "text", "I1–I7 数据真实性指标"),
        Col("本单位值", "本单位值", "text", "本单位的指标值"),
        Col("全县参照值", "全县参照值", "text", "全县其余单位的指标值（不含本单位）"),
        Col("校正后p值", "校正后p值", "text", "如数据真实，出现本单位情况的概率（按县、指标作Benjamini–Hochberg校正）"),
        Col("说明", "说明", "long", "指标的文字说明"),
        Col("建议", "建议", "long", "建议的核实方式"),
    ],
    "数据真实性筛查：每个被标记的单位（村或帮扶责任人）与指标一行；标记只提示需入户核实，不等于认定造假",
)


def p_text(p: pd.Series) -> pd.Series:
    """Adjusted p-values for readers: two significant digits, ``<0.0001`` below that."""
    return pd.Series(p).map(lambda v: "" if pd.isna(v) else ("<0.0001" if v < 1e-4 else f"{v:.2g}")).astype(object)


def helper_label(units: pd.DataFrame) -> pd.Series:
    """帮扶责任人 as shown: the name; with the masked phone when two units of a county share the name."""
    name = units["helper_name"].astype(object).fillna("").astype(str)
    is_helper = (units["unit_type"] == HELPER).to_numpy()
    key = units["county"].astype(str) + "|" + name
    dup = (
        key.map(
            units.loc[is_helper]
            .drop_duplicates(["county", "helper_name", "helper_phone"])
            .assign(k=lambda d: d["county"].astype(str) + "|" + d["helper_name"].astype(str))["k"]
            .value_counts()
        )
        .fillna(0)
        .to_numpy()
        > 1
    )
    # the masked phone, only where it is shown (a shared name)
    phone = pd.Series("", index=units.index, dtype=object)
    shown = is_helper & dup
    phone[shown] = units.loc[shown, "helper_phone"].map(lambda v: mask_phone(v) if isinstance(v, str) and v else "")
    lab = np.where(dup & (phone != ""), name + "（" + phone + "）", name)
    return pd.Series(np.where(is_helper, lab, ""), index=units.index, dtype=object)


def ledger_frame(unit_table: pd.DataFrame) -> pd.DataFrame:
    """The sheet 数据真实性筛查: one row per flagged unit and indicator (:data:`LEDGER_COLUMNS`), by indicator then
    adjusted p. An empty frame with the headers when nothing is flagged."""
    label = helper_label(unit_table)
    f = unit_table[unit_table["flagged"]].sort_values(
        ["indicator", "p_adj", "unit_type", "township", "village", "helper_name"], kind="stable"
    )
    return pd.DataFrame(
        {
            "乡（镇）": f["township"].to_numpy(dtype=object),
            "行政村": f["village"].to_numpy(dtype=object),
            "帮扶责任人": label[f.index].to_numpy(dtype=object),
            "户数": f["n_households"].astype(int).to_numpy(),
            "指标": (f["indicator"] + " " + f["indicator_name"]).to_numpy(dtype=object),
            "本单位值": pct(f["value"]).to_numpy(dtype=object),
            "全县参照值": pct(f["reference"]).to_numpy(dtype=object),
            "校正后p值": p_text(f["p_adj"]).to_numpy(dtype=object),
            "说明": f["sentence"].to_numpy(dtype=object),
            "建议": f["suggestion"].to_numpy(dtype=object),
        },
        columns=LEDGER_COLUMNS,
    )


def indicator_summary(unit_table: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: units tested, flagged, not tested (too small), not computable, and whether it ran at all."""
    rows = []
    for ind in INDICATOR_IDS:  # loop over the seven indicators
        u = unit_table[unit_table["indicator"] == ind]
        st = u["status"].value_counts()
        rows.append(
            {
                "指标": f"{ind} {INDICATORS[ind][0]}",
                "已检验单位": int(st.get(ST_TESTED, 0)),
                "标记单位": int(u["flagged"].sum()),
                "户数不足未检验": int(st.get("户数不足，未检验", 0)),
                "不可计算": int(st.get("不可计算", 0)),
                "运行情况": "未运行：" + u["sentence"].iloc[0]
                if len(u) and (u["status"] == "未运行").all()
                else "已运行",
            }
        )
    return pd.DataFrame(rows)


def city_table(unit_table: pd.DataFrame) -> pd.DataFrame:
    """The city summary's per-county table: units tested and flagged (villages, 帮扶责任人), flags per indicator and
    the exited households of flagged units (a unit counted once however many indicators flag it)."""
    cols = [
        "县（市、区）",
        "村（已检验）",
        "帮扶责任人（已检验）",
        "标记村",
        "标记帮扶责任人",
        "标记单位已脱贫户数",
    ] + [f"{i} {INDICATORS[i][0]}" for i in INDICATOR_IDS]
    if unit_table is None or unit_table.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for county, u in unit_table.groupby("county", sort=True):  # loop over counties
        tested = u[u["status"] == ST_TESTED].drop_duplicates("unit_id")
        fl = u[u["flagged"]]
        fu = fl.drop_duplicates("unit_id")
        r = {
            "县（市、区）": county,
            "村（已检验）": int((tested["unit_type"] != HELPER).sum()),
            "帮扶责任人（已检验）": int((tested["unit_type"] == HELPER).sum()),
            "标记村": int((fu["unit_type"] != HELPER).sum()),
            "标记帮扶责任人": int((fu["unit_type"] == HELPER).sum()),
            "标记单位已脱贫户数": int(
                fu.loc[fu["unit_type"] != HELPER, "n_households"].sum()
                + fu.loc[fu["unit_type"] == HELPER, "n_households"].sum()
            ),
        }
        for i in INDICATOR_IDS:
            r[f"{i} {INDICATORS[i][0]}"] = int((fl["indicator"] == i).sum())
        rows.append(r)
    return pd.DataFrame(rows, columns=cols)


def plot_integrity(unit_table: pd.DataFrame, title: str = "数据真实性筛查：各单位指标值与全县参照值") -> Figure:
    """One panel per indicator: each tested unit's value (x: its exited households) against the county reference
    (grey ticks), flagged units marked in red. Villages as dots, 帮扶责任人 as triangles."""
    from matplotlib.figure import Figure

    from ..report.plots import use_chinese_font

    use_chinese_font()
    if unit_table is None or not len(unit_table) or not (unit_table["status"] == ST_TESTED).any():
        fig = Figure(figsize=(13, 1.2), dpi=100)  # nothing tested: one line, not seven empty panels
        fig.text(
            0.5,
            0.5,
            "没有已检验的单位（单位户数均不足或指标未运行，见下表），未作图",
            ha="center",
            va="center",
            fontsize=12,
        )
        return fig
    fig = Figure(figsize=(13, 6.5), dpi=100)
    axes = fig.subplots(2, 4)
    for ax, ind in zip(axes.ravel(), INDICATOR_IDS):  # loop over panels
        u = (
            unit_table[(unit_table["indicator"] == ind) & (unit_table["status"] == ST_TESTED)]
            if unit_table is not None and len(unit_table)
            else pd.DataFrame()
        )
        ax.set_title(f"{ind} {INDICATORS[ind][0]}", fontsize=10)
        if u.empty:
            ax.text(0.5, 0.5, "未检验", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        for typ, marker in (("村", "o"), (HELPER, "^")):
            s = u[u["unit_type"] == typ]
            ok = s[~s["flagged"]]
            ax.scatter(
                ok["n_households"], ok["value"] * 100, s=10, marker=marker, color="#7f8c8d", alpha=0.5, label=f"{typ}"
            )
            fl = s[s["flagged"]]
            if len(fl):
                ax.scatter(
                    fl["n_households"],
                    fl["value"] * 100,
                    s=40,
                    marker=marker,
                    color="#d9534f",
                    edgecolors="black",
                    linewidths=0.5,
                    label=f"{typ}（标记）",
                )
        ref = float(np.nanmedian(u["reference"].to_numpy(dtype=float))) * 100
        ax.axhline(ref, color="#2c7fb8", linestyle="--", linewidth=1.2, label=f"全县参照 {ref:.2g}%")
        ax.set_xlabel("已脱贫户数", fontsize=8)
        ax.set_ylabel("本单位值（%）", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, frameon=False, loc="upper right")
    ax = axes.ravel()[-1]
    ax.axis("off")
    ax.text(
        0,
        0.9,
        "说明：\n每点一个村（圆点）或帮扶责任人（三角）；\n红色为校正后p值低于显著性水平的单位；\n"
        "虚线为全县参照值（不含本单位，取中位数）。\n标记只提示需要入户核实，不等于认定造假。",
        fontsize=8,
        va="top",
        transform=ax.transAxes,
    )
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig
