"""``hgk spot-check draw|evaluate`` and ``hgk demo-inspect``.

draw: reads every county's saved results (``<out>/<year>/<county>/results/``: features, labels, contacts, verdicts —
written by the county run, :mod:`hgk_lib.results`), trains the risk model on 历史核查结果 (or uses the transparent
score), draws the stratified sample and writes ``<out>/<year>/市汇总/``: 抽查名单_<year>.xlsx, 风险模型卡_<year>.html,
risk_model_<year>.skops + .json.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io import find_county_folders
from ..io.safe import safe_output_path
from ..params import load_params
from ..results import read_results, save_evaluation
from . import features as F

CITY_DIR = "市汇总"


def _city_dir(out, year: int) -> Path:
    from ..io.safe import safe_output_path

    return Path(safe_output_path(Path(out), str(int(year)), CITY_DIR))


# ---------------------------------------------------------------------------------------------------------------
# Inputs: every county's saved results (hgk_lib.results), never a recomputation
# ---------------------------------------------------------------------------------------------------------------
DRAW_TABLES = ["features", "labels", "contacts", "verdicts", "integrity_items"]


def county_inputs(data, year: int, out) -> list[dict]:
    """Per county of the export: ``{"county", "features", "labels", "contacts", "verdicts", "integrity_items"}``
    (the households of flagged integrity units, for ``spot_check.integrity_stratum``) read from the results
    the county run saved under ``<out>/<year>/<county>/results/`` (:func:`hgk_lib.results.read_results`)."""
    counties = sorted(Path(f).name for f in find_county_folders(Path(data)))
    if not counties:
        raise InputError("导出数据目录下没有县目录（应为“6位代码_县名”）", file=str(data))
    return [
        {"county": c, **read_results(safe_output_path(Path(out), str(int(year)), c), DRAW_TABLES)} for c in counties
    ]


def assemble(inputs: list[dict], params: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Features of every household, labels, and the sampling frame (with contact columns) over all counties.

    Each input is a county's saved results (:func:`county_inputs`) or, for a toy registry, its raw ``tables``,
    ``findings`` and ``verdicts``."""
    feats, labels, frames = [], [], []
    for c in inputs:
        if "features" not in c:  # raw tables (a toy registry, tests): the county run's per-county step here
            c = {**c, **F.county_risk_tables(c["tables"], params, c.get("findings"), c["verdicts"], c["county"])}
        feats.append(c["features"].set_index("hh_id"))
        labels.append(c["labels"].assign(county=c["county"]))
        v = c["verdicts"].drop(columns=["item_id"], errors="ignore").assign(county=c["county"])
        phone = c["contacts"].drop_duplicates("hh_id").set_index("hh_id")["phone"]
        flagged = c.get("integrity_items")  # households of flagged integrity units (the stratum 数据真实性)
        flagged = set(flagged["hh_id"].dropna().astype(str)) if flagged is not None and len(flagged) else set()
        frames.append(v.assign(phone=v["hh_id"].map(phone), integrity=v["hh_id"].astype(str).isin(flagged)))
    features = pd.concat(feats)
    features = features[~features.index.duplicated(keep="first")]
    from .draw import sampling_frame

    frame = sampling_frame(pd.concat(frames, ignore_index=True))
    return features, pd.concat(labels, ignore_index=True), frame


# ---------------------------------------------------------------------------------------------------------------
# draw
# ---------------------------------------------------------------------------------------------------------------
def draw_city(inputs: list[dict], params: dict, out, n: int | None = None, seed: int | None = None) -> dict:
    """Everything of ``spot-check draw`` after the counties are processed (pure inputs -> files)."""
    sc = params["spot_check"]
    n = int(n if n is not None else sc["n"])
    seed = int(seed if seed is not None else sc["seed"])
    if n < 1:
        raise InputError(f"样本量必须为正整数：{n}")
    features, labels, frame = assemble(inputs, params)
    if frame.empty:
        raise InputError("抽样框为空：没有“保持脱贫”类结论的已脱贫户")
    from . import model  # noqa: F401  (scikit-learn imported once, before the writer's fork shares it)

    writer = SideProcess()  # writes the model file; imports skops while the model fits
    try:
        writer.submit(_import_model_writer)
        return _draw_scored(features, labels, frame, params, out, n, seed, writer)
    finally:
        writer.close()


