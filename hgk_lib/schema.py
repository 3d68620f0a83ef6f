"""The one place that names every canonical table, column and code list.

The provincial export arrives with Chinese headers (``export_format.md``). The loader maps each header to an
English key listed here and parses each cell by the column's *kind*. Everything else in ``hgk_lib`` imports
names from this module; nothing else spells an export header.

Canonical table conventions (what the loader writes and every rule/audit function receives):

* one ``pandas.DataFrame`` per table, keyed by the English table name (``household``, ``member`` ...);
* only the columns present in the export are present in the table (so "not run (no data)" can be told apart
  from "blank"), plus ``_row``: the 1-based row number in the source sheet/file (as Excel shows it);
* kinds and dtypes:
    - ``text``   : ``object`` strings, trimmed, blank-likes -> ``None``/NA
    - ``id``     : ``object`` strings, normalised: trimmed, ``'`` prefix and ``="..."`` wrapper removed, full-width
                   digits made ASCII, lower-case ``x`` made ``X``. Not validated (that is rules R01-R07).
    - ``code``   : the canonical label of :data:`ENUMS` (national code or label accepted) or NA; when a
                   non-blank value is not recognised the value is NA and the original text is kept in the
                   companion column ``<key>__raw`` (see :func:`raw_col`).
    - ``yesno``  : pandas ``boolean`` (True = 是, False = 否, NA = blank); unrecognised -> NA + ``__raw``.
    - ``date``   : ``datetime64[ns]``; unparseable or outside 1900..2100 -> NaT + ``__raw``.
    - ``int``    : pandas ``Int64``; ``amount``: ``float64`` (yuan, mu, km, months ...). A non-numeric text in a
                   numeric column quarantines the row (it cannot be parsed).
    - ``multi``  : canonical labels joined by ``,`` in :data:`ENUMS` order (e.g. ``"长期慢性病,残疾"``);
                   unknown parts are dropped and the original text is kept in ``__raw``.
* ``__raw`` companion columns exist for every ``code``/``yesno``/``date``/``multi`` column present in the input;
  they hold the original text only where parsing failed, NA elsewhere.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------------------------------------------
# Code lists (canonical labels exactly as export_format.md spells them)
# ---------------------------------------------------------------------------------------------------------------
HH_TYPES = ["一般贫困户", "低保贫困户", "特困供养贫困户", "一般脱贫户", "低保脱贫户", "特困供养脱贫户"]
HH_TYPES_EXITED = ["一般脱贫户", "低保脱贫户", "特困供养脱贫户"]
HH_TYPES_NOT_EXITED = ["一般贫困户", "低保贫困户", "特困供养贫困户"]
ID_STANDARDS = ["国家标准", "省定标准", "市定标准"]
CAUSES = [
    "因病",
    "因残",
    "因学",
    "因灾",
    "缺土地",
    "缺水",
    "缺技术",
    "缺劳力",
    "缺资金",
    "交通条件落后",
    "自身发展动力不足",
    "其他",
]
EXIT_NOT = "未脱贫"
EXIT_ENJOY = "已脱贫（享受政策）"
EXIT_NO_POLICY = "已脱贫（不再享受政策）"
EXIT_RETURNED = "返贫"
EXIT_STATUSES = [EXIT_NOT, EXIT_ENJOY, EXIT_NO_POLICY, EXIT_RETURNED]
EXITED = [EXIT_ENJOY, EXIT_NO_POLICY]
LABOUR_TYPES = ["有劳动能力", "无劳动能力"]
HOUSE_LEVELS = ["A", "B", "C", "D"]
ROAD_TYPES = ["泥土路", "砂石路", "水泥路", "柏油路"]

ID_TYPES = ["居民身份证", "残疾人证", "其他"]
SEXES = ["男", "女"]
RELATIONS = [
    "户主",
    "配偶",
    "之子",
    "之女",
    "之儿媳",
    "之女婿",
    "之孙子",
    "之孙女",
    "之外孙子",
    "之外孙女",
    "之父",
    "之母",
    "之岳父",
    "之岳母",
    "之公公",
    "之婆婆",
    "之祖父",
    "之祖母",
    "之兄弟姐妹",
    "其他",
]
EDUCATION = ["文盲或半文盲", "小学", "初中", "高中", "大专", "本科及以上"]
SCHOOL_STATUSES = [
    "非在校生",
    "学前教育",
    "小学",
    "七年级",
    "八年级",
    "九年级",
    "高中一年级",
    "高中二年级",
    "高中三年级",
    "中职一年级",
    "中职二年级",
    "中职三年级",
    "高职一年级",
    "高职二年级",
    "高职三年级",
    "大专",
    "本科及以上",
]
HEALTH = ["健康", "长期慢性病", "患有大病", "残疾"]
LABOUR_SKILLS = ["普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力"]
WORK_STATUSES = ["乡（镇）内务工", "乡（镇）外县内务工", "县外省内务工", "省外务工", "未务工"]
MEMBER_STATUSES = ["正常", "自然减少", "清退"]
CHANGE_REASONS = ["新生儿", "嫁入", "补录", "死亡", "嫁出", "迁出", "错误", "其他"]

INCOME_SOURCES = ["入户核实", "预估"]

MEASURE_CATEGORIES = [
    "产业帮扶",
    "就业帮扶",
    "公益性岗位",
    "扶贫车间",
    "金融帮扶",
    "教育帮扶",
    "健康帮扶",
    "住房安全保障",
    "饮水安全保障",
    "低保兜底",
    "特困供养",
    "残疾人补贴",
    "资产收益",
    "技能培训",
    "其他",
]
MEASURE_STATUSES = ["计划", "实施中", "已完成"]
MEASURE_STAGES = ["脱贫前", "脱贫当年", "巩固提升"]

PROJECT_CATEGORIES = [
    "产业发展",
    "就业扶贫",
    "基础设施",
    "住房改造",
    "教育扶贫",
    "健康扶贫",
    "金融扶贫",
    "资产收益",
    "其他",
]
PROJECT_STATUSES = ["入库", "实施中", "已完工", "已验收"]

INSPECTION_METHODS = ["随机抽查", "重点抽查", "第三方评估"]
INSPECTION_CONCLUSIONS = ["属实", "收入不达标", "两不愁三保障未解决", "信息不准确"]

HUKOU_STATUSES = ["正常", "死亡", "迁出"]
EDU_STAGES = ["学前", "小学", "初中", "高中", "中职", "高职", "大学"]
ENROL_STATUSES = ["在读", "休学", "辍学", "毕业"]
INSURANCE_TYPES = ["城乡居民", "城镇职工"]
SUPPORT_TYPES = ["低保", "特困"]
RENOVATION_STATUSES = ["未改造", "改造中", "已竣工"]
DISABILITY_CATEGORIES = ["1", "2", "3", "4", "5", "6", "7"]
DISABILITY_GRADES = ["1", "2", "3", "4"]
MATCH_TYPES = ["财政供养人员", "名下车辆", "名下商品房", "工商注册"]

#: Every enumeration by name. The loader accepts the label, or its national code: where the national code list is
#: known it is given in :data:`NATIONAL_CODES`; otherwise the code is the 1-based position in this list
#: (``1`` or ``01`` both map). This choice is documented in docs/loader.md.
ENUMS: dict[str, list[str]] = {
    "hh_type": HH_TYPES,
    "id_standard": ID_STANDARDS,
    "cause": CAUSES,
    "exit_status": EXIT_STATUSES,
    "labour_type": LABOUR_TYPES,
    "house_level": HOUSE_LEVELS,
    "road_type": ROAD_TYPES,
    "id_type": ID_TYPES,
    "sex": SEXES,
    "relation": RELATIONS,
    "education": EDUCATION,
    "school_status": SCHOOL_STATUSES,
    "health": HEALTH,
    "labour_skill": LABOUR_SKILLS,
    "work_status": WORK_STATUSES,
    "member_status": MEMBER_STATUSES,
    "change_reason": CHANGE_REASONS,
    "income_source": INCOME_SOURCES,
    "measure_category": MEASURE_CATEGORIES,
    "measure_status": MEASURE_STATUSES,
    "measure_stage": MEASURE_STAGES,
    "project_category": PROJECT_CATEGORIES,
    "project_status": PROJECT_STATUSES,
    "inspection_method": INSPECTION_METHODS,
    "inspection_conclusion": INSPECTION_CONCLUSIONS,
    "hukou_status": HUKOU_STATUSES,
    "edu_stage": EDU_STAGES,
    "enrol_status": ENROL_STATUSES,
    "insurance_type": INSURANCE_TYPES,
    "support_type": SUPPORT_TYPES,
    "renovation_status": RENOVATION_STATUSES,
    "disability_category": DISABILITY_CATEGORIES,
    "disability_grade": DISABILITY_GRADES,
    "match_type": MATCH_TYPES,
}

#: National codes where the national list is known (research/domain.md 2.6); other lists use positions.
NATIONAL_CODES: dict[str, dict[str, str]] = {
    "sex": {"1": "男", "2": "女"},
    "exit_status": {"0": EXIT_NOT, "1": EXIT_ENJOY, "3": EXIT_RETURNED, "4": EXIT_NO_POLICY},
}

YES_VALUES = {"是", "1", "Y", "YES", "√", "✓", "✔", "TRUE", "T"}
NO_VALUES = {"否", "0", "N", "NO", "×", "✗", "✘", "FALSE", "F"}
#: Blank-likes (compared after NFKC and trimming; NULL case-insensitive).
BLANK_LIKES = {"", "无", "/", "-", "—", "——", "NULL", "NONE", "NAN", "N/A", "#N/A"}
MULTI_SEPARATORS = r"[,，、;；]"


# ---------------------------------------------------------------------------------------------------------------
# Tables and columns
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One export column: its header as the export spells it, its English key, how to parse it."""

    header: str
    key: str
    kind: str  # text | id | code | yesno | date | int | amount | multi
    required: bool = False
    enum: str | None = None  # name in ENUMS for code/multi columns
    pii: bool = False  # ID card, phone or bank numbers: masked wherever an auditor reads


