"""Charts for the county report and the city roll-up (matplotlib, Chinese labels, no pyplot state).

Call :func:`use_chinese_font` once (every plotting function calls it too, and again after seaborn, which resets
fonts). It registers the CJK fonts shipped by the ``mplfonts`` package by path, so the charts never depend on
what the operating system has, and turns ``axes.unicode_minus`` off (many CJK fonts lack U+2212).
Every function returns a :class:`matplotlib.figure.Figure`; empty input gives a figure saying 无数据.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure

CJK_FAMILIES = [
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
]
STATUS_COLOURS = {"未整改": "#d9534f", "整改中": "#f0ad4e", "已整改": "#5cb85c"}
_registered: list[str] = []


def _mplfonts_files() -> list[Path]:
    try:
        import mplfonts
    except ImportError:
        return []
    d = Path(mplfonts.__file__).resolve().parent / "fonts"
    return sorted(p for p in d.glob("*") if p.suffix.lower() in (".otf", ".ttf", ".ttc"))


def use_chinese_font() -> str:
    """Register the bundled CJK fonts (once) and set matplotlib's rc for Chinese text. Returns the family used.
    Idempotent: safe to call before every chart."""
    if not _registered:
        known = {f.fname for f in font_manager.fontManager.ttflist}
        for path in _mplfonts_files():
            if str(path) not in known:
                font_manager.fontManager.addfont(str(path))
            _registered.append(str(path))
    available = {f.name for f in font_manager.fontManager.ttflist}
    families = [f for f in CJK_FAMILIES if f in available]
    if not families:
        raise RuntimeError("找不到中文字体：请安装 mplfonts（pip install mplfonts）或 fonts-noto-cjk")
    matplotlib.rcParams["font.family"] = families + ["DejaVu Sans"]
    matplotlib.rcParams["font.sans-serif"] = families + ["DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return families[0]


def _figure(w=8.0, h=4.5) -> Figure:
    use_chinese_font()
    return Figure(figsize=(w, h), layout="constrained", dpi=100)


def _empty(fig: Figure, title: str) -> Figure:
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.text(0.5, 0.5, "无数据", ha="center", va="center", fontsize=14, transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def _text(s: pd.Series, blank="未填") -> pd.Series:
    return s.astype(object).where(s.notna(), blank).astype(str)


# -------------------------------------------------------------------------------------------------------------
# county charts
# -------------------------------------------------------------------------------------------------------------
def plot_income_by_verdict(
    verdicts: pd.DataFrame, exit_line: float, return_line: float, title: str = "已脱贫户复核人均可支配收入与核查结论"
) -> Figure:
    """Strip plot of recomputed per-capita income by verdict, with the exit and return lines."""
    fig = _figure(9, 4.8)
    if verdicts is None or len(verdicts) == 0:
        return _empty(fig, title)
    v = verdicts.copy()
    v["verdict"] = _text(v["verdict"])
    v["income_pc"] = pd.to_numeric(v["income_pc"], errors="coerce")
    order = v.groupby("verdict")["income_pc"].median().sort_values().index.tolist()
    ax = fig.add_subplot()
    rng = np.random.default_rng(0)  # jitter only; fixed for identical pictures
    for i, name in enumerate(order):
        y = v.loc[v["verdict"] == name, "income_pc"].dropna().to_numpy()
        ax.scatter(i + rng.uniform(-0.25, 0.25, len(y)), y, s=10, alpha=0.6)
        if len(y):
            ax.hlines(np.median(y), i - 0.35, i + 0.35, colors="black", linewidth=1.5)
    ax.axhline(exit_line, color="#d9534f", linestyle="--", linewidth=1.2, label=f"脱贫标准线 {exit_line:,.0f} 元")
    ax.axhline(return_line, color="#8e44ad", linestyle=":", linewidth=1.2, label=f"返贫线 {return_line:,.0f} 元")
    ax.set_xticks(range(len(order)), [f"{n}\n（{int((v['verdict'] == n).sum())}户）" for n in order])
    ax.set_ylabel("复核人均可支配收入（元）")
    ax.set_title(title)
    ax.legend(loc="upper left", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def plot_findings_by_category_township(
    findings: pd.DataFrame, households: pd.DataFrame | None = None, title: str = "各乡（镇）问题条数（按规则类别）"
) -> Figure:
    """Heatmap of finding counts: rule category x township (township from the finding or the household table)."""
    from .summary import RULE_CATEGORIES, rule_category

    fig = _figure(10, 5.5)
    if findings is None or len(findings) == 0:
        return _empty(fig, title)
    f = findings.copy()
    if "township" not in f and households is not None and "township" in households:
        town = households.drop_duplicates("hh_id").set_index("hh_id")["township"]
        f["township"] = f["hh_id"].map(town)
    f["township"] = _text(f.get("township", pd.Series(None, index=f.index)), "无户（项目）")
    f["cat"] = _text(rule_category(f["rule_id"]), "其他")
    table = pd.crosstab(f["cat"], f["township"])
    cats = [c for c, _, _ in RULE_CATEGORIES if c in table.index] + [
        c for c in table.index if c not in dict((c, 1) for c, _, _ in RULE_CATEGORIES)
    ]
    table = table.loc[cats, sorted(table.columns)]
    ax = fig.add_subplot()
    im = ax.imshow(table.to_numpy(), cmap="Reds", aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=45, ha="right")
    ax.set_yticks(range(table.shape[0]), table.index)
    vmax = table.to_numpy().max() if table.size else 0
    for (i, j), n in np.ndenumerate(table.to_numpy()):
        if n:
            ax.text(j, i, str(n), ha="center", va="center", fontsize=8, color="white" if n > vmax * 0.6 else "black")
    fig.colorbar(im, ax=ax, label="问题条数")
    ax.set_title(title)
    return fig


def plot_measure_gaps_by_year(measure_gaps: pd.DataFrame, title: str = "缺少帮扶措施的户数（按年度、阶段）") -> Figure:
    """Stacked bars: households missing measures per year, by stage (脱贫前 / 脱贫当年 / 巩固提升)."""
    fig = _figure(8, 4.2)
    if measure_gaps is None or len(measure_gaps) == 0:
        return _empty(fig, title)
    g = measure_gaps.copy()
    g["stage"] = _text(g["stage"])
    g["year"] = pd.to_numeric(g["year"], errors="coerce").astype("Int64")
    table = pd.crosstab(g["year"], g["stage"])
    stages = [s for s in ["脱贫前", "脱贫当年", "巩固提升"] if s in table] + [
        s for s in table if s not in ("脱贫前", "脱贫当年", "巩固提升")
    ]
    ax = fig.add_subplot()
    bottom = np.zeros(len(table))
    x = np.arange(len(table))
    for s in stages:
        ax.bar(x, table[s].to_numpy(), bottom=bottom, label=s)
        bottom += table[s].to_numpy()
    ax.set_xticks(x, [f"{int(y)}年" for y in table.index])
    ax.set_ylabel("户数")
    ax.set_title(title)
    ax.legend(frameon=False)
    return fig


def plot_needs(needs: pd.DataFrame, title: str = "两不愁三保障问题（按类型、责任部门）") -> Figure:
    """Horizontal bars: open basic-needs problems by type, coloured by department."""
    fig = _figure(8, 4.2)
    if needs is None or len(needs) == 0:
        return _empty(fig, title)
    table = pd.crosstab(_text(needs["problem_type"]), _text(needs["department"]))
    table = table.loc[table.sum(axis=1).sort_values().index]
    ax = fig.add_subplot()
    left = np.zeros(len(table))
    y = np.arange(len(table))
    for dep in table.columns:
        ax.barh(y, table[dep].to_numpy(), left=left, label=dep)
        left += table[dep].to_numpy()
    for i, n in enumerate(left):
        ax.text(n, i, f" {int(n)}", va="center")
    ax.set_yticks(y, table.index)
    ax.set_xlabel("问题数")
    ax.set_title(title)
    ax.legend(title="责任部门", frameon=False, loc="lower right")
    return fig


# -------------------------------------------------------------------------------------------------------------
# city charts (inputs: the counties' summary.json dicts and the read-back status frame)
# -------------------------------------------------------------------------------------------------------------
def _county_label(s: dict) -> str:
    c = s.get("county") or {}
    return str(c.get("name") or c.get("folder") or "未知县")


def plot_city_verdicts(summaries: list[dict], title: str = "各县已脱贫户核查结论") -> Figure:
    fig = _figure(10, 0.5 * max(4, len(summaries)) + 1.5)
    table = pd.DataFrame({_county_label(s): s.get("verdicts", {}) for s in summaries}).T.fillna(0)
    if table.empty or table.to_numpy().sum() == 0:
        return _empty(fig, title)
    ax = fig.add_subplot()
    left = np.zeros(len(table))
    y = np.arange(len(table))
    for col in table.columns:
        ax.barh(y, table[col].to_numpy(), left=left, label=col)
        left += table[col].to_numpy()
    ax.set_yticks(y, table.index)
    ax.invert_yaxis()
    ax.set_xlabel("户数")
    ax.set_title(title)
    ax.legend(frameon=False, bbox_to_anchor=(1.01, 1), loc="upper left")
    return fig


def plot_city_findings_by_department(summaries: list[dict], title: str = "各县问题条数（按责任部门）") -> Figure:
    fig = _figure(10, 0.5 * max(4, len(summaries)) + 2)
    table = (
        pd.DataFrame({_county_label(s): (s.get("findings") or {}).get("by_department", {}) for s in summaries})
        .T.fillna(0)
        .astype(int)
    )
    if table.empty or table.to_numpy().sum() == 0:
        return _empty(fig, title)
    table = table[table.sum().sort_values(ascending=False).index]
    ax = fig.add_subplot()
    im = ax.imshow(table.to_numpy(), cmap="Blues", aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=45, ha="right")
    ax.set_yticks(range(table.shape[0]), table.index)
    vmax = table.to_numpy().max()
    for (i, j), n in np.ndenumerate(table.to_numpy()):
        ax.text(j, i, str(n), ha="center", va="center", fontsize=8, color="white" if n > vmax * 0.6 else "black")
    fig.colorbar(im, ax=ax, label="问题条数")
    ax.set_title(title)
    return fig


def rectification_progress(status: pd.DataFrame) -> pd.DataFrame:
    """Per department: 未整改 / 整改中 / 已整改 counts, total and 已整改 share (from the read-back status)."""
    cols = ["未整改", "整改中", "已整改"]
    if status is None or len(status) == 0:
        return pd.DataFrame(columns=["department"] + cols + ["total", "done_share"])
    t = pd.crosstab(_text(status["department"]), _text(status["status"])).reindex(columns=cols, fill_value=0)
    t["total"] = t[cols].sum(axis=1)
    t["done_share"] = t["已整改"] / t["total"].where(t["total"] > 0)
    return t.reset_index().rename(columns={"row_0": "department", "department": "department"})


def plot_city_rectification(status: pd.DataFrame, title: str = "整改进度（按责任部门）") -> Figure:
    fig = _figure(9, 4.5)
    prog = rectification_progress(status)
    if prog.empty:
        return _empty(fig, title)
    prog = prog.sort_values("total")
    ax = fig.add_subplot()
    y = np.arange(len(prog))
    left = np.zeros(len(prog))
    for s in ["已整改", "整改中", "未整改"]:
        share = (prog[s] / prog["total"]).fillna(0).to_numpy() * 100
        ax.barh(y, share, left=left, color=STATUS_COLOURS[s], label=s)
        left += share
    ax.set_yticks(y, [f"{d}（{int(n)}条）" for d, n in zip(prog["department"], prog["total"])])
    ax.set_xlim(0, 100)
    ax.set_xlabel("占比（%）")
    ax.set_title(title)
    # the legend sits under the axis label: above the bars it covered the title
    ax.legend(frameon=False, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    return fig