def _draw_scored(features, labels, frame, params, out, n: int, seed: int, writer: SideProcess) -> dict:
    """The model fit, its file (by ``writer``), the draw, the trade-off table (beside), the list and the card."""
    from .card import render_model_card
    from .draw import draw_sample, write_spot_list
    from .model import FALLBACK_VERSION, save_model

    sc = params["spot_check"]
    year = int(params["year"]["audit_year"])
    share = (n / frame.groupby("county").size()).clip(upper=1.0).to_dict()
    from .model import fallback_score_rule, fit_risk_model

    fit = fit_risk_model(
        features,
        labels,
        share,
        int(sc["min_positives"]),
        fallback_score_rule(params),
        random_state=seed,
        frame_ids=set(frame["hh_id"]),
    )
    d = _city_dir(out, year)
    d.mkdir(parents=True, exist_ok=True)
    meta = {
        "year": year,
        "kind": fit["kind"],
        "fallback": fit["fallback"],
        "reason": fit["reason"],
        "train_hash": fit["train_hash"],
        "n_labels": fit["n_labels"],
        "n_positives": fit["n_positives"],
        "weights": fit["weights"],
        "features": list(F.FEATURES),
        "cv_scores": fit.get("cv_scores"),
        "validation": fit.get("validation"),
        "metrics": _metrics_json(fit["metrics"]),
    }
    frame = frame.assign(risk=frame["hh_id"].map(fit["risk"]))
    frame["risk"] = frame["risk"].fillna(fit["risk"].median())
    from .tradeoff import design_kwargs, tradeoff_table

    draws = int(sc.get("tradeoff_draws", 200) or 0)
    # the trade-off simulation needs only the scored frame: it runs beside the model file, the draw and the list
    tradeoff_job = beside(tradeoff_table, frame, n, sc, draws=draws, seed=seed) if draws else None
    model_path = d / f"risk_model_{year}.skops"
    if fit["fallback"]:
        import json

        import sklearn
        import skops

        meta.update(
            model_version=FALLBACK_VERSION,
            sklearn_version=sklearn.__version__,
            skops_version=skops.__version__,
            model_file=None,
        )
        from ..io.safe import atomic_write

        with atomic_write(model_path.with_suffix(".json"), "w", encoding="utf-8") as fh:
            json.dump(meta, fh, ensure_ascii=False, indent=2, default=str)
    else:
        import json

        from ..io.safe import atomic_write

        meta = writer.submit(save_model, fit["model"], model_path, meta).result()
        meta["model_version"] = f"{fit['kind']}-{model_fingerprint(fit)}"
        with atomic_write(model_path.with_suffix(".json"), "w", encoding="utf-8") as fh:
            json.dump(meta, fh, ensure_ascii=False, indent=2, default=str)
    version = meta["model_version"]
    sample, design, frame_out, notes = draw_sample(
        frame, n, seed, model_version=version, integrity_stratum=bool(sc.get("integrity_stratum")), **design_kwargs(sc)
    )
    if fit["fallback"]:
        notes = [fit["reason"]] + notes
    tradeoff = tradeoff_job.result() if tradeoff_job is not None else None
    list_path = d / f"抽查名单_{year}.xlsx"
    write_spot_list(sample, design, list_path, year, notes, fit["fallback"], version, tradeoff)
    card_path = d / f"风险模型卡_{year}.html"
    from ..io.safe import atomic_write

    with atomic_write(card_path, "w", encoding="utf-8") as fh:
        fh.write(render_model_card(fit, year, n, design, meta, tradeoff, draws))
    return {
        "list": list_path,
        "card": card_path,
        "model": model_path,
        "fit": fit,
        "sample": sample,
        "design": design,
        "frame": frame_out,
        "notes": notes,
        "tradeoff": tradeoff,
    }


def model_fingerprint(fit: dict) -> str:
    """12 hex digits naming a fitted model by what it does: its kind, its training data's hash and the risk score it
    gives every household of the frame (rounded to 1e-9). The same inputs and seed give the same fingerprint on any
    run, unlike the model file's hash (skops names its zip entries by object ids and stamps them with the time)."""
    import hashlib
    import json

    risk = fit["risk"].astype(float).round(9).sort_index()
    payload = json.dumps(
        [fit["kind"], fit["train_hash"], risk.index.astype(str).astype(object).tolist(), risk.tolist()],
        ensure_ascii=False,
    ).encode("utf-8")
    return hashlib.sha256(payload).hexdigest()[:12]