@dataclass(frozen=True)
class Table:
    """One export table: file base name, where it lives, its key columns and its columns."""

    name: str  # English key, e.g. "member"
    file: str  # base name without extension, e.g. "贫困人口信息"
    label: str  # Chinese display name
    columns: tuple[Column, ...]
    header_keys: tuple[str, ...]  # the header row is the first row containing one of these headers
    required: bool = True  # a required table missing is an error; an optional one means "not run (no data)"
    department: bool = False  # lives under 部门数据/
    columns_by_key: dict = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "columns_by_key", {c.key: c for c in self.columns})

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def column(self, key: str) -> Column:
        return self.columns_by_key[key]


def _c(header, key, kind="text", required=False, enum=None, pii=False):
    return Column(header, key, kind, required, enum, pii)


HOUSEHOLD = Table(
    "household",
    "贫困户信息",
    "贫困户信息",
    (
        _c("户编号", "hh_id", "text", True),
        _c("县（市、区）", "county", "text", True),
        _c("乡（镇）", "township", "text", True),
        _c("行政村", "village", "text", True),
        _c("自然村", "hamlet"),
        _c("户主姓名", "head_name", "text", True),
        _c("户主证件号码", "head_id", "id", True, pii=True),
        _c("家庭人口数", "hh_size", "int", True),
        _c("贫困户属性", "hh_type", "code", True, "hh_type"),
        _c("识别标准", "id_standard", "code", enum="id_standard"),
        _c("主要致贫原因", "main_cause", "code", True, "cause"),
        _c("其他致贫原因", "other_causes", "multi", enum="cause"),
        _c("首次识别年度", "first_year", "int", True),
        _c("脱贫状态", "exit_status", "code", True, "exit_status"),
        _c("脱贫年度", "exit_year", "int"),
        _c("劳动能力类型", "labour_type", "code", enum="labour_type"),
        _c("联系电话", "phone", "id", pii=True),
        _c("开户银行", "bank_name"),
        _c("银行账号", "bank_account", "id", pii=True),
        _c("是否危房户", "unsafe_house", "yesno"),
        _c("危房级别", "house_level", "code", enum="house_level"),
        _c("住房面积（平方米）", "house_area", "amount"),
        _c("是否解决安全饮用水", "safe_water", "yesno"),
        _c("饮水是否困难", "water_difficulty", "yesno"),
        _c("是否通生活用电", "power_living", "yesno"),
        _c("是否通生产用电", "power_production", "yesno"),
        _c("与村主干路距离（公里）", "road_distance_km", "amount"),
        _c("入户路类型", "road_type", "code", enum="road_type"),
        _c("是否有卫生厕所", "sanitary_toilet", "yesno"),
        _c("耕地面积（亩）", "arable_mu", "amount"),
        _c("林地面积（亩）", "forest_mu", "amount"),
        _c("退耕还林面积（亩）", "grain_to_green_mu", "amount"),
        _c("帮扶责任人", "helper_name"),
        _c("帮扶责任人联系电话", "helper_phone", "id", pii=True),
        _c("最近走访日期", "last_visit", "date"),
    ),
    header_keys=("户编号",),
)

