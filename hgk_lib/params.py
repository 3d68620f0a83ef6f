"""Year parameters (``params/<year>.yaml``): load, validate, flatten.

Every key the code uses is declared in :data:`SPEC`; a file with an unknown key or without a declared key is an
error naming the key, so a typo can never silently fall back to a default.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from .errors import InputError
from .resources import PARAMS_DIR  # the packaged copy when installed from a wheel

#: section -> key -> type (``None`` = free-form mapping/any)
SPEC: dict[str, dict[str, object]] = {
    "year": {"audit_year": int, "reference_date": str, "school_cutoff": str},
    "income": {
        "count_medical_reimbursement": bool,
        "income_tolerance": (int, float),
        "exit_line": (int, float),
        "return_line": (int, float),
        "stable_margin": (int, float),
        "policy_share_max": (int, float),
        "earlier_exit_lines": dict,
    },
    "needs": None,
    "deadlines": {"by_level": dict, "other_days": int, "spot_check_days": int},
    "labour": {
        "working_age_min": int,
        "old_age": int,
        "compulsory_age_min": int,
        "compulsory_age_max": int,
        "pension_age": int,
        "pwj_min_months": int,
        "road_distance_max_km": (int, float),
        "unsafe_house_levels": list,
        "unhardened_road_types": list,
    },
    "measures": {"first_year": int},
    "spot_check": {
        "n": int,
        "risk_bands": int,
        "min_per_stratum": int,
        "pi_floor_share": (int, float),
        "certainty_threshold": (int, float, type(None)),
        "min_positives": int,
        "seed": int,
        "hit_emphasis": (int, float),
        "certainty_n": int,
        "band_shares": (list, type(None)),
        "tradeoff_draws": int,
        "fallback_score": dict,
        "integrity_stratum": bool,
    },
    "integrity": {
        "alpha": float,
        "min_households": int,
        "window": float,
        "round_yuan": (int, float),
        "min_components": int,
        "jump_factor": (int, float),
        "permutations": int,
    },
    "visit": {"income_margin": (int, float)},
    "stages": {"mobilise": str, "implement": str, "spot_check_from": str, "spot_check_to": str, "report": str},
}
#: spot_check.fallback_score keys -> type
FALLBACK_SCORE_SPEC: dict[str, object] = {
    "margin_cuts": list,
    "margin_points": list,
    "income_drop": (int, float),
    "risk_per_point": (int, float),
    "risk_clip": list,
}
LEVELS = ("错误", "警告", "政策")
NEED_TYPES = [
    "义务教育失学辍学",
    "未参加基本医疗保险",
    "大病保障未落实",
    "住房不安全（改造中）",
    "住房不安全（未改造）",
    "饮水不安全",
    "兜底保障未落实",
]


def default_params_file(year: int) -> Path:
    return PARAMS_DIR / f"{year}.yaml"


def validate_params(raw: dict, source: str = "参数文件") -> dict:
    """Check sections and keys against :data:`SPEC`; return the same mapping."""
    if not isinstance(raw, dict):
        raise InputError("参数文件格式错误：顶层应为映射", file=source)
    unknown = sorted(set(raw) - set(SPEC))
    missing = sorted(set(SPEC) - set(raw))
    problems = [f"未知参数节：{k}" for k in unknown] + [f"缺少参数节：{k}" for k in missing]
    for section, keys in SPEC.items():
        if section not in raw:
            continue
        got = raw[section] or {}
        expected = NEED_TYPES if keys is None else list(keys)
        problems += [f"未知参数：{section}.{k}" for k in sorted(set(got) - set(expected))]
        problems += [f"缺少参数：{section}.{k}" for k in expected if k not in got]
        if keys:
            for k, typ in keys.items():
                if k in got and not isinstance(got[k], typ) or (k in got and typ is int and isinstance(got[k], bool)):
                    problems.append(f"参数类型错误：{section}.{k} = {got[k]!r}")
        else:
            problems += [
                f"参数类型错误：{section}.{k} 应为天数（整数）"
                for k in expected
                if k in got and not isinstance(got[k], int)
            ]
    problems += _nested_problems(raw)
    if problems:
        raise InputError("参数文件有误：" + "；".join(problems), file=source)
    try:
        dt.date.fromisoformat(raw["year"]["reference_date"])
    except ValueError:
        raise InputError(f"参数 year.reference_date 不是日期：{raw['year']['reference_date']}", file=source)
    for k, v in (raw.get("stages") or {}).items():
        try:
            dt.date.fromisoformat(str(v))
        except ValueError:
            raise InputError(f"参数 stages.{k} 不是日期：{v}", file=source)
    return raw


def _nested_problems(raw: dict) -> list[str]:
    """Checks of the nested mappings: deadlines.by_level and spot_check.fallback_score."""
    problems: list[str] = []
    by_level = (raw.get("deadlines") or {}).get("by_level")
    if isinstance(by_level, dict):
        problems += [
            f"未知参数：deadlines.by_level.{k}（级别应为 错误/警告/政策）" for k in by_level if k not in LEVELS
        ]
        problems += [f"缺少参数：deadlines.by_level.{k}" for k in LEVELS if k not in by_level]
        problems += [
            f"参数类型错误：deadlines.by_level.{k} 应为天数（整数）"
            for k, v in by_level.items()
            if not isinstance(v, int) or isinstance(v, bool)
        ]
    fs = (raw.get("spot_check") or {}).get("fallback_score")
    if isinstance(fs, dict):
        problems += [f"未知参数：spot_check.fallback_score.{k}" for k in sorted(set(fs) - set(FALLBACK_SCORE_SPEC))]
        problems += [f"缺少参数：spot_check.fallback_score.{k}" for k in FALLBACK_SCORE_SPEC if k not in fs]
        for k, typ in FALLBACK_SCORE_SPEC.items():
            if k in fs and (not isinstance(fs[k], typ) or isinstance(fs[k], bool)):
                problems.append(f"参数类型错误：spot_check.fallback_score.{k} = {fs[k]!r}")
        cuts, pts = fs.get("margin_cuts"), fs.get("margin_points")
        if isinstance(cuts, list) and isinstance(pts, list):
            if len(cuts) != len(pts) or cuts != sorted(cuts):
                problems.append(
                    "参数错误：spot_check.fallback_score.margin_cuts 应从小到大，且与 margin_points 一一对应"
                )
        clip = fs.get("risk_clip")
        if isinstance(clip, list) and not (len(clip) == 2 and 0 <= clip[0] < clip[1] <= 1):
            problems.append(
                f"参数错误：spot_check.fallback_score.risk_clip 应为 [下限, 上限]，在 0 与 1 之间：{clip!r}"
            )
    return problems


def load_params(path: str | Path | None = None, year: int | None = None) -> dict:
    """Load and validate a year's parameter file (default ``params/<year>.yaml``)."""
    if path is None:
        if year is None:
            raise ValueError("give a parameter file or a year")
        path = default_params_file(year)
    path = Path(path)
    if not path.exists():
        raise InputError("找不到参数文件", file=str(path))
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return validate_params(raw, str(path))