class SideProcess:
    """A forked helper process for pure, seeded work, so a result is the same wherever it runs: :meth:`submit`
    returns a pending call whose ``result()`` gives the value (or raises the error). Where a second process is not
    possible or not useful (one CPU, no ``fork``, a daemonic worker process), the calls run here, in ``result()``.
    Calls submitted to one SideProcess run one after another in the same process (so a first call can import
    what later ones need while the caller goes on)."""

    def __init__(self):
        import multiprocessing as mp
        import os

        self._pool = None
        if (os.cpu_count() or 1) < 2 or "fork" not in mp.get_all_start_methods() or mp.current_process().daemon:
            return
        from concurrent.futures import ProcessPoolExecutor

        try:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork"))
        except Exception:  # pragma: no cover - no second process here
            self._pool = None

    def submit(self, fn, *args, **kw) -> "_Pending":
        import warnings

        if self._pool is not None:
            try:
                with warnings.catch_warnings():  # Python ≥ 3.12 warns on fork with threads; the child starts none
                    warnings.simplefilter("ignore", DeprecationWarning)
                    return _Pending(future=self._pool.submit(fn, *args, **kw))
            except Exception:  # the helper is gone: compute here
                self.close()
        return _Pending(call=(fn, args, kw))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None


class _Pending:
    def __init__(self, future=None, call=None):
        self._future, self._call = future, call

    @property
    def in_process(self) -> bool:
        return self._future is None

    _owner = None

    def result(self):
        try:
            if self._future is None:
                fn, args, kw = self._call
                return fn(*args, **kw)
            return self._future.result()
        finally:
            if self._owner is not None:
                self._owner.close()


def beside(fn, *args, **kw) -> _Pending:
    """``fn(*args, **kw)`` in a forked process of its own while the caller goes on (see :class:`SideProcess`); the
    process ends with ``result()``."""
    side = SideProcess()
    pending = side.submit(fn, *args, **kw)
    pending._owner = side
    return pending


def _import_model_writer() -> None:
    import skops.io  # noqa: F401  (its import lists every scikit-learn estimator: ~1.5 s, paid beside the fit)


def _metrics_json(m: dict | None) -> dict | None:
    if not m:
        return None
    out = {k: v for k, v in m.items() if k not in ("reliability", "by_subset")}
    if "reliability" in m:
        out["reliability"] = m["reliability"].reset_index().to_dict(orient="records")
    if "by_subset" in m:
        out["by_subset"] = m["by_subset"].to_dict(orient="records")
    return out


def draw_from_results(data, year: int, out, params_file=None, n: int | None = None, seed: int | None = None) -> dict:
    """``hgk spot-check draw`` as a library call: every county of ``data`` read from its saved results under
    ``out`` (:func:`county_inputs`), then :func:`draw_city`."""
    params = load_params(params_file, year=year)
    if int(params["year"]["audit_year"]) != int(year):
        raise InputError(f"参数文件的核查年度 {params['year']['audit_year']} 与 --year {year} 不一致")
    return draw_city(county_inputs(data, year, out), params, out, n, seed)


def run_draw(args) -> int:
    res = draw_from_results(args.data, args.year, args.out, args.params, args.n, args.seed)
    fit = res["fit"]
    print(f"抽查名单：{res['list']}（{res['sample']['county'].nunique()} 个县，共 {len(res['sample'])} 户）")
    print(f"风险模型卡：{res['card']}")
    if fit["fallback"]:
        print(f"注意：{fit['reason']}")
    else:
        print(f"风险模型：{res['model']}（{fit['kind']}，标注 {fit['n_labels']} 户，问题 {fit['n_positives']} 户）")
    for n in res["notes"]:
        if n != fit["reason"]:
            print(f"提示：{n}")
    return 0


# ---------------------------------------------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------------------------------------------
def _year_of(path) -> int:
    m = re.search(r"(20\d\d)", Path(path).name)
    if not m:
        raise InputError("无法从文件名判断核查年度（应为 抽查名单_<年度>.xlsx）", file=str(path))
    return int(m.group(1))