MEMBER = Table(
    "member",
    "贫困人口信息",
    "贫困人口信息",
    (
        _c("户编号", "hh_id", "text", True),
        _c("人编号", "person_id", "text", True),
        _c("姓名", "name", "text", True),
        _c("证件类型", "id_type", "code", enum="id_type"),
        _c("证件号码", "id_no", "id", True, pii=True),
        _c("性别", "sex", "code", True, "sex"),
        _c("出生日期", "birth_date", "date"),
        _c("与户主关系", "relation", "code", True, "relation"),
        _c("民族", "ethnicity"),
        _c("文化程度", "education", "code", enum="education"),
        _c("在校生状况", "school_status", "code", enum="school_status"),
        _c("义务教育阶段未上学原因", "out_of_school_reason"),
        _c("健康状况", "health", "multi", True, "health"),
        _c("残疾证号", "disability_no", "id", pii=True),
        _c("劳动技能", "labour_skill", "code", True, "labour_skill"),
        _c("务工状况", "work_status", "code", enum="work_status"),
        _c("务工时间（月）", "work_months", "amount"),
        _c("公益性岗位", "pwj_post"),
        _c("公益性岗位（月数）", "pwj_months", "amount"),
        _c("是否参加城乡居民基本医疗保险", "ins_resident", "yesno"),
        _c("是否参加城镇职工基本医疗保险", "ins_employee", "yesno"),
        _c("是否参加大病保险", "ins_critical", "yesno"),
        _c("是否参加城乡居民基本养老保险", "pension_insured", "yesno"),
        _c("是否领取养老金", "pension_receiving", "yesno"),
        _c("是否享受低保", "dibao", "yesno"),
        _c("是否特困供养人员", "tekun", "yesno"),
        _c("是否现役军人", "soldier", "yesno"),
        _c("人员状态", "member_status", "code", True, "member_status"),
        _c("变更原因", "change_reason", "code", enum="change_reason"),
        _c("变更日期", "change_date", "date"),
        _c("联系电话", "phone", "id", pii=True),
    ),
    header_keys=("证件号码", "户编号"),
)

