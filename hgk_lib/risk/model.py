"""The return-risk model: a scikit-learn classifier, its transparent fallback, validation at the budget, persistence.

:class:`ReturnRiskModel` chooses between a regularised logistic regression (transparent; a points-style scorecard
is derived from it) and a histogram gradient-boosting classifier by grouped cross-validation (no village in both
train and test), then calibrates the chosen model with a sigmoid (Platt) or isotonic map fitted on its
out-of-fold predictions. Weights (1/入样概率) enter every fit, the selection and the calibration.

With fewer labelled problems than ``spot_check.min_positives`` the package does not fit a model at all: it uses
:func:`transparent_points`, a documented points rule, and says so in every output (see docs/risk.md).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ..errors import UnsafeInputError
from ..io.safe import sha256_file

FALLBACK_VERSION = "transparent-points-v1"
_EPS = 1e-6


def prediction_threads():
    """OpenMP threads for predictions on many rows (the whole frame, the permuted copies of the validation): every
    row is scored on its own, so the scores are the same with any number of threads. Fits stay single-threaded
    (their float sums could depend on the thread count). ``OMP_NUM_THREADS``, when set, is the cap."""
    import os

    cap = os.environ.get("OMP_NUM_THREADS", "")
    n = int(cap) if cap.isdigit() and int(cap) > 0 else (os.cpu_count() or 1)
    return threadpool_limits(limits=n, user_api="openmp")


# ---------------------------------------------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------------------------------------------
class ReturnRiskModel(ClassifierMixin, BaseEstimator):
    """Calibrated risk that an exited household fails a home verification (核查结论 ≠ 属实).

    (The mixin precedes ``BaseEstimator`` as scikit-learn's ``check_mixin_order`` requires.)

    Parameters
    ----------
    kind : {"auto", "points", "core", "logistic", "hgb"}
        ``auto`` picks by grouped CV weighted average precision among the candidates (simplest first: the
        transparent points rule, the core logistic model, the full logistic model, HGB); ``points`` is the points
        rule (``points_rule``) with a one-parameter logistic map (same ranking as the rule), available when X
        has the rule's columns by name.
    C : inverse L2 strength of the logistic model.
    learning_rate, max_iter, max_leaf_nodes, l2_regularization, min_samples_leaf, max_bins : HGB hyper-parameters
        (early stopping is off: its random validation split would ignore village groups). ``max_bins`` 63: with a
        few hundred weighted labels and ``min_samples_leaf`` 20, finer bins add nothing, and scikit-learn computes
        every weighted bin edge with a separate percentile call (255 bins: ~70% of an HGB fit's time).
    calibration : {"sigmoid", "isotonic", None}
        map fitted on the out-of-fold scores of the chosen model.
    cv : int, splitter or iterable of (train, test) index pairs
        folds for selection and calibration (an int: stratified grouped folds, capped by the smaller class and the
        number of groups).
    select_margin : under ``auto`` the simplest candidate whose CV score is within ``select_margin`` of the best is
        chosen. Default 0: the chosen candidate has the best score of all (ties go to the simpler one), so no
        candidate on the table beats it on the selection metric.
    points_feature : add the rule's points as a column of the fitted candidates (core, logistic, hgb) when X has
        the rule's columns.
    points_rule : the points rule's numbers (:func:`fallback_score_rule` of the year parameters). None: no points
        column and no ``points`` candidate (the rule's cut-offs are policy numbers and live in the parameters).
    core_features : names of a small core feature set (used when X has column names): adds the candidate
        ``core``, a logistic model on those columns only, preferred to the full logistic model unless the full one
        beats it by ``select_margin`` (fewer features: a scorecard an auditor can follow, and less overfitting on a
        few hundred labels).
    random_state : seed for the folds and HGB.
    """

    def __init__(
        self,
        kind="auto",
        C=0.3,
        learning_rate=0.05,
        max_iter=150,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        min_samples_leaf=20,
        calibration="sigmoid",
        cv=5,
        select_margin=0.0,
        core_features=None,
        points_feature=True,
        points_rule=None,
        random_state=None,
        max_bins=63,
    ):
        self.kind = kind
        self.C = C
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.l2_regularization = l2_regularization
        self.min_samples_leaf = min_samples_leaf
        self.calibration = calibration
        self.cv = cv
        self.select_margin = select_margin
        self.core_features = core_features
        self.points_feature = points_feature
        self.points_rule = points_rule
        self.random_state = random_state
        self.max_bins = max_bins

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    # -- building blocks ----------------------------------------------------------------------------------------
    def _candidate(self, kind: str) -> Pipeline:
        from sklearn.compose import ColumnTransformer

        cols = getattr(self, "columns_", {})
        select = (
            [("select", ColumnTransformer([("cols", "passthrough", list(cols[kind]))], remainder="drop"))]
            if kind in cols
            else []
        )
        if kind in ("core", "points"):
            if kind not in cols:
                raise ValueError(f"kind={kind!r} needs named columns in X")
            return Pipeline(
                select
                + [
                    ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                    ("scale", StandardScaler()),
                    ("clf", LogisticRegression(C=self.C if kind == "core" else 1e4, max_iter=2000)),
                ]
            )
        if kind == "logistic":
            return Pipeline(
                select
                + [
                    ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                    ("scale", StandardScaler()),
                    ("clf", LogisticRegression(C=self.C, max_iter=2000)),
                ]
            )
        if kind == "hgb":
            return Pipeline(
                select
                + [
                    (
                        "clf",
                        HistGradientBoostingClassifier(
                            learning_rate=self.learning_rate,
                            max_iter=self.max_iter,
                            max_leaf_nodes=self.max_leaf_nodes,
                            l2_regularization=self.l2_regularization,
                            min_samples_leaf=self.min_samples_leaf,
                            max_bins=self.max_bins,
                            early_stopping=False,
                            random_state=self.random_state,
                        ),
                    )
                ]
            )
        raise ValueError(f"unknown kind {kind!r}; use 'auto', 'points', 'core', 'logistic' or 'hgb'")

    def _splits(self, y, groups):
        if hasattr(self.cv, "split"):  # a splitter object
            return list(self.cv.split(np.zeros(len(y)), y, groups))
        if not isinstance(self.cv, (int, np.integer)):  # an iterable of (train, test) index pairs
            return [(np.asarray(tr), np.asarray(te)) for tr, te in self.cv]
        counts = np.bincount(y, minlength=2)
        k = int(min(self.cv, counts.min()))
        if groups is not None:
            k = min(k, len(np.unique(groups)))
        if k < 2:
            return []
        if groups is not None:
            cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=self.random_state)
            return list(cv.split(np.zeros(len(y)), y, groups))
        cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=self.random_state)
        return list(cv.split(np.zeros(len(y)), y))

    @staticmethod
    def _fit_pipe(pipe, X, y, w):
        if len(np.unique(y)) < 2:  # a fold without both classes: constant prevalence
            return float(np.average(y, weights=w))
        kw = {"clf__sample_weight": w}
        if "scale" in pipe.named_steps:  # weighted standardisation: weights behave like repeated rows
            kw["scale__sample_weight"] = w
        return pipe.fit(X, y, **kw)

    @staticmethod
    def _raw(fitted, X):
        if isinstance(fitted, float):
            return np.full(len(X), fitted)
        return fitted.predict_proba(X)[:, 1]

    def _oof(self, kind, X, y, w, splits):
        """Out-of-fold raw scores of one candidate and its fitted fold models (a float for a one-class fold)."""
        oof = np.full(len(y), np.nan)
        fitted = []
        for tr, te in splits:
            fitted.append(self._fit_pipe(self._candidate(kind), X[tr], y[tr], w[tr]))
            oof[te] = self._raw(fitted[-1], X[te])
        return oof, fitted

    # -- API ----------------------------------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, groups=None, keep_fold_models=False):
        """Fit; ``groups`` (e.g. village) keeps every group wholly in train or test during selection/calibration.

        ``keep_fold_models``: also keep ``fold_models_`` — ``(test indices, fitted pipeline)`` of the chosen candidate
        on every selection fold — for :func:`selection_validation` (which removes them again: they are not part of
        the saved model).

        Runs single-threaded: label sets are a few thousand rows, where OpenMP threads only add overhead (and
        compete with the other counties' processes of a batch run).
        """
        with threadpool_limits(limits=1):
            return self._fit(X, y, sample_weight, groups, keep_fold_models)

    def _fit(self, X, y, sample_weight, groups, keep_fold_models=False):
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            raise ValueError(f"Only binary classification is supported. The type of the target is {y_type}.")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("y contains only one class; 需要两类标签（有问题/属实）才能训练模型")
        y01 = (y == self.classes_[1]).astype(int)
        w = _check_sample_weight(sample_weight, X, dtype=np.float64)
        names = np.asarray(getattr(self, "feature_names_in_", []), dtype=object)
        self.points_ = self.points_rule is not None and bool(len(names)) and set(POINTS_COLUMNS) <= set(names)
        X = self._augment(X)
        if self.points_:
            names = np.append(names, POINTS_NAME)
        # columns that vary in the training data (all-blank or constant columns carry no information and break
        # HGB binning / weighted scaling); kept as a mask so predict takes the same input as fit
        lo, hi = (
            np.nanmin(np.where(np.isnan(X), np.inf, X), axis=0),
            np.nanmax(np.where(np.isnan(X), -np.inf, X), axis=0),
        )
        self.support_ = hi > lo
        if not self.support_.any():
            self.support_[:] = True
        X = X[:, self.support_]
        g = None if groups is None else np.asarray(groups)
        splits = self._splits(y01, g)
        self.n_splits_ = len(splits)
        names = names[self.support_] if len(names) else names
        self.feature_names_used_ = names
        core = set(self.core_features or ())
        self.core_idx_ = [i for i, n in enumerate(names) if n in core]
        pts = [i for i, n in enumerate(names) if n == POINTS_NAME]
        with_pts = bool(self.points_feature)
        self.columns_ = {}
        if pts:
            self.columns_["points"] = pts
            if not with_pts:
                self.columns_["logistic"] = self.columns_["hgb"] = [i for i in range(len(names)) if i not in pts]
        if self.core_idx_:
            self.columns_["core"] = self.core_idx_ + (pts if with_pts else [])
        if self.kind == "auto":
            kinds = [k for k in ("points", "core") if k in self.columns_] + ["logistic", "hgb"]
        else:
            kinds = [self.kind]
        if self.kind == "core" and not self.core_idx_:
            raise ValueError("kind='core' needs core_features naming columns of X")
        for k in kinds:
            self._candidate(k)  # validates `kind`
        self.cv_scores_ = {}
        self.cv_oof_ = {}
        folds = {}
        if splits:
            for k in kinds:
                self.cv_oof_[k], folds[k] = self._oof(k, X, y01, w, splits)
                self.cv_scores_[k] = float(average_precision_score(y01, self.cv_oof_[k], sample_weight=w))
        if len(kinds) == 1 or not self.cv_scores_:
            self.kind_ = kinds[0] if len(kinds) == 1 else "logistic"
        else:  # the simplest candidate within select_margin of the best (margin 0: the best; ties: the simpler)
            best = max(self.cv_scores_.values())
            self.kind_ = next(k for k in kinds if self.cv_scores_[k] >= best - float(self.select_margin) - 1e-12)
        if keep_fold_models and splits:
            self.fold_models_ = [(te, m) for (_, te), m in zip(splits, folds[self.kind_])]
        self.estimator_ = self._fit_pipe(self._candidate(self.kind_), X, y01, w)
        n_iter = self.estimator_.named_steps["clf"].n_iter_
        self.n_iter_ = int(np.max(n_iter))
        self.calibrator_ = None
        if self.calibration is not None and splits:
            self.calibrator_ = _fit_calibrator(self.calibration, self.cv_oof_[self.kind_], y01, w)
        return self

    def _calibrate(self, raw):
        return _apply_calibrator(self.calibrator_, raw)

    def _prepare(self, X):
        """Validated X as the fitted pipelines take it (points column added, unsupported columns dropped)."""
        return self._augment(X)[:, self.support_]

    def predict_proba(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        with prediction_threads():
            raw = self.estimator_.predict_proba(self._augment(X)[:, self.support_])[:, 1]
        with threadpool_limits(limits=1):
            p = np.clip(self._calibrate(raw), 0.0, 1.0)
        return np.column_stack([1.0 - p, p])

    def _augment(self, X):
        """X plus the points rule's score as a last column (when the rule's columns are among X's names)."""
        if not getattr(self, "points_", False):
            return X
        pts = transparent_points(pd.DataFrame(X, columns=list(self.feature_names_in_)), self.points_rule).to_numpy(
            float
        )
        return np.column_stack([X, pts])

    def predict(self, X):
        check_is_fitted(self)
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


def _logit(p):
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _fit_calibrator(method, raw, y, w):
    """The map from a candidate's raw out-of-fold scores to probabilities: Platt (sigmoid) or isotonic, weighted."""
    if method == "sigmoid":
        return LogisticRegression(C=1e4, max_iter=1000).fit(_logit(raw)[:, None], y, sample_weight=w)
    if method == "isotonic":
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y, sample_weight=w)
    raise ValueError(f"unknown calibration {method!r}")


def _apply_calibrator(calibrator, raw):
    if calibrator is None:
        return raw
    if isinstance(calibrator, IsotonicRegression):
        return calibrator.predict(raw)
    return calibrator.predict_proba(_logit(raw)[:, None])[:, 1]


def scorecard_table(model: ReturnRiskModel, labels: dict[str, str]) -> pd.DataFrame:
    """Points-style table of the logistic model: coefficient per standard deviation and integer points.

    Points = round(10 × coefficient per SD) — 10 points ≈ a factor e in the odds. Empty for an HGB model.
    """
    if getattr(model, "kind_", None) not in ("logistic", "core", "points"):
        return pd.DataFrame(columns=["特征", "每标准差系数", "比值比（每标准差）", "分值（每标准差）", "标准差"])
    clf = model.estimator_.named_steps["clf"]
    scale = model.estimator_.named_steps["scale"].scale_
    names = list(
        getattr(model, "feature_names_used_", None)
        if len(getattr(model, "feature_names_used_", []))
        else [f"x{i}" for i in range(int(model.support_.sum()))]
    )
    cols = getattr(model, "columns_", {}).get(model.kind_)
    if cols is not None:
        names = [names[i] for i in cols]
    coef = clf.coef_[0]
    labels = {POINTS_NAME: POINTS_LABEL, **labels}
    t = pd.DataFrame(
        {
            "特征": [labels.get(n, n) for n in names],
            "每标准差系数": coef.round(3),
            "比值比（每标准差）": np.exp(coef).round(3),
            "分值（每标准差）": np.round(10 * coef).astype(int),
            "标准差": scale.round(3),
        }
    )
    return t.reindex(t["每标准差系数"].abs().sort_values(ascending=False).index).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------------
# Transparent fallback and the simple rule
# ---------------------------------------------------------------------------------------------------------------
#: the fixed items of the points rule (docs/risk.md): (feature test, Chinese description, points); the income-margin
#: bands, the policy-share and income-drop cut-offs and the risk mapping come from the year parameters
#: (:func:`fallback_score_rule`)
FIXED_POINTS = [
    ("n_serious", "有患大病成员", 2),
    ("n_chronic", "有长期慢性病成员", 1),
    ("n_disabled", "有残疾成员", 1),
    ("no_labour", "无劳动能力", 1),
    ("income_drop", None, 1),
    ("unsafe", "住房或饮水不安全（登记）", 1),
    ("no_measures", "当年无帮扶措施", 1),
    ("data_problems", "有错误或警告级数据问题", 1),
]
POLICY_SHARE_POINTS = 2


#: columns the points rule reads; name and label of the points as a model column
POINTS_COLUMNS = (
    "margin",
    "policy_share",
    "n_serious",
    "n_chronic",
    "n_disabled",
    "labour_class",
    "income_change",
    "unsafe_house",
    "no_safe_water",
    "water_difficulty",
    "n_measures_year",
    "n_error",
    "n_warning",
)
POINTS_NAME = "points"
POINTS_LABEL = "透明评分规则得分"


def fallback_score_rule(params: dict) -> dict:
    """The transparent points rule's numbers from the validated year parameters: ``spot_check.fallback_score`` plus
    ``policy_share_min`` (= ``income.policy_share_max``: the share that already bars an A 稳定 exit)."""
    return {**params["spot_check"]["fallback_score"], "policy_share_min": float(params["income"]["policy_share_max"])}


def _pct(x: float) -> str:
    return f"{x * 100:g}%"


def points_rule_rows(rule: dict) -> list[tuple[str, int]]:
    """(Chinese description, points) of every item of the rule, for the model card and docs."""
    rows, lo = [], None
    for cut, pts in zip(rule["margin_cuts"], rule["margin_points"]):
        if lo is None:
            text = "人均收入低于脱贫线" if cut == 0 else f"人均收入高出脱贫线不足{_pct(cut)}"
        elif lo == 0:
            text = f"人均收入高出脱贫线不足{_pct(cut)}"
        else:
            text = f"高出{_pct(lo)}至{_pct(cut)}"
        rows.append((text, int(pts)))
        lo = cut
    rows.append((f"政策性收入占比≥{_pct(rule['policy_share_min'])}", POLICY_SHARE_POINTS))
    for key, text, pts in FIXED_POINTS:
        rows.append((text or f"人均收入同比下降超过{_pct(rule['income_drop'])}", pts))
    return rows


def transparent_points(features: pd.DataFrame, rule: dict) -> pd.Series:
    """Points of the rule (:func:`fallback_score_rule`, :func:`points_rule_rows`) per household (vectorised; blanks
    score 0)."""
    f = features
    m = f["margin"]
    pts = np.select([m < c for c in rule["margin_cuts"]], list(rule["margin_points"]), 0)
    items = {
        "n_serious": f["n_serious"] >= 1,
        "n_chronic": f["n_chronic"] >= 1,
        "n_disabled": f["n_disabled"] >= 1,
        "no_labour": f["labour_class"] == 2,
        "income_drop": f["income_change"] < -float(rule["income_drop"]),
        "unsafe": (f["unsafe_house"] == 1) | (f["no_safe_water"] == 1) | (f["water_difficulty"] == 1),
        "no_measures": f["n_measures_year"].fillna(0) == 0,
        "data_problems": (f["n_error"].fillna(0) + f["n_warning"].fillna(0)) > 0,
    }
    pts = pts + POLICY_SHARE_POINTS * (f["policy_share"] >= float(rule["policy_share_min"])).to_numpy()
    for key, _, p in FIXED_POINTS:
        pts = pts + p * items[key].to_numpy(dtype=bool)
    return pd.Series(np.asarray(pts, dtype=float), index=f.index, name="points")


def points_to_risk(points: pd.Series, base_rate: float, rule: dict) -> pd.Series:
    """Map points to a risk-like number with mean ``base_rate`` (exp(risk_per_point × points)), clipped to
    ``risk_clip``; NOT a calibrated probability."""
    rel = np.exp(float(rule["risk_per_point"]) * (points - points.mean()))
    lo, hi = rule["risk_clip"]
    return (base_rate * rel / rel.mean()).clip(float(lo), float(hi)).rename("risk")


def simple_rule_score(features: pd.DataFrame) -> pd.Series:
    """The simple rule: lowest income margin first (higher score = visit first)."""
    return (-features["margin"]).fillna(-1e6).rename("simple")  # unknown income: last (finite for the metrics)


# ---------------------------------------------------------------------------------------------------------------
# Validation at the inspection budget
# ---------------------------------------------------------------------------------------------------------------
def grouped_oof(
    model: ReturnRiskModel,
    X: pd.DataFrame,
    y: np.ndarray,
    w: np.ndarray,
    groups: np.ndarray,
    n_splits: int = 5,
    random_state: int = 0,
    importance_repeats: int = 3,
):
    """Out-of-fold calibrated probabilities with villages held out whole, and permutation importance.

    Each outer fold refits the whole model (selection and calibration included) on the other villages.
    Returns ``(oof, importance)``; importance = mean drop in weighted average precision when a feature is
    permuted in the held-out villages (averaged over folds).
    """
    y = np.asarray(y).astype(int)
    k = int(min(n_splits, np.bincount(y, minlength=2).min(), len(np.unique(groups))))
    oof = np.full(len(y), np.nan)
    imps = []
    if k < 2:
        return oof, pd.DataFrame(columns=["feature", "importance", "std"])
    cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=random_state)
    for tr, te in cv.split(X, y, groups):
        if len(np.unique(y[tr])) < 2:
            oof[te] = np.average(y[tr], weights=w[tr])
            continue
        est = clone(model).fit(X.iloc[tr], y[tr], sample_weight=w[tr], groups=groups[tr])
        oof[te] = est.predict_proba(X.iloc[te])[:, 1]
        if importance_repeats and len(np.unique(y[te])) == 2:
            imps.append(
                permutation_drop(
                    lambda A, e=est: e.predict_proba(pd.DataFrame(A, columns=X.columns))[:, 1],
                    X.iloc[te].to_numpy(float),
                    y[te],
                    w[te],
                    importance_repeats,
                    random_state,
                )
            )
    if imps:
        arr = np.vstack(imps)
        imp = pd.DataFrame({"feature": list(X.columns), "importance": arr.mean(axis=0), "std": arr.std(axis=0)})
        imp = imp.sort_values("importance", ascending=False).reset_index(drop=True)
    else:
        imp = pd.DataFrame(columns=["feature", "importance", "std"])
    return oof, imp


def selection_validation(
    model: ReturnRiskModel, X: pd.DataFrame, y, w, importance_repeats: int = 3, random_state: int = 0
):
    """Out-of-fold calibrated probabilities and permutation importance from the selection's own village folds.

    ``model`` was fitted with ``keep_fold_models=True`` on ``X``, ``y``, ``w``: its chosen candidate's out-of-fold
    scores (``cv_oof_``) and fold models are reused, nothing is refitted. The calibration is cross-fitted: each
    fold's scores go through a map fitted on the other folds' scores only, so no household's probability comes from
    a map that saw its label. Importance = mean drop in weighted average precision when a feature is permuted within
    a fold's held-out villages (the rule's points recomputed from the permuted feature), averaged over folds.
    Returns ``(oof, importance)`` like :func:`grouped_oof`; removes ``fold_models_`` from the model (they are not
    part of what is saved).
    """
    folds = model.__dict__.pop("fold_models_", None)
    y = (np.asarray(y) == model.classes_[-1]).astype(int)
    w = np.asarray(w, float)
    oof = np.full(len(y), np.nan)
    empty = pd.DataFrame(columns=["feature", "importance", "std"])
    if not folds:
        return oof, empty
    raw = model.cv_oof_[model.kind_]
    Xv = X.to_numpy(dtype=float) if isinstance(X, pd.DataFrame) else np.asarray(X, float)
    imps = []
    with threadpool_limits(limits=1):
        for te, fitted in folds:
            other = np.ones(len(y), bool)
            other[te] = False
            if model.calibration is None:
                oof[te] = raw[te]
            elif len(np.unique(y[other])) < 2:
                oof[te] = np.average(y[other], weights=w[other])
            else:
                oof[te] = _apply_calibrator(_fit_calibrator(model.calibration, raw[other], y[other], w[other]), raw[te])
            if importance_repeats and not isinstance(fitted, float) and len(np.unique(y[te])) == 2:
                imps.append(
                    permutation_drop(
                        lambda A, f=fitted: _predict_positive(f, model._prepare(A)),
                        Xv[te],
                        y[te],
                        w[te],
                        importance_repeats,
                        random_state,
                    )
                )
    oof = np.clip(oof, 0.0, 1.0)
    if not imps:
        return oof, empty
    arr = np.vstack(imps)
    imp = pd.DataFrame({"feature": list(X.columns), "importance": arr.mean(axis=0), "std": arr.std(axis=0)})
    return oof, imp.sort_values("importance", ascending=False).reset_index(drop=True)


def _predict_positive(fitted, X) -> np.ndarray:
    with prediction_threads():
        return fitted.predict_proba(X)[:, 1]


def permutation_drop(score, X: np.ndarray, y, w, n_repeats: int, random_state: int = 0) -> np.ndarray:
    """Per column of ``X``, the mean drop in weighted average precision of ``score(X)`` over ``n_repeats``
    permutations of that column — the numbers of :func:`sklearn.inspection.permutation_importance` (scoring
    ``average_precision``, same permutations for the same ``random_state``), with one ``score`` call on all
    permuted copies stacked instead of one per column and repeat."""
    X = np.asarray(X, float)
    n, m = X.shape
    seed = np.random.RandomState(random_state).randint(np.iinfo(np.int32).max + 1)
    perms = np.empty((n_repeats, n), dtype=int)
    rs, idx = np.random.RandomState(seed), np.arange(n)
    cur = np.arange(n)  # sklearn permutes the already permuted column again in each repeat
    for r in range(n_repeats):
        rs.shuffle(idx)
        cur = cur[idx]
        perms[r] = cur
    blocks = np.repeat(X[None, :, :], m * n_repeats, axis=0)  # (m × repeats, n, m)
    for j in range(m):
        blocks[j * n_repeats : (j + 1) * n_repeats, :, j] = X[perms, j]
    s = np.asarray(score(np.vstack([X, blocks.reshape(-1, m)])), float).reshape(1 + m * n_repeats, n)
    ap = average_precision_rows(y, s, w)
    return (ap[0] - ap[1:]).reshape(m, n_repeats).mean(axis=1)


def average_precision_rows(y, scores: np.ndarray, w=None) -> np.ndarray:
    """Weighted average precision of every row of ``scores`` (R, n) against the same labels — the value of
    :func:`sklearn.metrics.average_precision_score` (tied scores form one threshold), for all rows at once.

    AP = Σ over thresholds (recall gained) × (precision at that threshold) = Σ_i y_i w_i / Σ y w × precision at the
    end of the tie group of household i.
    """
    y = np.asarray(y, float)
    w = np.ones_like(y) if w is None else np.asarray(w, float)
    S = np.atleast_2d(np.asarray(scores, float))
    R, n = S.shape
    order = np.argsort(-S, axis=1, kind="stable")
    s = np.take_along_axis(S, order, axis=1)
    tp = np.cumsum((y * w)[order], axis=1)
    fp = np.cumsum(((1 - y) * w)[order], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
    end = np.ones((R, n), dtype=bool)  # last position of each tie group
    end[:, :-1] = s[:, :-1] != s[:, 1:]
    pos = np.where(end, np.arange(n), n - 1)
    group_end = np.minimum.accumulate(pos[:, ::-1], axis=1)[:, ::-1]
    total = float((y * w).sum())
    if total <= 0:
        return np.full(R, np.nan)
    gain = (y * w)[order] / total
    return (gain * np.take_along_axis(prec, group_end, axis=1)).sum(axis=1)


def top_share_mask(score: pd.Series, weight: pd.Series, county: pd.Series, share: pd.Series | float) -> pd.Series:
    """Per county, the highest-scored households covering ``share`` of the county's weight (the budget)."""
    n = len(score)
    s, w = score.to_numpy(float), weight.to_numpy(float)
    c = pd.Series(county.to_numpy(object), index=score.index)
    sh = c.map(share) if isinstance(share, (pd.Series, dict)) else pd.Series(float(share), index=score.index)
    sh = sh.astype(float).fillna(1.0).clip(0, 1).to_numpy(float)
    code = pd.factorize(c, sort=True, use_na_sentinel=False)[0]
    # a fixed random order first (ties in score: the same shuffle as DataFrame.sample(frac=1, random_state=0)),
    # then per county by score, highest first (stable)
    perm = np.random.RandomState(0).choice(n, size=n, replace=False) if n else np.arange(0)
    order = perm[np.lexsort((-s[perm], code[perm]))]
    cw = w[order]
    cum = np.cumsum(cw)
    grp = code[order]
    first = np.r_[True, grp[1:] != grp[:-1]] if n else np.zeros(0, bool)
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else np.zeros(0, int)
    base = (cum - cw)[start]  # cumulative weight before each county's block
    tot = np.bincount(grp, weights=cw)[grp] if n else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        before = (cum - cw - base) / tot
    top = np.empty(n, dtype=bool)
    top[order] = before < sh[order]
    return pd.Series(top, index=score.index)


def budget_metrics(y, score, w, county, share) -> dict:
    """Precision (hit rate) and recall of visiting the top ``share`` per county, weighted by ``w``."""
    y = pd.Series(np.asarray(y, float), index=score.index)
    w = pd.Series(np.asarray(w, float), index=score.index)
    top = top_share_mask(score, w, county, share)
    hit = float((w * y)[top].sum())
    return {
        "precision": hit / float(w[top].sum()) if top.any() else float("nan"),
        "recall": hit / float((w * y).sum()) if (w * y).sum() > 0 else float("nan"),
        "selected": int(top.sum()),
    }


def weighted_auc(y, p, w):
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, p, sample_weight=w))


def weighted_ap(y, p, w):
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(average_precision_score(y, p, sample_weight=w))


def reliability_table(y, p, w, bins: int = 10) -> pd.DataFrame:
    """Weighted calibration table on quantile bins of the predicted risk (calibration_curve has no weights)."""
    df = pd.DataFrame({"y": np.asarray(y, float), "p": np.asarray(p, float), "w": np.asarray(w, float)}).dropna()
    q = min(bins, max(1, df["p"].nunique()))
    df["bin"] = pd.qcut(df["p"].rank(method="first"), q=q, labels=False)
    g = df.assign(wy=df["w"] * df["y"], wp=df["w"] * df["p"]).groupby("bin")
    t = pd.DataFrame(
        {
            "户数": g.size(),
            "预测风险": g["wp"].sum() / g["w"].sum(),
            "实际问题率": g["wy"].sum() / g["w"].sum(),
            "最低预测": g["p"].min(),
            "最高预测": g["p"].max(),
        }
    )
    t.index = [f"第{i + 1}组" for i in range(len(t))]
    return t.round(4)


def evaluate_scores(y, scores: dict[str, pd.Series], w, county, share, groups: pd.DataFrame | None = None) -> dict:
    """All the card's numbers for several orderings (model, simple rule, random) on the same labelled rows."""
    y = np.asarray(y).astype(int)
    idx = next(iter(scores.values())).index
    w = pd.Series(np.asarray(w, float), index=idx)
    county = pd.Series(np.asarray(county, object), index=idx)
    prevalence = float(np.average(y, weights=w))
    out = {"prevalence": prevalence, "n": int(len(y)), "positives": int(y.sum()), "orderings": {}}
    for name, s in scores.items():
        bm = budget_metrics(y, s, w, county, share)
        out["orderings"][name] = {**bm, "auc": weighted_auc(y, s, w), "ap": weighted_ap(y, s, w)}
    sh = county.map(share) if isinstance(share, (dict, pd.Series)) else pd.Series(share, index=idx)
    out["orderings"]["random"] = {
        "precision": prevalence,
        "recall": float(np.average(sh.fillna(1), weights=w * y)) if y.sum() else float("nan"),
        "auc": 0.5,
        "ap": prevalence,
    }
    p = scores.get("model")
    if p is not None and p.notna().all():
        out["brier"] = float(brier_score_loss(y, p, sample_weight=w))
        out["reliability"] = reliability_table(y, p, w)
    # per county and per group
    rows = []
    for c in sorted(county.dropna().unique()):
        m = (county == c).to_numpy()
        rows.append(_subset_row("county", c, y[m], {k: s[m] for k, s in scores.items()}, w[m], county[m], share))
    if groups is not None:
        for gcol, label in GROUP_LABELS.items():
            if gcol not in groups:
                continue
            for val in (1.0, 0.0):
                m = (groups[gcol].reindex(idx) == val).to_numpy()
                if m.sum():
                    rows.append(
                        _subset_row(
                            gcol,
                            f"{label}：{'是' if val else '否'}",
                            y[m],
                            {k: s[m] for k, s in scores.items()},
                            w[m],
                            county[m],
                            share,
                        )
                    )
    out["by_subset"] = pd.DataFrame(rows)
    return out


GROUP_LABELS = {
    "minority_county": "少数民族自治县",
    "female_head": "女性户主",
    "elderly_only": "纯老年户",
    "has_disability": "有残疾成员",
}


def _subset_row(kind, name, y, scores, w, county, share):
    prev = float(np.average(y, weights=w)) if w.sum() else float("nan")
    row = {"类别": kind, "分组": name, "户数": int(len(y)), "问题户": int(y.sum()), "加权问题率": prev}
    if "model" in scores:
        p = scores["model"]
        bm = budget_metrics(y, p, w, county, share)
        row.update(
            {
                "平均预测风险": float(np.average(p, weights=w)),
                "AUC": weighted_auc(y, p, w),
                "预算内命中率": bm["precision"],
                "预算内查全率": bm["recall"],
                "入选比例": float(w[top_share_mask(p, w, county, share)].sum() / w.sum()),
            }
        )
    if "simple" in scores:
        row["简单规则命中率"] = budget_metrics(y, scores["simple"], w, county, share)["precision"]
    return row


# ---------------------------------------------------------------------------------------------------------------
# Persistence (skops; pickle refused)
# ---------------------------------------------------------------------------------------------------------------
#: types a saved ReturnRiskModel may contain beyond skops' defaults; anything else is refused on load
TRUSTED_TYPES = {
    "hgk_lib.risk.model.ReturnRiskModel",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "numpy.dtype",
    "builtins.float",
    "builtins.int",
    "collections.OrderedDict",
}
_PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".pk", ".sav"}