def evaluate_file(results, out, params: dict | None = None, as_of=None) -> dict:
    from ..io.safe import atomic_write
    from .card import evaluation_tables, render_evaluation, write_evaluation_xlsx
    from .estimate import evaluate, read_results, validate_results
    from .simulate import SIM_INSPECTOR

    year = _year_of(results)
    params = params or load_params(year=year)
    exit_line = float(params["income"]["exit_line"])
    rows, design, _ = read_results(results)
    clean, issues = validate_results(rows, design)
    ev = evaluate(clean, design, exit_line)
    tables = evaluation_tables(ev, design)
    simulated = bool(len(clean)) and bool(
        (clean["inspector"].astype(str) == SIM_INSPECTOR).any()
        or clean["remark"].astype(str).str.contains("模拟").any()
    )
    fallback = design["分配方法"].astype(str).str.contains("透明评分").any()
    d = _city_dir(out, year)
    notes = [
        f"{year} 年回头看抽查结果评估（来源：{Path(results).name}）",
        '估计方法：按入样概率加权的分层估计；95% 区间为 Korn–Graubard 区间（R survey::svyciprop(method="beta")）；'
        "发现 0 户问题时有效样本量取已核查户数。",
        f"收入低于脱贫线：核实人均可支配收入 < {exit_line:g} 元。未填写核查结论的户未计入。",
    ]
    if simulated:
        notes.insert(0, "【模拟数据】核查结论由演示数据自动填写，不是真实入户核查结果。")
    if fallback:
        notes.append("本次抽样未使用风险模型（透明评分分层）。")
    xlsx = d / f"抽查结果评估_{year}.xlsx"
    write_evaluation_xlsx(tables, issues, xlsx, notes)
    save_evaluation(d, {"evaluation_summary": ev["summary"]}, year=year, source=Path(results).name)
    html = d / f"抽查结果评估_{year}.html"
    with atomic_write(html, "w", encoding="utf-8") as fh:
        fh.write(render_evaluation(ev, tables, issues, year, Path(results).name, simulated, fallback))
    # campaign.md §3: the confirmed problems go into the record as 市抽查 items (each county's next ledger:
    # sheet 市抽查整改意见)
    from ..campaign.wire import record_spot_check_file

    campaign = record_spot_check_file(results, out, year, clean, design, params, as_of)
    return {
        "xlsx": xlsx,
        "html": html,
        "evaluation": ev,
        "issues": issues,
        "simulated": simulated,
        "campaign": campaign,
    }


def run_evaluate(args) -> int:
    res = evaluate_file(args.results, args.out, as_of=getattr(args, "as_of", None))
    city = res["evaluation"]["summary"].iloc[-1]
    print(f"抽查结果评估：{res['xlsx']}、{res['html']}")
    camp = res.get("campaign") or {}
    print(
        f"整改记录：新增市抽查事项 {camp.get('new', 0)} 项，县报已整改改为整改不实 {camp.get('not_genuine', 0)} 项"
        + ("（与上次评估相同，整改记录不变）" if camp.get("run_id") is None else "")
    )
    print(
        f"全市已核查 {int(city['inspected'])} 户，发现问题 {int(city['problems'])} 户，加权问题比例 "
        f"{city['p'] * 100:.1f}%（95% 区间 {city['p_lo'] * 100:.1f}%–{city['p_hi'] * 100:.1f}%）"
    )
    if len(res["issues"]):
        print(f"填写问题 {len(res['issues'])} 处（见“填写问题”工作表），其余记录已评估：")
        for r in res["issues"].head(20).itertuples(index=False):
            print(f"  工作表“{r[0]}”第 {r[1]} 行 {r[2]}：{r[4]}")
    return 0


def run(args) -> int:
    if args.spot_command == "draw":
        return run_draw(args)
    if args.spot_command == "evaluate":
        return run_evaluate(args)
    raise InputError(f"未知的抽查子命令：{args.spot_command}")  # pragma: no cover


# ---------------------------------------------------------------------------------------------------------------
# demo-inspect
# ---------------------------------------------------------------------------------------------------------------
def run_demo_inspect(args) -> int:
    from .simulate import fill_from_truth

    truth_dir = Path(args.truth)
    path = truth_dir / "households.csv" if truth_dir.is_dir() else truth_dir
    if not path.exists():
        raise InputError("找不到演示数据的真实情况文件 households.csv", file=str(path))
    truth = pd.read_csv(path, dtype={"hh_id": str, "county": str})
    if not {"hh_id", "true_problem"} <= set(truth.columns):
        raise InputError("真实情况文件缺少列 hh_id 或 true_problem", file=str(path))
    year = _year_of(args.list)
    exit_line = float(load_params(year=year)["income"]["exit_line"])
    res = fill_from_truth(args.list, truth, args.out, exit_line, date=f"{year}-11-30")
    print(f"已模拟填写 {res['filled']} 户（演示数据，非真实核查）：{args.out}")
    if res["missing"]:
        print(f"提示：{res['missing']} 户在真实情况文件中找不到，未填写")
    return 0