INCOME_ITEMS = [
    "family_planning",
    "dibao_income",
    "tekun_income",
    "pension_income",
    "eco_comp",
    "medical_reimb",
    "other_transfer",
]
INCOME = Table(
    "income",
    "收入信息",
    "收入信息",
    (
        _c("户编号", "hh_id", "text", True),
        _c("年度", "year", "int", True),
        _c("年度家庭人口数", "n_members", "int"),
        _c("工资性收入", "wage", "amount", True),
        _c("其中：公益性岗位收入", "wage_pwj", "amount"),
        _c("生产经营性收入", "business_income", "amount", True),
        _c("生产经营性支出", "business_cost", "amount", True),
        _c("财产性收入", "property_income", "amount", True),
        _c("其中：资产收益扶贫分红收入", "property_dividend", "amount"),
        _c("转移性收入", "transfer_income", "amount", True),
        _c("计划生育金", "family_planning", "amount"),
        _c("低保金", "dibao_income", "amount"),
        _c("特困供养金", "tekun_income", "amount"),
        _c("养老保险金", "pension_income", "amount"),
        _c("生态补偿金", "eco_comp", "amount"),
        _c("医疗报销及救助金", "medical_reimb", "amount"),
        _c("其他转移性收入", "other_transfer", "amount"),
        _c("转移性支出", "transfer_out", "amount"),
        _c("家庭可支配收入", "disposable_recorded", "amount"),
        _c("人均可支配收入", "disposable_pc_recorded", "amount"),
        _c("数据来源", "data_source", "code", enum="income_source"),
    ),
    header_keys=("户编号",),
)

