"""回头看台账: the inspectors' workbook of one county and audit year, and reading its 整改状态 back.

Sheets and their listed columns follow ``outputs.md`` exactly (see :data:`SHEETS`); extra columns follow the listed
ones, helper sheets follow the listed sheets. Full ID numbers are allowed here (and only here).

整改时限 (deadline) of a finding:

* basic-needs rules (R48, R52-R54, R56, R58, R88, R90, R93) take the deadline of the matching open problem in the
  audit's 三保障问题 (same household and person, same problem type), else ``reference_date`` + the problem
  type's days from the parameters (``needs``);
* every other finding: ``reference_date`` + the level's days (``deadlines.by_level``: 错误 correct the record; 警告
  verify and correct; 政策 rectify, still inside the audit year), ``deadlines.other_days`` for any other level.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from ..integrity.outputs import SHEET_SPEC as INTEGRITY_SHEET
from ..derive import yes_no_text
from ..items import item_ids
from ..rules.engine import FINDING_FIELDS, SUMMARY_FIELDS
from .edges import verdict_counts_with_unverified
from .provenance import VOLATILE_KEYS, run_datetime
from .summary import audit_frame, audit_notes, build_county_summary, rule_category, with_columns
from .xlsx import KIND_LABELS, Col, SheetSpec, frame_for, new_workbook, save_workbook, write_table

STATUS_SHEET = "问题清单"
STATUS_OPTIONS = ["未整改", "整改中", "已整改"]
STATUS_DEFAULT = "未整改"
STATUS_FILLS = {
    "未整改": "F8D7DA",
    "整改中": "FFF3CD",
    "已整改": "D4EDDA",  # conditional fills of 整改状态
    "整改不实": "F4B183",
    "已销号": "D9D9D9",
}
#: States only the campaign record sets (campaign.md §2): a regenerated ledger shows them; the county keeps working
#: on a 整改不实 item (its drop-down offers it and the county's three states), a 已销号 item is closed.
NOT_GENUINE, CLOSED = "整改不实", "已销号"
RECORD_STATES = STATUS_OPTIONS + [NOT_GENUINE, CLOSED]
SPOT_SHEET = "市抽查整改意见"
#: Basic-needs rules -> problem type (without the housing sub-kind) in the audit's 三保障问题.
NEED_RULES = {
    "R48": "兜底保障未落实",
    "R52": "义务教育失学辍学",
    "R88": "义务教育失学辍学",
    "R53": "未参加基本医疗保险",
    "R90": "未参加基本医疗保险",
    "R54": "大病保障未落实",
    "R56": "住房不安全",
    "R93": "住房不安全",
    "R58": "饮水不安全",
}
#: Days by need family when the audit frame has no match (housing: the longer 未改造 term).
NEED_DAYS_KEY = {"住房不安全": "住房不安全（未改造）"}

C = Col
SHEETS: list[SheetSpec] = [
    SheetSpec(
        "说明",
        [
            C(
                "类别",
                "category",
                "text",
                "信息类别：基本信息、参数、输入文件、行数台账、软件版本、核查说明、工作表说明",
            ),
            C("项目", "item", "text", "名称"),
            C("内容", "value", "long", "取值"),
            C("备注", "note", "long", "补充说明"),
        ],
        "县、核查年度、运行时间、参数、输入文件及SHA-256、软件版本、随机种子、各表读取/载入/隔离行数",
    ),
    SheetSpec(
        "汇总",
        [
            C("类别", "category", "text", "统计类别"),
            C("项目", "item", "text", "统计项目"),
            C("数量", "count", "int", "户数、人数或条数"),
        ],
        "核查户数与人数、脱贫户数、核查结论、问题按级别与责任部门、三保障问题按类型",
    ),
    SheetSpec(
        STATUS_SHEET,
        [
            C("规则编号", "rule_id", "text", "规则编号（R01–R95）"),
            C("规则名称", "rule_name", "text", "规则名称"),
            C("级别", "level", "text", "错误：数据不可能；警告：不合理需核实；政策：政策落实问题需整改"),
            C("责任部门", "department", "text", "负责核实整改的部门"),
            C("户编号", "hh_id", "id", "户编号"),
            C("人编号", "person_id", "id", "人编号（按人的规则）"),
            C("乡（镇）", "township", "text", "户所在乡（镇）"),
            C("行政村", "village", "text", "户所在行政村"),
            C("户主姓名", "head_name", "text", "户主姓名"),
            C("问题字段", "columns", "text", "触发规则的字段"),
            C("当前值", "values", "long", "这些字段在系统中的记录值"),
            C("问题描述", "message", "long", "问题说明"),
            C("整改时限", "deadline", "date", "应完成整改的日期"),
            C("整改状态", "status", "text", "下拉选择：未整改 / 整改中 / 已整改（县里填写）"),
            C("整改说明", "note", "long", "整改情况说明（县里填写）"),
        ],
        "每条规则问题一行；整改状态与整改说明由县里填写后报回",
        extras=[
            C("年度", "year", "int", "收入或措施问题的年度"),
            C("项目编号", "project_id", "id", "项目问题的项目编号"),
            C("部分", "part", "text", "规则的分项（a、b…）"),
            C("来源行号", "source_row", "int", "导出文件中的行号"),
            C("措施类别", "category", "text", "措施问题的措施类别"),
            C("脱贫状态", "exit_status", "text", "户的脱贫状态"),
            C("规则类别", "rule_category", "text", "规则所属类别"),
            C("单位", "unit", "text", "人、户、措施或项目"),
            C(
                "问题编号",
                "finding_key",
                "id",
                "问题的稳定编号（规则编号+县、户、人、项目、年度、分项、问题字段的哈希），读回时用于对应",
            ),
        ],
    ),
    SheetSpec(
        "收入核查",
        [
            C("户编号", "hh_id", "id", "户编号"),
            C("乡（镇）", "township", "text", "乡（镇）"),
            C("行政村", "village", "text", "行政村"),
            C("户主姓名", "head_name", "text", "户主姓名"),
            C(
                "劳动能力类型",
                "labour_class",
                "text",
                "按在册成员年龄与劳动技能判定：有劳动能力、弱劳力半劳力、无劳动能力",
            ),
            C("在册人数", "active_n", "int", "在册（人员状态正常且公安未登记死亡/迁出）人数，即人均收入的除数"),
            C("系统人均可支配收入", "recorded_pc", "amount", "收入信息中记录的人均可支配收入（元）"),
            C("复核人均可支配收入", "income_pc", "amount", "按核查口径重新计算的人均可支配收入（元，按分四舍五入）"),
            C("差额", "income_diff", "amount", "系统值减复核值（元）"),
            C(
                "政策性收入占比",
                "policy_share",
                "pct",
                "低保、特困、养老、计生、生态补偿及其他转移性收入占家庭可支配收入的比例",
            ),
            C("核查结论", "verdict", "text", "按核查标准判定的结论"),
            C("返贫原因", "return_cause", "text", "返贫户的主要原因"),
            C("脱贫质量", "quality", "text", "A 稳定、B 不稳定、C 差距大"),
            C("依据", "reasons", "long", "判定依据"),
        ],
        "每个已脱贫户一行：收入复核与核查结论",
        extras=[
            C("脱贫状态", "exit_status", "text", "系统中的脱贫状态"),
            C("年度家庭人口数", "recorded_n", "int", "收入信息中记录的年度家庭人口数"),
        ],
    ),
    SheetSpec(
        "三保障问题",
        [
            C("户编号", "hh_id", "id", "户编号"),
            C("人编号", "person_id", "id", "人编号（按人的问题）"),
            C("问题类型", "problem_type", "text", "两不愁三保障问题类型"),
            C("责任部门", "department", "text", "负责部门"),
            C("证据来源", "evidence", "long", "判定依据（系统字段或部门数据）"),
            C("整改时限", "deadline", "date", "应解决日期"),
            C("年内可解决", "resolvable", "bool", "整改时限不晚于核查年度12月31日"),
        ],
        "每个未解决的两不愁三保障问题一行",
        extras=[
            C("乡（镇）", "township", "text", "乡（镇）"),
            C("行政村", "village", "text", "行政村"),
            C("户主姓名", "head_name", "text", "户主姓名"),
        ],
    ),
    SheetSpec(
        "分类施策",
        [
            C("户编号", "hh_id", "id", "户编号"),
            C("劳动能力类型", "labour_class", "text", "劳动能力类型"),
            C("建议措施", "recommended", "text", "按劳动能力类型建议的措施"),
            C("当年措施", "measures_this_year", "long", "核查年度已有的帮扶措施类别"),
            C("是否匹配", "match", "bool", "当年措施中是否有建议措施"),
            C("脱贫质量", "quality", "text", "脱贫质量"),
        ],
        "每户一行：劳动能力分类与当年措施是否对路",
    ),
    SheetSpec(
        "帮扶措施核对",
        [
            C("户编号", "hh_id", "id", "户编号"),
            C("年度", "year", "int", "缺少措施的年度"),
            C("阶段", "stage", "text", "脱贫前、脱贫当年、巩固提升"),
            C("问题", "problem", "long", "问题说明"),
        ],
        "每个缺少帮扶措施的户-年度一行",
        extras=[
            C("当年人均可支配收入", "income_pc", "amount", "该年度收入信息按核查口径复核的人均可支配收入（元）"),
            C(
                "当年脱贫线",
                "exit_line",
                "amount",
                "该年度的脱贫标准线（元，参数 income.exit_line / earlier_exit_lines）",
            ),
            C("低于当年脱贫线", "below_line", "bool", "当年人均可支配收入是否低于当年脱贫线（仅供参考）"),
        ],
    ),
    SheetSpec(
        "项目库核查",
        [
            C("项目编号", "project_id", "id", "项目编号"),
            C("项目名称", "project_name", "text", "项目名称"),
            C("规则编号", "rule_id", "text", "规则编号"),
            C("问题描述", "description", "long", "问题说明"),
        ],
        "每条项目问题一行",
    ),
    SheetSpec(
        "动态管理",
        [
            C("户编号", "hh_id", "id", "户编号"),
            C("人编号", "person_id", "id", "人编号"),
            C(
                "类型",
                "kind",
                "text",
                "自然减少、自然增加、补录、清退（均为候选，需核实）；无正常成员的户为整户一行（人编号空）："
                "整户自然减少、整户清退、空挂户（不作核查结论）",
            ),
            C("依据", "basis", "long", "判定依据"),
            C("来源", "source", "text", "数据来源"),
        ],
        "每个动态管理候选一行（需核实，程序不会自行增删人员）",
    ),
    SheetSpec(
        "隔离数据",
        [
            C("文件", "file", "text", "输入文件"),
            C("工作表", "sheet", "text", "工作表"),
            C("行号", "row", "int", "文件中的行号"),
            C("列", "column", "text", "列名"),
            C("原值", "value", "long", "无法读取的原始值"),
            C("原因", "reason", "long", "无法载入的原因"),
        ],
        "无法载入的行（如证件号码在Excel中丢失末位），需回到业务系统核对",
        extras=[C("数据表", "table", "text", "所属数据表")],
    ),
    SheetSpec(
        "数据字典",
        [
            C("工作表", "sheet", "text", "工作表名称"),
            C("列名", "column", "text", "列名"),
            C("类型", "kind", "text", "取值类型"),
            C("含义", "meaning", "long", "含义"),
        ],
        "各工作表的列及含义",
    ),
]
SHEET_NAMES = [s.name for s in SHEETS]
SPEC = {s.name: s for s in SHEETS}

#: campaign.md §3: the city's spot-check findings back to the county, right after the listed sheets (outputs.md,
#: "Added by the campaign"); read back by ``hgk collect`` like 问题清单.
SPOT_SPEC = SheetSpec(
    SPOT_SHEET,
    [
        C("户编号", "户编号", "id", "户编号"),
        C("乡（镇）", "乡（镇）", "text", "乡（镇）"),
        C("行政村", "行政村", "text", "行政村"),
        C("户主姓名", "户主姓名", "text", "户主姓名"),
        C("核查结论", "核查结论", "text", "市抽查的核查结论：收入不达标 / 两不愁三保障未解决 / 信息不准确"),
        C("核实人均可支配收入", "核实人均可支配收入", "amount", "市抽查入户核实的人均可支配收入（元）"),
        C("三保障问题说明", "三保障问题说明", "long", "市抽查填写的三保障问题说明"),
        C("整改意见", "整改意见", "long", "市里的整改意见"),
        C("整改时限", "整改时限", "date", "抽查评估日起 deadlines.spot_check_days 天"),
        C(
            "整改状态",
            "整改状态",
            "text",
            "下拉选择：未整改 / 整改中 / 已整改（县里填写）；整改不实、已销号由整改记录给出",
        ),
        C("整改说明", "整改说明", "long", "整改情况说明（县里填写）"),
    ],
    "市抽查确认的问题户（整改记录中来源为“市抽查”的事项）：县里整改后填写整改状态与整改说明，与问题清单一同报回",
    extras=[C("事项编号", "事项编号", "id", "整改记录中的事项编号，读回时用于对应")],
)

#: Helper sheets after the listed ones.
HELPER_SHEETS: list[SheetSpec] = [
    INTEGRITY_SHEET,  # 数据真实性筛查 (outputs.md "Added by the campaign", integrity.md): first after the listed ones
    SheetSpec(
        "规则运行情况",
        [
            C("规则编号", "rule_id", "text", "规则编号"),
            C("规则名称", "rule_name", "text", "规则名称"),
            C("级别", "level", "text", "级别"),
            C("责任部门", "department", "text", "责任部门"),
            C("运行状态", "status", "text", "已运行或未运行（缺数据）"),
            C("缺少数据", "missing", "long", "未运行时缺少的表、列或分项"),
            C("已判定单位数", "evaluated", "int", "在范围内并已判定的单位数"),
            C("未能判定单位数", "not_evaluated", "int", "在范围内但无法判定的单位数（年龄未知、主键重复等）"),
            C("问题条数", "findings", "int", "问题条数"),
            C("涉及户数", "households", "int", "涉及户数"),
        ],
        "每条规则的运行状态与单位数（用时不在台账中：见该县的 run.json，重跑得到逐格相同的台账）",
    ),
    SheetSpec(
        "行业部门问题",
        [
            C("户编号", "hh_id", "id", "户编号"),
            C("人编号", "person_id", "id", "人编号"),
            C("问题", "issue", "text", "问题"),
            C("责任部门", "department", "text", "责任部门"),
            C("证据来源", "evidence", "long", "依据"),
        ],
        "其他行业部门问题（用电、道路、养老金），不计入三保障问题",
    ),
    SheetSpec(
        "公益性岗位不稳定",
        [
            C("户编号", "hh_id", "id", "户编号"),
            C("人编号", "person_id", "id", "人编号"),
            C("岗位", "post", "text", "公益性岗位"),
            C("月数", "months", "num", "岗位月数"),
        ],
        "公益性岗位月数不足（走读式）",
    ),
    SheetSpec(
        "项目受益核对",
        [
            C("项目编号", "project_id", "id", "到户到人项目的项目编号"),
            C("项目名称", "project_name", "text", "项目名称"),
            C("申报受益户数", "declared_hh", "int", "项目库填报的受益贫困户数"),
            C("措施关联户数", "linked_hh", "int", "帮扶措施中关联该项目的户数"),
            C("申报受益人数", "declared_people", "int", "项目库填报的受益贫困人口数"),
            C("措施关联人数", "linked_people", "int", "关联户的在册人数"),
            C("户数差额", "difference", "int", "申报受益户数减措施关联户数"),
        ],
        "到户到人项目的受益户数与帮扶措施关联户数对照",
    ),
]
PROVENANCE_SHEET = "_provenance"


# -------------------------------------------------------------------------------------------------------------
# frames
# -------------------------------------------------------------------------------------------------------------
def _params_section(params: dict | None, section: str) -> dict:
    """A section of the validated year parameters; a clear error when a caller passed none."""
    got = (params or {}).get(section)
    if not isinstance(got, dict):
        raise ValueError(f"the ledger needs the year parameters' {section!r} section (hgk_lib.params.load_params)")
    return got


def _reference_date(params: dict | None) -> pd.Timestamp:
    return pd.Timestamp(_params_section(params, "year")["reference_date"])


def _need_days(params: dict | None) -> dict[str, int]:
    """Days by need family (the problem type without its housing sub-kind), from the ``needs`` section."""
    needs = _params_section(params, "needs")
    fams = dict.fromkeys(NEED_RULES.values())
    return {fam: int(needs[NEED_DAYS_KEY.get(fam, fam)]) for fam in fams if NEED_DAYS_KEY.get(fam, fam) in needs}


def _need_family(problem_type: pd.Series) -> pd.Series:
    return (
        problem_type.astype(object).where(problem_type.notna(), "").astype(str).str.replace(r"[（(].*$", "", regex=True)
    )


def _key_text(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), "").astype(str)


def _hh_info(households: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["hh_id", "township", "village", "head_name"]
    if households is None or "hh_id" not in households:
        return pd.DataFrame(columns=cols)
    h = households[[c for c in cols if c in households]].copy()
    for c in cols:
        if c not in h:
            h[c] = None
    h["hh_id"] = _key_text(h["hh_id"])
    return h.drop_duplicates("hh_id")[cols]


def finding_keys(f: pd.DataFrame) -> pd.Series:
    """问题编号 of each finding: its campaign item id (:func:`hgk_lib.items.item_ids`, source 规则, the checked
    columns as ``field``); the county run computes it once (``item_id``), else it is computed here."""
    if "item_id" in f and f["item_id"].notna().all():
        return f["item_id"].astype(object)
    return item_ids(f.rename(columns={"columns": "field"}), "规则", f["rule_id"])


def problem_list(
    findings: pd.DataFrame | None, households: pd.DataFrame | None, needs: pd.DataFrame, params: dict | None, year: int
) -> pd.DataFrame:
    """问题清单 rows (English keys) in a stable order: rule number, household, person, project, year, part, row."""
    f = pd.DataFrame(columns=FINDING_FIELDS) if findings is None else findings.copy()
    for c in FINDING_FIELDS:
        if c not in f:
            f[c] = None
    f = f.reset_index(drop=True)
    f["hh_id"] = f["hh_id"].astype(object).where(f["hh_id"].notna(), None)
    info = _hh_info(households)
    f["_hh"] = _key_text(f["hh_id"])
    f = f.merge(info.rename(columns={"hh_id": "_hh"}), on="_hh", how="left", suffixes=("_f", ""))
    for c in ("township", "village", "head_name"):  # a finding's own value wins over the household table's
        if c + "_f" in f:
            f[c] = f[c + "_f"].where(f[c + "_f"].notna(), f[c])
            f = f.drop(columns=c + "_f")
    # sort
    num = pd.to_numeric(_key_text(f["rule_id"]).str.extract(r"(\d+)", expand=False), errors="coerce").fillna(9999)
    order = pd.DataFrame(
        {
            "n": num,
            "r": _key_text(f["rule_id"]),
            "h": f["_hh"],
            "p": _key_text(f["person_id"]),
            "j": _key_text(f["project_id"]),
            "y": _key_text(f["year"]),
            "a": _key_text(f["part"]),
            "s": pd.to_numeric(f["source_row"], errors="coerce").fillna(-1),
            "m": _key_text(f["message"]),
        }
    )
    f = f.loc[order.sort_values(list(order.columns), kind="mergesort").index].reset_index(drop=True)
    f["finding_key"] = finding_keys(f)
    f["rule_category"] = rule_category(f["rule_id"])
    f["deadline"] = deadlines(f, needs, params, year)
    f["status"] = STATUS_DEFAULT
    f["note"] = None
    return f.drop(columns="_hh")


def apply_carry_over(problems: pd.DataFrame, carry_over: pd.DataFrame | None) -> pd.DataFrame:
    """Keep the 整改状态/整改说明 an earlier ledger recorded for the same 问题编号."""
    if carry_over is None or len(carry_over) == 0 or "finding_key" not in carry_over:
        return problems
    prev = carry_over.dropna(subset=["finding_key"]).drop_duplicates("finding_key", keep="last")
    valid = (
        prev["status_valid"].astype(object).map(lambda v: v is True or v is np.True_)
        if "status_valid" in prev
        else pd.Series(True, index=prev.index)
    )
    status = prev.loc[valid].set_index("finding_key")["status"]
    note = prev.set_index("finding_key")["note"] if "note" in prev else pd.Series(dtype=object)
    out = problems.copy()
    s = out["finding_key"].map(status)
    out["status"] = s.where(s.isin(STATUS_OPTIONS), out["status"]).astype(object)
    n = out["finding_key"].map(note)
    out["note"] = n.where(n.notna(), out["note"]).astype(object)
    return out


def apply_states(problems: pd.DataFrame, states: pd.DataFrame | None) -> pd.DataFrame:
    """整改状态 from the campaign record (``states``: item_id · state · note, :func:`hgk_lib.campaign.wire.ledger_states`)
    for every 问题编号 it knows; 整改说明: what the county last wrote (read back), else what the ledger carried."""
    if states is None or len(states) == 0:
        return problems
    st = states.drop_duplicates("item_id").set_index("item_id")
    out = problems.copy()
    s = out["finding_key"].map(st["state"])
    out["status"] = s.where(s.isin(RECORD_STATES), out["status"]).astype(object)
    n = out["finding_key"].map(st["note"]) if "note" in st else pd.Series(None, index=out.index)
    out["note"] = n.where(n.notna(), out["note"]).astype(object)
    return out


def status_choices(status: pd.Series) -> pd.Series:
    """The 整改状态 drop-down of each row: the county's three states; a 整改不实 row also offers 整改不实 (its current
    value), a 已销号 row only 已销号 (closed: a ledger cannot change it)."""
    from collections import defaultdict

    lists = defaultdict(lambda: tuple(STATUS_OPTIONS), {NOT_GENUINE: (NOT_GENUINE, *STATUS_OPTIONS), CLOSED: (CLOSED,)})
    return status.astype(object).map(lists)


def spot_sheet_frame(spot: pd.DataFrame | None) -> pd.DataFrame:
    """Rows of 市抽查整改意见 (headers of :data:`SPOT_SPEC`; empty with its columns when there are none)."""
    cols = [c.key for c in SPOT_SPEC.all_columns]
    if spot is None or len(spot) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    out = spot.reindex(columns=cols).copy()
    out["整改时限"] = pd.to_datetime(out["整改时限"], errors="coerce")
    return out.reset_index(drop=True)


def deadlines(f: pd.DataFrame, needs: pd.DataFrame, params: dict | None, year: int) -> pd.Series:
    """整改时限 per finding (see the module docstring)."""
    ref = _reference_date(params)
    dl = _params_section(params, "deadlines")
    other = int(dl["other_days"])
    lvl_days = _key_text(f["level"]).map(dl["by_level"]).fillna(other)
    out = ref + pd.to_timedelta(lvl_days.astype(int), unit="D")
    fam = _key_text(f["rule_id"]).map(NEED_RULES)
    is_need = fam.notna()
    if not is_need.any():
        return out.dt.normalize()
    out[is_need] = ref + pd.to_timedelta(fam[is_need].map(_need_days(params)).fillna(other).astype(int), unit="D")
    n = needs.copy()
    if len(n):
        n["fam"] = _need_family(n["problem_type"])
        n["h"] = _key_text(n["hh_id"])
        n["p"] = _key_text(n["person_id"])
        n["d"] = pd.to_datetime(n["deadline"], errors="coerce")
        n = n.dropna(subset=["d"])
        q = pd.DataFrame({"h": _key_text(f["hh_id"]), "p": _key_text(f["person_id"]), "fam": fam})
        by_person = n.groupby(["h", "p", "fam"])["d"].min()
        by_hh = n.groupby(["h", "fam"])["d"].min()
        d1 = pd.Series(by_person.reindex(pd.MultiIndex.from_frame(q[["h", "p", "fam"]])).to_numpy(), index=f.index)
        d2 = pd.Series(by_hh.reindex(pd.MultiIndex.from_frame(q[["h", "fam"]])).to_numpy(), index=f.index)
        d = d1.where(d1.notna(), d2)
        use = is_need & d.notna()
        out[use] = pd.to_datetime(d[use])
    return pd.to_datetime(out).dt.normalize()


def _with_hh_info(df: pd.DataFrame, households) -> pd.DataFrame:
    info = _hh_info(households)
    out = df.copy()
    out["_hh"] = _key_text(out["hh_id"])
    out = out.merge(info.rename(columns={"hh_id": "_hh"}), on="_hh", how="left", suffixes=("", "_h"))
    for c in ("township", "village", "head_name"):
        if c + "_h" in out:
            out[c] = out[c].where(out[c].notna(), out[c + "_h"]) if c in df else out[c + "_h"]
            out = out.drop(columns=c + "_h")
    return out.drop(columns="_hh")


def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    keys = [k for k in keys if k in df]
    if not keys or df.empty:
        return df.reset_index(drop=True)
    order = pd.DataFrame({k: _key_text(df[k]) for k in keys})
    return df.loc[order.sort_values(keys, kind="mergesort").index].reset_index(drop=True)


def _flatten(prefix: str, obj, out: list):
    if isinstance(obj, dict):
        for k in sorted(obj, key=str):
            _flatten(f"{prefix}.{k}" if prefix else str(k), obj[k], out)
    else:
        out.append((prefix, obj))


def explanation_rows(*, county_folder, county_name, year, params, provenance, row_ledger, audit) -> pd.DataFrame:
    prov = provenance or {}
    rows = [
        ("基本信息", "县（市、区）", county_name, county_folder),
        ("基本信息", "核查年度", year, None),
        ("基本信息", "运行时间（UTC）", prov.get("run_time_utc"), None),
        ("基本信息", "随机种子", prov.get("seed"), None),
        ("基本信息", "参数 SHA-256", prov.get("params_sha256"), prov.get("params_file")),
        ("基本信息", "hgk 版本", prov.get("hgk_version"), None),
        ("基本信息", "Python", prov.get("python"), prov.get("platform")),
    ]
    flat: list = []
    _flatten("", params or {}, flat)
    # a switch reads 是/否 like every yes/no in the workbook (never True/False)
    rows += [("参数", k, yes_no_text(v) if isinstance(v, bool) else v, None) for k, v in flat]
    for r in prov.get("inputs") or []:
        rows.append(("输入文件", r.get("file"), r.get("sha256"), f"{r.get('table')}；{r.get('bytes')} 字节"))
    rl = row_ledger if row_ledger is not None else pd.DataFrame()
    for r in rl.astype(object).to_dict("records"):
        rows.append(
            (
                "行数台账",
                f"{r.get('table')}：{Path(str(r.get('file'))).name}",
                f"读取 {_int(r.get('rows_read'))} 行，载入 {_int(r.get('rows_loaded'))} 行，"
                f"隔离 {_int(r.get('rows_quarantined'))} 行",
                None,
            )
        )
    for k, v in sorted((prov.get("packages") or {}).items()):
        rows.append(("软件版本", k, v if v is not None else "未安装", None))
    rows += [("核查说明", f"说明{i}", n, None) for i, n in enumerate(audit_notes(audit), start=1)]
    rows += [("工作表说明", s.name, s.description, None) for s in SHEETS + [SPOT_SPEC] + HELPER_SHEETS]
    rows.append(
        (
            "整改时限规则",
            "三保障规则",
            "按三保障问题的整改时限；无对应问题时按参数中该类问题天数（自参照日起算）",
            "R48 R52 R53 R54 R56 R58 R88 R90 R93",
        )
    )
    by_level = _params_section(params, "deadlines")["by_level"]
    rows.append(
        ("整改时限规则", "其他规则", "参照日起：" + "，".join(f"{k} {v} 天" for k, v in by_level.items()), None)
    )
    df = pd.DataFrame(rows, columns=["category", "item", "value", "note"]).astype(object)
    return df.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return "—"


def summary_rows(summary: dict) -> pd.DataFrame:
    s = summary
    rows = [
        ("核查范围", "核查户数", s["households"]["audited"]),
        ("核查范围", "核查人数", s["people"]["audited"]),
        ("核查范围", "在册人数", s["people"]["active"]),
        ("核查范围", "已脱贫户数", s["households"]["exited"]),
        ("核查范围", "给出核查结论的已脱贫户数", s["households"]["verdicts_given"]),
        ("核查范围", "无正常成员的户数（不作核查结论，见动态管理）", s["households"].get("no_active_member", 0)),
        ("核查范围", "其中已脱贫户", s["households"].get("exited_no_active_member", 0)),
        ("核查范围", "有问题的户数", s["households"]["with_findings"]),
    ]
    rows += [("核查结论", k, v) for k, v in verdict_counts_with_unverified(s).items()]
    rows += [("脱贫质量", k, v) for k, v in s["quality"].items()]
    rows += [("问题级别", k, v) for k, v in s["findings"]["by_level"].items()]
    rows.append(("问题级别", "合计", s["findings"]["total"]))
    rows += [("责任部门", k, v) for k, v in s["findings"]["by_department"].items()]
    rows += [("规则类别", k, v) for k, v in s["findings"]["by_category"].items()]
    rows += [("三保障问题", k, v) for k, v in s["needs"]["by_type"].items()]
    rows.append(("三保障问题", "合计", s["needs"]["total"]))
    rows.append(("三保障问题", "年内可解决", s["needs"]["resolvable_this_year"]))
    rows += [("三保障问题（按部门）", k, v) for k, v in s["needs"]["by_department"].items()]
    rows.append(("分类施策", "措施不匹配户数", s["classes"]["mismatch"]))
    rows.append(("帮扶措施核对", "缺少措施的户-年度", s["measure_gaps"]))
    rows.append(("项目库核查", "项目问题", s["project_findings"]))
    rows += [("动态管理", k, v) for k, v in s["dynamic"].items()]
    for t, r in s["rows"].items():
        rows += [
            ("数据读取", f"{t} 读取行数", r["rows_read"]),
            ("数据读取", f"{t} 载入行数", r["rows_loaded"]),
            ("数据读取", f"{t} 隔离行数", r["rows_quarantined"]),
        ]
    rows += [("规则运行", k, v) for k, v in s["rules"]["by_status"].items()]
    return pd.DataFrame(rows, columns=["category", "item", "count"])


def dictionary_rows() -> pd.DataFrame:
    rows = [
        (s.name, c.header, KIND_LABELS.get(c.kind, c.kind), c.meaning)
        for s in SHEETS + [SPOT_SPEC] + HELPER_SHEETS
        for c in s.all_columns
    ]
    return pd.DataFrame(rows, columns=["sheet", "column", "kind", "meaning"])


# -------------------------------------------------------------------------------------------------------------
# writer
# -------------------------------------------------------------------------------------------------------------
def write_county_ledger(
    path,
    *,
    county_folder: str,
    county_name: str,
    year: int,
    findings: pd.DataFrame | None,
    rule_summary: pd.DataFrame | None,
    audit,
    quarantine: pd.DataFrame | None,
    row_ledger: pd.DataFrame | None,
    files: pd.DataFrame | None,
    params: dict | None,
    provenance: dict | None,
    households: pd.DataFrame | None = None,
    members: pd.DataFrame | None = None,
    summary: dict | None = None,
    carry_over: pd.DataFrame | None = None,
    states: pd.DataFrame | None = None,
    spot_check: pd.DataFrame | None = None,
    integrity: pd.DataFrame | None = None,
) -> Path:
    """Write 回头看台账 to ``path`` (atomically; deterministic given the same inputs and provenance).

    ``carry_over``: the status frame of :func:`read_ledger_status` for an earlier, filled-in ledger; findings with
    the same 问题编号 keep their 整改状态 (valid values only) and 整改说明 instead of 未整改/blank.
    ``states``: the campaign record's state of each item (item_id · state · note); it wins over ``carry_over``
    (the record is the campaign's memory: 整改不实 and 已销号 come only from it).
    ``spot_check``: rows of sheet 市抽查整改意见 (:func:`hgk_lib.campaign.spotcheck.spot_check_sheet`), written after
    the listed sheets (empty when None).
    ``integrity``: the integrity screen's unit table (sheet 数据真实性筛查, :func:`hgk_lib.integrity.wiring.ledger_sheet`)."""
    path = Path(path)
    if summary is None:
        summary = build_county_summary(
            county_folder=county_folder,
            county_name=county_name,
            year=year,
            findings=findings,
            rule_summary=rule_summary,
            audit=audit,
            quarantine=quarantine,
            row_ledger=row_ledger,
            files=files,
            params=params,
            provenance=provenance,
            households=households,
            members=members,
        )
    needs = audit_frame(audit, "needs")
    frames = {
        "说明": explanation_rows(
            county_folder=county_folder,
            county_name=county_name,
            year=year,
            params=params,
            provenance=provenance,
            row_ledger=row_ledger,
            audit=audit,
        ),
        "汇总": summary_rows(summary),
        STATUS_SHEET: apply_states(
            apply_carry_over(problem_list(findings, households, needs, params, year), carry_over), states
        ),
        "收入核查": _sorted(_income_sheet(audit), ["township", "village", "hh_id"]),
        "三保障问题": _sorted(_with_hh_info(needs, households), ["hh_id", "person_id", "problem_type"]),
        "分类施策": _sorted(audit_frame(audit, "classes"), ["hh_id"]),
        "帮扶措施核对": _sorted(audit_frame(audit, "measure_gaps"), ["hh_id", "year"]),
        "项目库核查": _sorted(audit_frame(audit, "project_findings"), ["project_id", "rule_id"]),
        "动态管理": _sorted(audit_frame(audit, "dynamic"), ["hh_id", "person_id", "kind"]),
        "隔离数据": _sorted(_quarantine(quarantine), ["table", "file", "sheet"]),
        "数据字典": dictionary_rows(),
    }
    helpers = {
        "规则运行情况": _frame(rule_summary, SUMMARY_FIELDS),
        "行业部门问题": _sorted(audit_frame(audit, "sector"), ["hh_id", "person_id", "issue"]),
        "公益性岗位不稳定": _sorted(audit_frame(audit, "unstable_pwj"), ["hh_id", "person_id"]),
        "项目受益核对": _sorted(audit_frame(audit, "beneficiaries"), ["project_id"]),
    }
    from ..integrity.wiring import ledger_sheet

    helpers[INTEGRITY_SHEET.name] = ledger_sheet(integrity)
    wb = new_workbook(f"回头看台账_{county_name}_{year}", run_datetime(provenance))
    for spec in SHEETS:
        df, kinds = frame_for(spec, frames[spec.name])
        write_table(
            wb,
            spec.name,
            df,
            kinds,
            dropdowns={"整改状态": status_choices(df["整改状态"]) if len(df) else STATUS_OPTIONS}
            if spec.name == STATUS_SHEET
            else None,
            prompt={"整改状态": "请选择：未整改 / 整改中 / 已整改"},
            widths={"整改说明": 30} if spec.name == STATUS_SHEET else None,
            highlight={"整改状态": STATUS_FILLS} if spec.name == STATUS_SHEET else None,
        )
    df, kinds = frame_for(SPOT_SPEC, spot_sheet_frame(spot_check))
    write_table(
        wb,
        SPOT_SHEET,
        df,
        kinds,
        dropdowns={"整改状态": status_choices(df["整改状态"]) if len(df) else STATUS_OPTIONS},
        prompt={"整改状态": "请选择：未整改 / 整改中 / 已整改"},
        widths={"整改意见": 40, "整改说明": 30},
        highlight={"整改状态": STATUS_FILLS},
    )
    for spec in HELPER_SHEETS:
        df, kinds = frame_for(spec, helpers[spec.name])
        write_table(wb, spec.name, df, kinds)
    flat: list = []  # everything but the run time (说明 shows it): reruns give identical sheets
    _flatten("", {k: v for k, v in (provenance or {}).items() if k not in VOLATILE_KEYS}, flat)
    prov = pd.DataFrame([(k, None if v is None else str(v)) for k, v in flat], columns=["key", "value"])
    write_table(wb, PROVENANCE_SHEET, prov, hidden=True)
    save_workbook(wb, path)
    return path


def _frame(df, cols) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    return df.reset_index(drop=True)


def _income_sheet(audit) -> pd.DataFrame:
    v = audit_frame(audit, "verdicts")
    inc = audit_frame(audit, "income")[["hh_id", "exit_status", "recorded_n"]].copy()
    inc["hh_id"] = _key_text(inc["hh_id"])
    inc = inc.drop_duplicates("hh_id")
    v = v.copy()
    v["_hh"] = _key_text(v["hh_id"])
    out = v.merge(inc.rename(columns={"hh_id": "_hh"}), on="_hh", how="left", suffixes=("", "_i"))
    for c in ("exit_status", "recorded_n"):
        if c + "_i" in out:
            out[c] = out[c + "_i"]
    return out.drop(columns=[c for c in out if c.endswith("_i") or c == "_hh"])


def _quarantine(q) -> pd.DataFrame:
    q = with_columns(q, ["table", "file", "sheet", "row", "column", "value", "reason"])
    q["file"] = q["file"].astype(object).map(lambda p: None if p is None or pd.isna(p) else Path(str(p)).name)
    return q


# -------------------------------------------------------------------------------------------------------------
# read-back
# -------------------------------------------------------------------------------------------------------------
STATUS_COLUMNS = [
    "file",
    "row",
    "finding_key",
    "rule_id",
    "level",
    "department",
    "hh_id",
    "person_id",
    "project_id",
    "year",
    "status",
    "note",
    "status_valid",
]
PROBLEM_COLUMNS = ["file", "sheet", "row", "column", "value", "reason"]
_READ_HEADERS = {
    "问题编号": "finding_key",
    "规则编号": "rule_id",
    "级别": "level",
    "责任部门": "department",
    "户编号": "hh_id",
    "人编号": "person_id",
    "项目编号": "project_id",
    "年度": "year",
    "整改状态": "status",
    "整改说明": "note",
}
MAX_LEDGER_BYTES = 200 * 1024 * 1024


def _cell_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()[:10]
    s = unicodedata.normalize("NFKC", str(v)).strip()
    return s or None


def read_ledger_status(path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read 问题清单 of a (possibly hand-edited) ledger: one row per finding with its 整改状态/整改说明, and a list of
    problems (bad drop-down values, missing sheet or columns, unreadable file) by sheet and row, in Chinese.
    Never raises for a bad workbook: what cannot be read is reported in the problems frame."""
    path = Path(path)
    name = path.name
    problems: list[dict] = []
    records: list[dict] = []

    def problem(row, column, value, reason, sheet=STATUS_SHEET):
        problems.append({"file": name, "sheet": sheet, "row": row, "column": column, "value": value, "reason": reason})

    try:
        if not path.is_file():
            problem(None, None, None, "找不到台账文件", sheet=None)
        elif path.stat().st_size > MAX_LEDGER_BYTES:
            problem(None, None, None, "台账文件过大，未读取", sheet=None)
        else:
            from ..io.guard import read_checked_xlsx

            read_checked_xlsx(path)  # zip bombs, entity expansion, broken files: refused before parsing
            for sheet in _status_sheets(path):  # 问题清单 and, for a table split at Excel's row limit, its parts
                _read_status_rows(path, records, lambda *a, _s=sheet, **k: problem(*a, **{"sheet": _s, **k}), sheet)
    except Exception as err:  # a hand-edited workbook must never crash the roll-up
        problem(None, None, None, f"无法读取台账：{type(err).__name__}：{err}", sheet=None)
    status = pd.DataFrame(records, columns=STATUS_COLUMNS)
    return status, pd.DataFrame(problems, columns=PROBLEM_COLUMNS)


def _sheet_rows(path: Path, sheet: str):
    """All rows of ``sheet`` as lists of values (None when the sheet is absent). python-calamine is used (fast,
    reads only values); openpyxl read-only mode is the fallback."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - calamine is a dependency
        CalamineWorkbook = None
    if CalamineWorkbook is not None:
        wb = CalamineWorkbook.from_path(str(path))
        if sheet not in wb.sheet_names:
            return None
        return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet not in wb.sheetnames:
            return None
        return [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def _sheet_names(path: Path) -> list[str]:
    """The workbook's sheet names from its workbook part only (python-calamine; openpyxl's read-only mode as the
    fallback would scan every sheet for its size: minutes on a province county's ledger)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - calamine is a dependency
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        try:
            return list(wb.sheetnames)
        finally:
            wb.close()
    return list(CalamineWorkbook.from_path(str(path)).sheet_names)


def _status_sheets(path: Path) -> list[str]:
    """问题清单 followed by its continuation sheets (问题清单（续2）…) when the table was split at the row limit."""
    from .xlsx import split_sheet_names

    present = set(_sheet_names(path))
    parts = split_sheet_names(STATUS_SHEET, 1000)
    n = next((k for k, name in enumerate(parts) if name not in present), len(parts))
    return parts[: max(n, 1)]


def _read_status_rows(path: Path, records: list, problem, sheet: str = STATUS_SHEET) -> None:
    rows = _sheet_rows(path, sheet)
    if rows is None:
        problem(None, None, None, f"缺少工作表“{sheet}”")
        return
    if not rows:
        problem(1, None, None, "工作表为空，缺少表头")
        return
    # the header is row 1; a county that inserted title rows above it is forgiven (first row with 整改状态)
    head = next((i for i, r in enumerate(rows[:10]) if any(_cell_text(v) == "整改状态" for v in r)), 0)
    if head:
        problem(head + 1, None, None, f"表头不在第1行（在第{head + 1}行），已按第{head + 1}行读取")
    names = [_cell_text(h) for h in rows[head]]
    pos = {}
    for i, h in enumerate(names):
        if h in _READ_HEADERS and _READ_HEADERS[h] not in pos:
            pos[_READ_HEADERS[h]] = i
    for need in ("整改状态", "规则编号"):
        if _READ_HEADERS[need] not in pos:
            problem(1, need, None, f"缺少列“{need}”")
    if "status" not in pos:
        return
    for r, values in enumerate(rows[head + 1 :], start=head + 2):
        if values is None or all(_cell_text(v) is None for v in values):
            continue
        rec = {k: (_cell_text(values[i]) if i < len(values) else None) for k, i in pos.items()}
        status = rec.get("status")
        valid = True
        if status is None:
            valid = False
            problem(r, "整改状态", None, "整改状态为空（按未整改统计）")
        elif status in (NOT_GENUINE, CLOSED):  # the campaign record's states, shown by a regenerated ledger
            pass
        elif status not in STATUS_OPTIONS:
            valid = False
            problem(r, "整改状态", status, "整改状态不是下拉选项（未整改 / 整改中 / 已整改），按未整改统计")
        elif status == "已整改" and not rec.get("note"):
            problem(r, "整改说明", None, "已整改但未填写整改说明")
        rec["status"] = status if valid else STATUS_DEFAULT
        records.append({"file": path.name, "row": r, **rec, "status_valid": valid})