def save_model(model, path, meta: dict) -> dict:
    """Write ``model`` with skops and ``meta`` (+ versions, file hash) as JSON next to it; returns the meta."""
    import sklearn
    import skops
    import skops.io as sio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    from ..io.safe import atomic_write, write_text_atomic

    with atomic_write(path) as tmp:
        sio.dump(model, tmp)
    meta = {
        **meta,
        "sklearn_version": sklearn.__version__,
        "skops_version": skops.__version__,
        "model_sha256": sha256_file(path),
        "model_file": path.name,
    }
    jpath = path.with_suffix(".json")
    write_text_atomic(jpath, json.dumps(meta, ensure_ascii=False, indent=2, default=_json_default))
    return meta


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if np.isnan(o) else float(o)
    if isinstance(o, pd.DataFrame):
        return o.reset_index().to_dict(orient="records")
    return str(o)


def load_model(path) -> ReturnRiskModel:
    """Load a ``.skops`` model after checking its types; pickle/joblib files and unexpected types are refused."""
    import skops.io as sio

    path = Path(path)
    if not path.exists():
        raise UnsafeInputError("找不到模型文件", file=str(path))
    with open(path, "rb") as fh:
        head = fh.read(4)
    if path.suffix.lower() in _PICKLE_SUFFIXES or head[:1] == b"\x80" or not head.startswith(b"PK"):
        raise UnsafeInputError(
            "拒绝加载：这不是 skops 模型文件（pickle/joblib 文件在加载时可执行任意代码，"
            "只接受本工具写出的 .skops 文件）",
            file=str(path),
        )
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as err:  # corrupt zip or schema
        raise UnsafeInputError(f"模型文件无法校验：{err}", file=str(path)) from err
    unexpected = sorted(set(untrusted) - TRUSTED_TYPES)
    if unexpected:
        raise UnsafeInputError("拒绝加载：模型文件含未预期的类型 " + "、".join(unexpected), file=str(path))
    model = sio.load(path, trusted=list(untrusted))
    if not isinstance(model, ReturnRiskModel):
        raise UnsafeInputError("拒绝加载：模型文件中不是 ReturnRiskModel", file=str(path))
    return model


