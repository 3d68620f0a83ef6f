"""Reports of the spot check: the model card (风险模型卡_<year>.html), the evaluation workbook and its HTML.

Templates are Jinja2 with autoescaping (every value from the data is escaped); phone numbers are masked.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from jinja2 import Environment, select_autoescape

from ..derive import yes_no_text
from .features import FEATURES
from .model import GROUP_LABELS

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_env.filters["pct"] = lambda v, d=1: (
    "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v * 100:.{d}f}%"
)
_env.filters["num"] = lambda v, d=3: "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{d}f}"

_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;max-width:1100px;margin:2em auto;
color:#222;line-height:1.6;padding:0 1em}
h1{border-bottom:3px solid #2b6cb0;padding-bottom:.3em}h2{color:#2b6cb0;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#eef4fb}td.l,th.l{text-align:left}.box{border-left:5px solid #c53030;background:#fff5f5;padding:.6em 1em}
.ok{border-left:5px solid #2f855a;background:#f0fff4;padding:.6em 1em}.note{color:#555;font-size:13px}
"""


def _fmt_table(df: pd.DataFrame, pct_cols=(), num_cols=(), digits=3) -> list[dict]:
    """DataFrame -> list of row dicts with formatted strings (for the templates)."""
    rows = []
    for rec in df.to_dict(orient="records"):
        r = {}
        for k, v in rec.items():
            if v is None or (isinstance(v, float) and math.isnan(v)):
                r[k] = "—"
            elif k in pct_cols:
                r[k] = f"{v * 100:.1f}%"
            elif k in num_cols or isinstance(v, float):
                r[k] = f"{v:.{digits}f}"
            else:
                r[k] = str(v)
        rows.append(r)
    return rows


