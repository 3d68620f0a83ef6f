"""Risk-guided spot checks (抽查): features, the return-risk model, the stratified draw and its evaluation.

* :mod:`.features` — registry-only household features (never ethnicity, never a county dummy) and labels from
  历史核查结果;
* :mod:`.model` — :class:`~hgk_lib.risk.model.ReturnRiskModel` (scikit-learn estimator), grouped validation at the
  inspection budget, the transparent fallback score, skops persistence;
* :mod:`.draw` — frame, risk bands, Neyman allocation with floors, permanent random numbers, 抽查名单 workbook;
* :mod:`.estimate` — read back the filled list, design-weighted prevalence with Korn–Graubard intervals;
* :mod:`.card` — the model card (风险模型卡) and the evaluation HTML;
* :mod:`.simulate` — demo filling (demo-inspect) and simulation helpers for tests and the benchmark;
* :mod:`.cli` — ``hgk spot-check draw|evaluate`` and ``hgk demo-inspect``.

See docs/risk.md.
"""