MEASURE = Table(
    "measure",
    "帮扶措施",
    "帮扶措施",
    (
        _c("户编号", "hh_id", "text", True),
        _c("年度", "year", "int", True),
        _c("措施类别", "category", "code", True, "measure_category"),
        _c("措施内容", "content"),
        _c("项目编号", "project_id"),
        _c("投入金额（元）", "amount", "amount"),
        _c("开始日期", "start_date", "date"),
        _c("完成日期", "end_date", "date"),
        _c("实施状态", "status", "code", enum="measure_status"),
        _c("措施阶段", "stage", "code", enum="measure_stage"),
    ),
    header_keys=("户编号",),
)

PROJECT = Table(
    "project",
    "项目库",
    "项目库",
    (
        _c("项目编号", "project_id", "text", True),
        _c("项目名称", "name", "text", True),
        _c("项目类别", "category", "code", True, "project_category"),
        _c("是否到户到人项目", "to_household", "yesno", True),
        _c("乡（镇）", "township"),
        _c("行政村", "village"),
        _c("年度", "year", "int", True),
        _c("计划投资（万元）", "planned_invest_wan", "amount"),
        _c("资金来源", "fund_source"),
        _c("实施单位", "implementer"),
        _c("绩效目标", "performance_goal"),
        _c("受益贫困户数", "beneficiary_hh", "int"),
        _c("受益贫困人口数", "beneficiary_people", "int"),
        _c("实施状态", "status", "code", enum="project_status"),
        _c("是否公示", "publicized", "yesno"),
        _c("开工日期", "start_date", "date"),
        _c("完工日期", "end_date", "date"),
    ),
    header_keys=("项目编号",),
)

INSPECTION = Table(
    "inspection",
    "历史核查结果",
    "历史核查结果",
    (
        _c("户编号", "hh_id", "text", True),
        _c("核查年度", "year", "int", True),
        _c("核查方式", "method", "code", True, "inspection_method"),
        _c("入样概率", "inclusion_prob", "amount"),
        _c("核查结论", "conclusion", "code", True, "inspection_conclusion"),
        _c("核实人均可支配收入", "verified_income_pc", "amount"),
    ),
    header_keys=("户编号",),
    required=False,
)

POLICE = Table(
    "police",
    "公安_户籍",
    "公安户籍",
    (
        _c("证件号码", "id_no", "id", True, pii=True),
        _c("姓名", "name"),
        _c("户籍状态", "hukou_status", "code", True, "hukou_status"),
        _c("变动日期", "change_date", "date"),
    ),
    header_keys=("证件号码",),
    required=False,
    department=True,
)

EDUCATION_LIST = Table(
    "education",
    "教育_学籍",
    "教育学籍",
    (
        _c("证件号码", "id_no", "id", True, pii=True),
        _c("学段", "stage", "code", enum="edu_stage"),
        _c("在读状态", "enrol_status", "code", True, "enrol_status"),
    ),
    header_keys=("证件号码",),
    required=False,
    department=True,
)

MEDICAL = Table(
    "medical",
    "医保_参保",
    "医保参保",
    (
        _c("证件号码", "id_no", "id", True, pii=True),
        _c("参保类型", "ins_type", "code", True, "insurance_type"),
        _c("参保年度", "ins_year", "int", True),
    ),
    header_keys=("证件号码",),
    required=False,
    department=True,
)