# ---------------------------------------------------------------------------------------------------------------
# Training run: model or fallback, validation, everything the card needs
# ---------------------------------------------------------------------------------------------------------------
def training_hash(X: pd.DataFrame, y, w) -> str:
    """SHA-256 of the training matrix, labels and weights (recorded in the model metadata and the card)."""
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(X.reset_index(drop=True), index=False).to_numpy().tobytes())
    h.update(np.asarray(y, dtype=np.int64).tobytes())
    h.update(np.asarray(w, dtype=np.float64).tobytes())
    return h.hexdigest()


def fit_risk_model(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    share: dict | float,
    min_positives: int,
    score_rule: dict,
    random_state: int = 0,
    model_params: dict | None = None,
    validate: bool = True,
    importance_repeats: int = 3,
    frame_ids=None,
    validation: str = "selection",
) -> dict:
    """Fit :class:`ReturnRiskModel` on the labelled households (or fall back) and validate it by village groups.

    ``features``: :func:`hgk_lib.risk.features.build_features` rows for every household (index hh_id), all counties;
    ``labels``: :func:`~hgk_lib.risk.features.build_labels` rows (hh_id, problem, weight ...); ``share``: the
    inspection budget per county as a share of its frame (n/N); ``min_positives`` (``spot_check.min_positives``) and
    ``score_rule`` (:func:`fallback_score_rule`) come from the year parameters.

    ``validation``: ``"selection"`` (default) takes the card's out-of-fold figures and the permutation importance
    from the selection's own village folds (:func:`selection_validation`: the chosen candidate's fold predictions,
    cross-fitted calibration, no refit); ``"nested"`` refits the whole model — selection and calibration included —
    in a second, outer set of village folds (:func:`grouped_oof`; ~5× the fits, for benchmarks and audits of the
    selection's optimism, see docs/risk.md).

    Returns a dict: ``fallback`` (bool), ``reason``, ``model`` (or None), ``risk`` (Series for every household),
    ``kind``, ``metrics`` (evaluate_scores output on out-of-fold predictions), ``importance``, ``scorecard``,
    ``weights`` (counts of known/imputed), ``train_hash``, ``n_labels``, ``n_positives``.
    """
    from threadpoolctl import threadpool_limits

    # a few thousand labelled rows: one thread is faster than OpenMP's (and does not fight other processes)
    with threadpool_limits(limits=1):
        return _fit_risk_model(
            features,
            labels,
            share,
            min_positives,
            random_state,
            model_params,
            validate,
            importance_repeats,
            frame_ids,
            score_rule,
            validation,
        )


