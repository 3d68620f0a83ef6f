"""The exact tests of the integrity screen (integrity.md): one-sided tails that need no distributional guess, and the
Benjamini–Hochberg adjustment. Everything takes and returns numpy arrays (one entry per unit).
"""

from __future__ import annotations

import numpy as np
from scipy import special  # the tails themselves (bdtrc, pdtrc): scipy.stats would add ~1 s of import to a county run


def binom_tail(k, n, p) -> np.ndarray:
    """P(X ≥ k) for X ~ Binomial(n, p), elementwise; 1 where k ≤ 0; 0 where k > n; NaN where ``n`` or ``p`` is NaN."""
    k, n, p = np.broadcast_arrays(
        np.asarray(k, dtype=float), np.asarray(n, dtype=float), np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    )
    out = np.full(k.shape, np.nan)
    ok = ~(np.isnan(k) | np.isnan(n) | np.isnan(p))
    inner = ok & (k > 0) & (k <= n)
    # integer k and n (float ones raise scipy's deprecation warning); the counts are whole numbers
    out[inner] = special.bdtrc(
        np.floor(k[inner] - 1).astype(np.int64), np.rint(n[inner]).astype(np.int64), p[inner]
    )  # P(X > k − 1)
    out[ok & (k > n)] = 0.0
    return np.where(k <= 0, 1.0, out)


def poisson_tail(k, mean) -> np.ndarray:
    """P(X ≥ k) for X ~ Poisson(mean), elementwise; 1 where k ≤ 0."""
    k = np.asarray(k, dtype=float)
    mean = np.asarray(mean, dtype=float)
    out = special.pdtrc(np.maximum(k - 1, 0), mean)  # P(X > k − 1)
    return np.where(k <= 0, 1.0, out)


def floor_share(successes, trials) -> np.ndarray:
    """The county reference share used by a test: successes / trials, floored at half an observation
    (0.5 / trials) so that a case the rest of the county never shows is rare, not impossible. NaN where trials ≤ 0."""
    s = np.asarray(successes, dtype=float)
    t = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t > 0, np.maximum(s, 0.5) / t, np.nan)


def bh_adjust(p, groups=None) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values, within each group (``groups`` aligned with ``p``; one group if None).

    NaN p-values are left out of the family (and stay NaN). adjusted_(i) = min_{j ≥ i} m · p_(j) / j, capped at 1.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    if groups is None:
        groups = np.zeros(len(p), dtype=np.int64)
    g = np.asarray(groups)
    ok = ~np.isnan(p)
    if not ok.any():
        return out
    idx = np.flatnonzero(ok)
    gi = g[idx]
    # stable sort by (group, p)
    order = np.lexsort((p[idx], gi))
    srt = idx[order]
    gs = gi[order]
    ps = p[srt]
    # rank within group (1-based) and group sizes
    start = np.r_[0, np.flatnonzero(gs[1:] != gs[:-1]) + 1]
    sizes = np.diff(np.r_[start, len(gs)])
    grp_no = np.repeat(np.arange(len(start)), sizes)
    rank = np.arange(len(gs)) - start[grp_no] + 1
    m = sizes[grp_no]
    raw = ps * m / rank
    # running minimum from the end, within each group
    adj = np.empty_like(raw)
    for s, n in zip(start, sizes):  # loop over groups (county × indicator), not over units
        adj[s : s + n] = np.minimum.accumulate(raw[s : s + n][::-1])[::-1]
    out[srt] = np.minimum(adj, 1.0)
    return out