CARD_TEMPLATE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>风险模型卡 {{ year }}</title>
<style>{{ css }}</style></head><body>
<h1>回头看抽查风险模型卡（{{ year }} 年）</h1>
<p class="note">生成时间：{{ now }}　模型版本：{{ version }}</p>
<h2>一、用途</h2>
<p>本模型只用于<strong>安排入户核查的先后和抽样</strong>：把更可能存在“收入不达标、两不愁三保障未解决或信息不准确”的已脱贫户
更多地排入抽查名单。它<strong>不是</strong>认定返贫或取消、减少任何帮扶政策的依据；任何结论都必须经入户核实。每个抽样框内的户都有
大于零的入样概率，所以抽查结果仍可无偏地估计全县、全市的问题比例。</p>
{% if fallback %}<div class="box"><strong>未使用风险模型（透明评分）：</strong>{{ reason }}。抽样分层按下列透明评分规则的得分进行；
得分折算的“风险评分”不是经校准的概率，只用于排序与分配样本量。</div>
{% else %}<div class="ok"><strong>已训练风险模型：</strong>{{ kind_label }}（由按村分组的交叉验证在候选模型中选出），概率经{{ calib }}校准。</div>{% endif %}
<h2>二、数据与加权</h2>
<ul>
<li>标签来自“历史核查结果”：核查结论不是“属实”即为有问题。已标注户 {{ n_labels }} 户，其中有问题 {{ n_pos }} 户。</li>
<li>特征只来自贫困户信息、贫困人口信息、收入、帮扶措施和规则核查结果（{{ n_features }} 项，见附表）；<strong>不使用民族、性别，
也不使用县、乡、村标识</strong>。县别、少数民族自治县、女性户主等只用于分组检验。</li>
<li>训练权重 = 1/入样概率。已知入样概率 {{ weights.known }} 户；{% if weights.imputed %}<strong>{{ weights.imputed }} 户
（如第三方评估）未记录入样概率，按已知权重的中位数 {{ weights.imputed_value|num(1) }} 计</strong>——这些户的选取方式不明，
可能带来选择偏差。{% else %}没有缺少入样概率的户。{% endif %}权重范围 {{ weights.min|num(1) }}–{{ weights.max|num(1) }}（截尾于已知权重的第 99 百分位）。</li>
<li>训练数据哈希（SHA-256）：<code>{{ train_hash }}</code>；scikit-learn {{ sklearn_version }}，skops {{ skops_version }}。</li>
</ul>
<h2>三、验证方法</h2>
<p>按行政村分组交叉验证（StratifiedGroupKFold，5 折）：同一个村的户不会同时出现在训练集和检验集。{% if nested %}每一折都重新完成模型选择与校准，
下表全部是“没见过这些村”时的表现（加权）。{% else %}选用的模型在每一折上只用其余村训练，预测留出村；
校准映射也只用其余各折的预测拟合（交叉拟合），下表全部是“没见过这些村”时的表现（加权）。{% endif %}</p>
{% if candidates %}<h3>候选模型比较</h3>
<p>透明评分规则本身也是候选之一。所有候选在<strong>同一组按村分组的交叉验证折</strong>上、用<strong>同一加权指标</strong>
（平均精度，权重 = 1/入样概率）比较，{% if fallback %}本次历史问题户不足，只有透明评分规则可用。{% else %}选用得分最高者（并列时取更简单者），
所以表中没有任何候选在这一指标上胜过选用的模型。拟合的模型把透明评分规则的得分也作为一个特征。{% endif %}范围：全部已标注户（与选择时相同）。</p>
<table><tr><th class="l">候选</th><th>平均精度（选择依据）</th><th>AUC</th><th>预算内命中率</th><th>预算内查全率</th><th>相对随机</th><th class="l">结果</th></tr>
{% for r in candidates %}<tr><td class="l">{{ r['候选'] }}</td><td>{{ r['平均精度']|num(3) }}</td><td>{{ r['AUC']|num(3) }}</td><td>{{ r['预算内命中率']|pct }}</td><td>{{ r['预算内查全率']|pct }}</td><td>{{ r['相对随机']|num(2) }}×</td><td class="l">{% if r['选中'] %}<strong>本次选用</strong>{% endif %}</td></tr>{% endfor %}</table>
{% if nested %}<p class="note">下文“在抽查预算下的表现”中的“风险模型”一行是把整个选择过程（含候选选择与校准）放进外层交叉验证得到的，
包含了选择本身的不确定性，因而可能略低于本表中选用候选的得分。</p>{% else %}<p class="note">下文“在抽查预算下的表现”中的“风险模型”一行使用与本表相同的按村分组交叉验证折上选用候选的折外预测（校准交叉拟合）。
模型是在这些折上从{{ candidates|length }}个候选中选出的，因此这些数字可能略偏乐观（选择本身的不确定性未计入）。</p>{% endif %}{% endif %}
{% if metrics %}
<h2>四、在抽查预算下的表现</h2>
<p>预算：每县按抽样框规模访问 n = {{ n }} 户对应的比例（各县比例 = n/抽样框户数）。命中率 = 被访户中有问题的比例；查全率 = 全部问题户中被访到的比例。
评估范围：{{ scope_text }}；加权问题率 {{ metrics.prevalence|pct }}（{{ metrics.n }} 户，问题 {{ metrics.positives }} 户）。</p>
<table><tr><th class="l">排序方法</th><th>命中率</th><th>查全率</th><th>AUC</th><th>平均精度</th><th>相对随机</th></tr>
{% for r in orderings %}<tr><td class="l">{{ r.name }}</td><td>{{ r.precision|pct }}</td><td>{{ r.recall|pct }}</td><td>{{ r.auc|num(3) }}</td><td>{{ r.ap|num(3) }}</td><td>{{ r.lift|num(2) }}×</td></tr>{% endfor %}
</table>
{% if brier is not none %}<h2>五、校准</h2><p>Brier 分数 {{ brier|num(4) }}（越小越好；全部预测为平均问题率时为 {{ brier_ref|num(4) }}）。按预测风险十等分：</p>
<table><tr><th class="l">分组</th><th>户数</th><th>平均预测风险</th><th>实际问题率</th><th>最低预测</th><th>最高预测</th></tr>
{% for r in reliability %}<tr><td class="l">{{ r.name }}</td><td>{{ r['户数'] }}</td><td>{{ r['预测风险'] }}</td><td>{{ r['实际问题率'] }}</td><td>{{ r['最低预测'] }}</td><td>{{ r['最高预测'] }}</td></tr>{% endfor %}</table>{% endif %}
<h2>六、分县与分组结果</h2>
<p class="note">“入选比例”为该组在预算内被排入的加权比例；与“加权问题率”对照可看出某组是否被过多或过少抽查。少数民族自治县、女性户主、纯老年户、有残疾成员户仅用于检验，不进入模型。</p>
<table><tr>{% for c in subset_cols %}<th{% if loop.index <= 2 %} class="l"{% endif %}>{{ c }}</th>{% endfor %}</tr>
{% for r in subsets %}<tr>{% for c in subset_cols %}<td{% if loop.index <= 2 %} class="l"{% endif %}>{{ r[c] }}</td>{% endfor %}</tr>{% endfor %}</table>
{% else %}<h2>四、在抽查预算下的表现</h2><p class="box">历史核查结果不足（缺少有问题或属实的户），无法检验排序效果。</p>{% endif %}
{% if importance %}<h2>七、重要特征（置换重要性）</h2><p class="note">在留出村上随机打乱某一特征后平均精度的下降；相关特征（如收入余量与政策性收入占比）会分摊重要性。</p>
<table><tr><th class="l">特征</th><th>重要性</th><th>标准差</th></tr>{% for r in importance %}<tr><td class="l">{{ r['特征'] }}</td><td>{{ r.importance }}</td><td>{{ r.std }}</td></tr>{% endfor %}</table>{% endif %}
{% if scorecard %}<h2>八、评分卡（逻辑回归系数）</h2><p class="note">每增加一个标准差，对数优势的变化；分值 = 10 × 系数。</p>
<table><tr><th class="l">特征</th><th>每标准差系数</th><th>比值比</th><th>分值</th><th>标准差</th></tr>{% for r in scorecard %}<tr><td class="l">{{ r['特征'] }}</td><td>{{ r['每标准差系数'] }}</td><td>{{ r['比值比（每标准差）'] }}</td><td>{{ r['分值（每标准差）'] }}</td><td>{{ r['标准差'] }}</td></tr>{% endfor %}</table>{% endif %}
<h2>九、透明评分规则（后备方案，亦作比较基准）</h2>
<table><tr><th class="l">条件</th><th>分值</th></tr>{% for t, p in points_rule %}<tr><td class="l">{{ t }}</td><td>{{ p }}</td></tr>{% endfor %}</table>
<p class="note">收入余量四档只取其一。简单规则 = 复核人均收入高出脱贫线最少者优先。</p>
{% if tradeoff %}<h2>十、抽样设计的取舍（命中率与估计精度）</h2>
<p>同一抽样框、同一样本量下各种设计的比较：在“模型校准准确”的假设下（每户问题按其风险评分随机产生）模拟 {{ tradeoff_draws }} 次抽样。
预期命中率 = 被访户中有问题的比例；区间宽度 = 95% Korn–Graubard 区间的平均宽度；覆盖率 = 区间包含真实比例的次数占比（目标 95%，不低于 93%）。
所有设计中每户的入样概率都已知且大于零，估计都无偏。改用其他设计：在参数文件 spot_check 下设置 certainty_n、hit_emphasis、band_shares。</p>
<table><tr>{% for c in tradeoff_cols %}<th{% if loop.first %} class="l"{% endif %}>{{ c }}</th>{% endfor %}</tr>
{% for r in tradeoff %}<tr>{% for c in tradeoff_cols %}<td{% if loop.first %} class="l"{% endif %}>{{ r[c] }}</td>{% endfor %}</tr>{% endfor %}</table>{% endif %}
{% if design %}<h2>十一、本次抽样设计</h2><table><tr><th class="l">县</th><th class="l">分层</th><th>总户数</th><th>样本量</th><th>入样概率</th><th>平均预测风险</th></tr>
{% for r in design %}<tr><td class="l">{{ r.county }}</td><td class="l">{{ r.stratum }}</td><td>{{ r.N_h }}</td><td>{{ r.n_h }}</td><td>{{ r.pi }}</td><td>{{ r.mean_risk }}</td></tr>{% endfor %}</table>{% endif %}
<h2>十二、局限</h2><ul>
<li>标签只来自过去被核查的户（选择性标签）；已知入样概率的户按 1/入样概率加权纠正，未记录入样概率的户只能近似处理。</li>
<li>特征取自本年度台账，标签来自往年核查，期间情况可能变化；模型每年须用新的抽查结果重新训练与校准。</li>
<li>各县样本不大，分县结果的不确定性较大；上表不附区间的数字只作参考。</li>
<li>模型描述的是关联而非因果；风险评分高不代表该户有问题，低也不代表没有问题。</li>
<li>分层与 Neyman 分配只影响效率，不影响估计的无偏性：即使模型不准，按入样概率加权的估计仍然有效。</li>
</ul>
<h2>附：特征清单</h2><p class="note">{{ feature_list }}</p>
</body></html>"""


TRADEOFF_PCT = {
    "预期命中率",
    "全市区间平均宽度",
    "各县区间平均宽度",
    "全市区间覆盖率",
    "各县区间覆盖率",
    "各县最低覆盖率",
}
TRADEOFF_SHOWN = [
    "设计",
    "预期命中率",
    "相对随机抽样",
    "全市区间平均宽度",
    "各县区间平均宽度",
    "宽度相对纯Neyman",
    "全市区间覆盖率",
    "各县区间覆盖率",
    "必查户数",
    "本次采用",
]


def tradeoff_rows(tradeoff: pd.DataFrame | None) -> list[dict]:
    """The trade-off table formatted for HTML (shares as percentages, ratios with two decimals, counts whole)."""
    if tradeoff is None or not len(tradeoff):
        return []
    t = tradeoff.reindex(columns=TRADEOFF_SHOWN)
    rows = []
    for rec in t.to_dict(orient="records"):
        r = {}
        for k, v in rec.items():
            if k in TRADEOFF_PCT:
                r[k] = f"{v * 100:.1f}%"
            elif k in ("相对随机抽样", "宽度相对纯Neyman"):
                r[k] = f"{v:.2f}×"
            elif k == "必查户数":
                r[k] = f"{int(v):,}"
            else:
                r[k] = "" if v is None else str(v)
        rows.append(r)
    return rows


def render_model_card(
    fit: dict,
    year: int,
    n: int,
    design: pd.DataFrame | None,
    meta: dict,
    tradeoff: pd.DataFrame | None = None,
    tradeoff_draws: int = 200,
) -> str:
    """The model card HTML from :func:`hgk_lib.risk.model.fit_risk_model` output, the draw's design and the design
    trade-off table (:func:`hgk_lib.risk.tradeoff.tradeoff_table`)."""
    m = fit.get("metrics")
    names = {
        "model": "风险模型" if not fit["fallback"] else "透明评分（本次使用）",
        "simple": "简单规则（收入余量最低优先）",
        "points": "透明评分规则",
        "random": "随机抽取",
    }
    orderings, reliability, subsets, subset_cols = [], [], [], []
    brier = brier_ref = None
    if m:
        base = m["orderings"]["random"]["precision"]
        for key in ["model", "points", "simple", "random"]:
            if key == "points" and fit["fallback"]:
                continue
            if key in m["orderings"]:
                o = m["orderings"][key]
                orderings.append({"name": names[key], **o, "lift": o["precision"] / base if base else float("nan")})
        if "reliability" in m:
            reliability = [
                {"name": k, **r} for k, r in zip(m["reliability"].index, _fmt_table(m["reliability"], digits=4))
            ]
            brier, p = m["brier"], m["prevalence"]
            brier_ref = p * (1 - p)
        sub = m["by_subset"].copy()
        if len(sub):
            sub["类别"] = sub["类别"].map(lambda c: "县" if c == "county" else GROUP_LABELS.get(c, c))
            subset_cols = [c for c in sub.columns]
            subsets = _fmt_table(
                sub,
                pct_cols={"加权问题率", "平均预测风险", "预算内命中率", "预算内查全率", "入选比例", "简单规则命中率"},
            )
    imp = fit.get("importance")
    importance = (
        _fmt_table(imp.head(15)[["特征", "importance", "std"]], digits=4) if imp is not None and len(imp) else []
    )
    sc = fit.get("scorecard")
    scorecard = _fmt_table(sc) if sc is not None and len(sc) else []
    des = []
    if design is not None and len(design):
        des = _fmt_table(design[["county", "stratum", "N_h", "n_h", "pi", "mean_risk"]], digits=4)
    kind_label = {
        "logistic": "正则化逻辑回归（全部特征 + 透明评分得分）",
        "core": "正则化逻辑回归（核心特征 + 透明评分得分）",
        "hgb": "直方图梯度提升树（HistGradientBoosting）",
        "points": "透明评分规则（得分经逻辑映射校准）",
    }.get(fit.get("kind"), "")
    cand = fit.get("candidates")
    candidates = cand.to_dict(orient="records") if cand is not None and len(cand) else []
    return _env.from_string(CARD_TEMPLATE).render(
        css=_CSS,
        year=year,
        now=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        version=meta.get("model_version", ""),
        fallback=fit["fallback"],
        reason=fit.get("reason", ""),
        kind_label=kind_label,
        calib="Sigmoid（Platt）",
        n_labels=fit["n_labels"],
        n_pos=fit["n_positives"],
        n_features=len(FEATURES),
        weights=fit["weights"],
        train_hash=fit.get("train_hash", ""),
        sklearn_version=meta.get("sklearn_version", ""),
        skops_version=meta.get("skops_version", ""),
        cv_scores=fit.get("cv_scores"),
        metrics=m,
        n=n,
        scope_text=(
            "抽样框内（保持脱贫类）的已标注户，即模型实际使用的范围"
            if (m or {}).get("scope") == "frame"
            else "全部已标注户（抽样框内的已标注户不足以单独评估）"
        ),
        orderings=orderings,
        brier=brier,
        brier_ref=brier_ref,
        reliability=reliability,
        subsets=subsets,
        subset_cols=subset_cols,
        importance=importance,
        scorecard=scorecard,
        points_rule=fit.get("points_rule") or [],
        design=des,
        candidates=candidates,
        nested=fit.get("validation", "nested") == "nested",
        tradeoff=tradeoff_rows(tradeoff),
        tradeoff_cols=TRADEOFF_SHOWN,
        tradeoff_draws=tradeoff_draws,
        feature_list="、".join(FEATURES.values()),
    )


# ---------------------------------------------------------------------------------------------------------------
# Evaluation report
# ---------------------------------------------------------------------------------------------------------------
def _mask_phone(v):
    try:
        from ..report.mask import mask_phone

        return mask_phone(v)
    except ImportError:  # pragma: no cover - report module absent
        s = "" if v is None else str(v)
        return s[:3] + "****" + s[-4:] if len(s) >= 11 else ("****" if s else s)


SUMMARY_HEADERS = {
    "county": "县（市、区）",
    "frame": "抽样框户数",
    "drawn": "抽取户数",
    "inspected": "已核查户数",
    "problems": "发现问题户数",
    "p": "问题比例（加权）",
    "p_lo": "问题比例95%下限",
    "p_hi": "问题比例95%上限",
    "income_n": "填写核实收入户数",
    "below": "核实收入低于脱贫线户数",
    "q": "收入低于脱贫线比例（加权）",
    "q_lo": "收入低于线95%下限",
    "q_hi": "收入低于线95%上限",
    "p_neff": "有效样本量",
    "deff": "设计效应",
    "not_covered": "未覆盖户数",
}
STRATA_HEADERS = {
    "县（市、区）": "县（市、区）",
    "stratum": "分层",
    "N_h": "总户数N",
    "n_h": "样本量n",
    "inspected": "已核查",
    "problems": "发现问题",
    "hit_rate": "命中率",
    "mean_risk": "平均预测风险",
}
CASE_HEADERS = {
    "county": "县（市、区）",
    "hh_id": "户编号",
    "township": "乡（镇）",
    "village": "行政村",
    "head_name": "户主姓名",
    "phone": "联系电话",
    "stratum": "分层",
    "conclusion": "核查结论",
    "verified": "核实人均可支配收入",
    "needs_note": "三保障问题说明",
    "inspector": "核查人",
    "date": "核查日期",
    "remark": "备注",
}


def evaluation_tables(ev: dict, design: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Chinese-headed tables of the evaluation (phones masked)."""
    summ = ev["summary"].reindex(columns=list(SUMMARY_HEADERS)).rename(columns=SUMMARY_HEADERS)
    strata = ev["strata"].reindex(columns=list(STRATA_HEADERS)).rename(columns=STRATA_HEADERS)
    cases = ev["cases"]
    if len(cases):
        county = design.drop_duplicates("工作表").set_index("工作表")["县（市、区）"]
        cases = cases.assign(
            county=cases["sheet"].map(county),
            phone=cases["phone"].map(_mask_phone),
            date=pd.to_datetime(cases["date"], errors="coerce").dt.strftime("%Y-%m-%d"),
        )
    cases = cases.reindex(columns=list(CASE_HEADERS)).rename(columns=CASE_HEADERS)
    return {"汇总": summ, "分层命中": strata, "确认问题户": cases}