def _scoped_metrics(y, scores, w, county, share, groups, in_frame):
    """Metrics on the labelled households of the sampling frame (where the model is used) when they hold both
    classes, else on all labelled households; ``scope`` says which."""
    if in_frame is not None and in_frame.sum() and len(np.unique(y[in_frame])) == 2:
        m = evaluate_scores(
            y[in_frame],
            {k: s[in_frame] for k, s in scores.items()},
            w[in_frame],
            county[in_frame],
            share,
            groups[in_frame],
        )
        m["scope"] = "frame"
    else:
        m = evaluate_scores(y, scores, w, county, share, groups)
        m["scope"] = "all"
    return m


#: the candidates of the model selection, simplest first (Chinese names for the card)
CANDIDATE_LABELS = {
    "points": "透明评分规则（得分经逻辑映射）",
    "core": "逻辑回归（核心特征 + 透明评分得分）",
    "logistic": "逻辑回归（全部特征 + 透明评分得分）",
    "hgb": "梯度提升树（全部特征 + 透明评分得分）",
}


def candidate_table(scores: dict, y, w, county, share, chosen: str) -> pd.DataFrame:
    """One row per candidate of the selection, on the same grouped folds and the same weights: weighted average
    precision (the selection metric), AUC, hit rate and recall within the budget, lift over random, chosen or not.

    ``scores``: candidate → out-of-fold score per labelled household (all labelled households, as in the selection).
    """
    y = np.asarray(y).astype(int)
    idx = pd.RangeIndex(len(y))
    w = np.asarray(w, float)
    prev = float(np.average(y, weights=w)) if len(y) else float("nan")
    rows = []
    for k, s in scores.items():
        s = pd.Series(np.asarray(s, float), index=idx)
        bm = budget_metrics(y, s, pd.Series(w, index=idx), pd.Series(np.asarray(county, object), index=idx), share)
        rows.append(
            {
                "candidate": k,
                "候选": CANDIDATE_LABELS.get(k, k),
                "平均精度": weighted_ap(y, s, w),
                "AUC": weighted_auc(y, s, w),
                "预算内命中率": bm["precision"],
                "预算内查全率": bm["recall"],
                "相对随机": bm["precision"] / prev if prev else float("nan"),
                "选中": k == chosen,
            }
        )
    return pd.DataFrame(rows)