CIVIL = Table(
    "civil",
    "民政_低保特困",
    "民政低保特困",
    (
        _c("证件号码", "id_no", "id", True, pii=True),
        _c("保障类型", "support_type", "code", True, "support_type"),
        _c("起始日期", "start_date", "date"),
        _c("终止日期", "end_date", "date"),
    ),
    header_keys=("证件号码",),
    required=False,
    department=True,
)

HOUSING = Table(
    "housing",
    "住建_危房",
    "住建危房",
    (
        _c("户主证件号码", "head_id", "id", True, pii=True),
        _c("鉴定等级", "appraisal_level", "code", True, "house_level"),
        _c("改造状态", "renovation_status", "code", enum="renovation_status"),
        _c("竣工日期", "completion_date", "date"),
    ),
    header_keys=("户主证件号码",),
    required=False,
    department=True,
)

DISABILITY = Table(
    "disability",
    "残联_残疾人",
    "残联残疾人",
    (
        _c("证件号码", "id_no", "id", True, pii=True),
        _c("残疾类别", "dis_category", "code", enum="disability_category"),
        _c("残疾等级", "dis_grade", "code", True, "disability_grade"),
    ),
    header_keys=("证件号码",),
    required=False,
    department=True,
)

PROPERTY = Table(
    "property",
    "比对_财产与身份",
    "财产与身份比对",
    (
        _c("证件号码", "id_no", "id", True, pii=True),
        _c("比对类型", "match_type", "code", True, "match_type"),
    ),
    header_keys=("证件号码",),
    required=False,
    department=True,
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        HOUSEHOLD,
        MEMBER,
        INCOME,
        MEASURE,
        PROJECT,
        INSPECTION,
        POLICE,
        EDUCATION_LIST,
        MEDICAL,
        CIVIL,
        HOUSING,
        DISABILITY,
        PROPERTY,
    )
}
CORE_TABLES = ["household", "member", "income", "measure", "project"]
DEPARTMENT_TABLES = [n for n, t in TABLES.items() if t.department]
DEPARTMENT_DIR = "部门数据"

#: Qingyuan's county-level units (export_format.md): code -> name.
QINGYUAN_COUNTIES = {
    "441802": "清城区",
    "441803": "清新区",
    "441821": "佛冈县",
    "441823": "阳山县",
    "441825": "连山壮族瑶族自治县",
    "441826": "连南瑶族自治县",
    "441881": "英德市",
    "441882": "连州市",
}
#: Minority autonomous counties (the risk model reports their results as a group).
MINORITY_AUTONOMOUS_COUNTIES = {"441825", "441826"}

ROW_COL = "_row"  # 1-based source row number, as Excel shows it
RAW_SUFFIX = "__raw"


def raw_col(key: str) -> str:
    """Name of the companion column holding the original text of unparseable values of ``key``."""
    return key + RAW_SUFFIX


def normalise_header(text: str) -> str:
    """Header spelling variants compare equal: NFKC (full-width brackets/colon), no whitespace or line breaks."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    return "".join(s.split())


def code_map(enum: str) -> dict[str, str]:
    """Accepted spellings (normalised) -> canonical label, for one enumeration: labels, national codes, positions."""
    labels = ENUMS[enum]
    m: dict[str, str] = {}
    if enum in NATIONAL_CODES:
        for code, label in NATIONAL_CODES[enum].items():
            m[code] = label
            m[code.zfill(2)] = label
    elif enum not in ("disability_category", "disability_grade", "house_level"):
        for i, label in enumerate(labels, start=1):
            m[str(i)] = label
            m[str(i).zfill(2)] = label
    for label in labels:
        m[normalise_header(label)] = label
    return m


PII_COLUMNS = {(t.name, c.key) for t in TABLES.values() for c in t.columns if c.pii}


def table_label(name: str) -> str:
    """Chinese label of a canonical table (``member`` -> 贫困人口信息); an unknown name as it is."""
    return TABLES[name].label if name in TABLES else name