EVAL_TEMPLATE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>抽查结果评估 {{ year }}</title>
<style>{{ css }}</style></head><body>
<h1>{{ year }} 年回头看抽查结果评估</h1>
<p class="note">生成时间：{{ now }}　来源：{{ source }}</p>
{% if simulated %}<div class="box"><strong>模拟数据：</strong>本名单的核查结论由演示数据的“真实情况”自动填写，不是真实入户核查结果，仅供演示。</div>{% endif %}
{% if fallback %}<div class="box">本次抽样未使用风险模型（历史问题户不足），分层依据透明评分规则。</div>{% endif %}
<h2>一、问题比例估计</h2>
<p>按入样概率加权（分层估计），95% 区间为 Korn–Graubard 区间（有效样本量上的 Clopper–Pearson 精确区间，与 R survey 包
svyciprop(method="beta") 相同）；发现 0 户问题时，有效样本量取已核查户数，上限即精确单侧界。</p>
<table><tr><th class="l">县（市、区）</th><th>抽样框</th><th>已核查</th><th>发现问题</th><th>问题比例（95%区间）</th><th>核实收入低于脱贫线（95%区间）</th></tr>
{% for r in summary %}<tr><td class="l">{{ r.county }}</td><td>{{ r.frame|int }}</td><td>{{ r.inspected }}/{{ r.drawn }}</td><td>{{ r.problems }}</td>
<td>{{ r.p|pct }}（{{ r.p_lo|pct }}–{{ r.p_hi|pct }}）</td><td>{{ r.q|pct }}（{{ r.q_lo|pct }}–{{ r.q_hi|pct }}）</td></tr>{% endfor %}</table>
<h2>二、各层命中情况</h2>
<table><tr>{% for c in strata_cols %}<th>{{ c }}</th>{% endfor %}</tr>{% for r in strata %}<tr>{% for c in strata_cols %}<td>{{ r[c] }}</td>{% endfor %}</tr>{% endfor %}</table>
{% if issues %}<h2>三、填写问题</h2><p class="note">下列单元格未能计入（其余记录照常评估）：</p>
<table><tr><th class="l">工作表</th><th>行号</th><th class="l">列</th><th class="l">原值</th><th class="l">问题</th></tr>
{% for r in issues %}<tr><td class="l">{{ r['工作表'] }}</td><td>{{ r['行号'] }}</td><td class="l">{{ r['列'] }}</td><td class="l">{{ r['原值'] }}</td><td class="l">{{ r['问题'] }}</td></tr>{% endfor %}</table>{% endif %}
<h2>{% if issues %}四{% else %}三{% endif %}、确认问题户（待整改）</h2>
<table><tr>{% for c in case_cols %}<th class="l">{{ c }}</th>{% endfor %}</tr>{% for r in cases %}<tr>{% for c in case_cols %}<td class="l">{{ r[c] }}</td>{% endfor %}</tr>{% endfor %}</table>
</body></html>"""


def render_evaluation(
    ev: dict, tables: dict, issues: pd.DataFrame, year, source: str, simulated: bool, fallback: bool
) -> str:
    strata = tables["分层命中"]
    return _env.from_string(EVAL_TEMPLATE).render(
        css=_CSS,
        year=year,
        now=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        source=source,
        simulated=simulated,
        fallback=fallback,
        summary=ev["summary"].to_dict(orient="records"),
        strata_cols=list(strata.columns),
        strata=_fmt_table(strata, pct_cols={"命中率"}, digits=4),
        issues=issues.to_dict(orient="records"),
        case_cols=list(tables["确认问题户"].columns),
        cases=_fmt_table(tables["确认问题户"], digits=2),
    )


def write_evaluation_xlsx(tables: dict, issues: pd.DataFrame, path, notes: list[str]) -> None:
    """抽查结果评估_<year>.xlsx: 汇总 · 分层命中 · 确认问题户 · 填写问题 · 说明 (all text cells safe from formulas)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from ..io.safe import atomic_write
    from .draw import _text

    wb = Workbook()
    wb.remove(wb.active)
    pct = {
        "问题比例（加权）",
        "问题比例95%下限",
        "问题比例95%上限",
        "收入低于脱贫线比例（加权）",
        "收入低于线95%下限",
        "收入低于线95%上限",
        "命中率",
    }
    for name, df in {**tables, "填写问题": issues}.items():
        ws = wb.create_sheet(name)
        ws.append(list(df.columns))
        for c in ws[1]:
            c.font = Font(bold=True)
        for r, rec in enumerate(df.itertuples(index=False), start=2):
            for j, (col, v) in enumerate(zip(df.columns, rec), start=1):
                cell = ws.cell(r, j)
                if isinstance(v, (bool, np.bool_)):
                    cell.value = yes_no_text(v)
                elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                    if isinstance(v, (float, np.floating)) and math.isnan(v):
                        continue
                    cell.value = float(v) if isinstance(v, (float, np.floating)) else int(v)
                    cell.number_format = (
                        "0.00%" if col in pct else ("0.00" if isinstance(v, (float, np.floating)) else "0")
                    )
                else:
                    _text(cell, v)
        ws.freeze_panes = "A2"
        for j in range(1, len(df.columns) + 1):
            ws.column_dimensions[ws.cell(1, j).column_letter].width = 16
    ws = wb.create_sheet("说明")
    for i, ln in enumerate(notes, start=1):
        _text(ws.cell(i, 1), ln)
    ws.column_dimensions["A"].width = 120
    with atomic_write(path) as tmp:
        wb.save(tmp)