def _fit_risk_model(
    features,
    labels,
    share,
    min_positives,
    random_state,
    model_params,
    validate,
    importance_repeats,
    frame_ids,
    score_rule,
    validation="selection",
) -> dict:
    from .features import CORE_FEATURES, FEATURES, feature_matrix, fill_weights

    X_all = feature_matrix(features)
    lab = (
        labels.drop(columns=["county", "village"], errors="ignore")
        .drop_duplicates("hh_id")
        .merge(features[["county", "village"]], left_on="hh_id", right_index=True, how="inner")
    )
    w, imputed = fill_weights(lab)
    y = lab["problem"].to_numpy(int)
    npos = int(y.sum())
    out = {
        "n_labels": int(len(lab)),
        "n_positives": npos,
        "weights": {
            "known": int((~imputed).sum()),
            "imputed": int(imputed.sum()),
            "imputed_value": float(w[imputed].iloc[0]) if imputed.any() else None,
            "min": float(w.min()) if len(w) else None,
            "max": float(w.max()) if len(w) else None,
        },
        "min_positives": int(min_positives),
        "importance": pd.DataFrame(),
        "scorecard": pd.DataFrame(),
        "metrics": None,
        "model": None,
        "candidates": pd.DataFrame(),
        "points_rule": points_rule_rows(score_rule),
    }
    points = transparent_points(features, score_rule)
    base = float(np.average(y, weights=w)) if len(y) else 0.1
    out["points"] = points
    X = X_all.loc[lab["hh_id"]]
    groups = (lab["county"].astype(str) + "/" + lab["village"].fillna("").astype(str)).to_numpy()
    scores_base = {
        "simple": simple_rule_score(features).loc[lab["hh_id"]].set_axis(X.index),
        "points": points.loc[lab["hh_id"]].set_axis(X.index),
    }
    group_frame = features.loc[lab["hh_id"], ["minority_county", "female_head", "elderly_only", "has_disability"]]
    in_frame = None if frame_ids is None else lab["hh_id"].isin(set(frame_ids)).to_numpy()
    if npos < min_positives or len(np.unique(y)) < 2:
        out.update(
            fallback=True,
            kind="transparent",
            version=FALLBACK_VERSION,
            reason=f"历史核查结果中的问题户 {npos} 户，少于 {min_positives} 户，未训练风险模型，使用透明评分规则",
            risk=points_to_risk(points, base, score_rule),
        )
        out["train_hash"] = training_hash(X, y, w)
        if len(np.unique(y)) == 2:
            out["candidates"] = candidate_table(
                {"points": scores_base["points"].to_numpy()}, y, w.to_numpy(), lab["county"].to_numpy(), share, "points"
            )
            risk_lab = out["risk"].loc[lab["hh_id"]].set_axis(X.index)
            out["metrics"] = _scoped_metrics(
                y,
                {"model": risk_lab, **scores_base},
                w.to_numpy(),
                lab["county"].to_numpy(),
                share,
                group_frame.set_axis(X.index),
                in_frame,
            )
        return out
    if validation not in ("selection", "nested"):
        raise ValueError(f"unknown validation {validation!r}; use 'selection' or 'nested'")
    model = ReturnRiskModel(
        random_state=random_state, **{"core_features": CORE_FEATURES, "points_rule": score_rule, **(model_params or {})}
    )
    out["validation"] = validation if validate else None
    if validate and validation == "nested":
        oof, imp = grouped_oof(
            model, X, y, w.to_numpy(), groups, random_state=random_state, importance_repeats=importance_repeats
        )
    model.fit(X, y, sample_weight=w.to_numpy(), groups=groups, keep_fold_models=validate and validation == "selection")
    if validate and validation == "selection":
        oof, imp = selection_validation(
            model, X, y, w.to_numpy(), importance_repeats=importance_repeats, random_state=random_state
        )
    model.__dict__.pop("fold_models_", None)
    if validate:
        imp = imp.assign(特征=imp["feature"].map(FEATURES).fillna(imp["feature"])) if len(imp) else imp
        out["importance"] = imp
        oof_s = pd.Series(oof, index=X.index)
        if oof_s.notna().all():
            out["metrics"] = _scoped_metrics(
                y,
                {"model": oof_s, **scores_base},
                w.to_numpy(),
                lab["county"].to_numpy(),
                share,
                group_frame.set_axis(X.index),
                in_frame,
            )
    out.update(
        fallback=False,
        kind=model.kind_,
        model=model,
        reason="",
        risk=pd.Series(model.predict_proba(X_all)[:, 1], index=X_all.index, name="risk"),
        scorecard=scorecard_table(model, FEATURES),
        train_hash=training_hash(X, y, w),
        cv_scores=model.cv_scores_,
    )
    if model.cv_oof_:
        out["candidates"] = candidate_table(
            model.cv_oof_, y, w.to_numpy(), lab["county"].to_numpy(), share, model.kind_
        )
    return out
