#!/usr/bin/env python3
"""Regenerate the reference vectors the analysis unit tests check against.

The vectors are computed by scipy, an established implementation, so a change in our
statistics shows up as a failing test rather than a silent drift. Run from the repository
root:

    pip install scipy        # once; only this script needs it
    python3 scripts/reference/generate_reference.py

It rewrites test/fixtures/reference/*.json; commit them with the scipy version they record.
The inputs are drawn from a seeded generator, so running the script again with the same
scipy and numpy versions reproduces the files byte for byte.
"""

import json
import pathlib

import numpy as np
import scipy
from scipy import integrate, optimize, special, stats

OUT = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "reference"
ALTERNATIVES = ("two-sided", "less", "greater")


def sample(rng, kind, n, shift=0.0):
    """One sample of a named shape, rounded so that the JSON text is short and exact."""
    if kind == "normal":
        values = rng.normal(10.0 + shift, 2.0, n)
    elif kind == "lognormal":
        values = rng.lognormal(np.log(100.0) + shift, 0.6, n)
    elif kind == "cauchy":
        values = 50.0 + shift + 5.0 * rng.standard_cauchy(n)
    elif kind == "pareto":
        values = 20.0 * (1.0 + rng.pareto(1.5, n)) * (1.0 + shift)
    elif kind == "ties":
        values = rng.integers(0, 6, n) + round(shift)
    elif kind == "coarse-ms":
        values = np.round(rng.lognormal(np.log(40.0) + shift, 0.5, n))
    else:
        raise ValueError(kind)
    return [float(v) for v in np.round(np.asarray(values, dtype=float), 4)]


# (name, shape of x, n_x, shape of y, n_y, shift of x)
CASES = [
    ("tiny samples", "normal", 3, "normal", 4, 0.5),
    ("tiny samples with ties", "ties", 5, "ties", 4, 1.0),
    ("one value against many", "normal", 1, "normal", 12, 1.0),
    ("small samples", "normal", 12, "normal", 15, 0.8),
    ("heavy ties in small integers", "ties", 60, "ties", 45, 0.0),
    ("heavy ties shifted", "ties", 80, "ties", 70, 1.0),
    ("coarse millisecond latencies", "coarse-ms", 400, "coarse-ms", 500, 0.1),
    ("lognormal latencies", "lognormal", 300, "lognormal", 250, 0.15),
    ("cauchy heavy tails", "cauchy", 200, "cauchy", 220, 3.0),
    ("pareto heavy tails", "pareto", 150, "pareto", 170, 0.2),
    ("large samples, no difference", "lognormal", 4000, "lognormal", 3000, 0.0),
    ("large samples, small shift", "normal", 5000, "normal", 4500, 0.05),
    ("large samples, strong effect", "lognormal", 2000, "lognormal", 2500, 0.4),
]

# Welch needs two values per sample and at least one non-constant sample.
WELCH_CASES = [c for c in CASES if c[2] >= 2 and c[4] >= 2]


def mann_whitney_vectors(rng):
    cases = []
    for name, kind_x, n_x, kind_y, n_y, shift in CASES:
        x = sample(rng, kind_x, n_x, shift)
        y = sample(rng, kind_y, n_y)
        expected = {}
        for alternative in ALTERNATIVES:
            result = stats.mannwhitneyu(
                x, y, alternative=alternative, use_continuity=True, method="asymptotic"
            )
            expected[alternative] = {
                "statistic": float(result.statistic),
                "pValue": float(result.pvalue),
            }
        cases.append({"name": name, "x": x, "y": y, "expected": expected})
    return cases


def welch_vectors(rng):
    cases = []
    for name, kind_x, n_x, kind_y, n_y, shift in WELCH_CASES:
        x = sample(rng, kind_x, n_x, shift)
        y = sample(rng, kind_y, n_y)
        expected = {}
        for alternative in ALTERNATIVES:
            result = stats.ttest_ind(x, y, equal_var=False, alternative=alternative)
            expected[alternative] = {
                "statistic": float(result.statistic),
                "df": float(result.df),
                "pValue": float(result.pvalue),
            }
        cases.append({"name": name, "x": x, "y": y, "expected": expected})
    return cases


def distribution_vectors():
    return {
        "logGamma": [
            {"x": x, "expected": float(special.gammaln(x))}
            for x in (1e-3, 0.5, 1.0, 1.5, 2.0, 3.7, 9.99, 10.0, 123.4, 1e4, 1e6)
        ],
        "normalSf": [
            {"z": z, "expected": float(stats.norm.sf(z))}
            for z in (-8.0, -3.0, -0.1, 0.0, 0.5, 1.0, 1.7, 1.77, 2.5, 5.0, 10.0, 20.0, 37.0)
        ],
        "logNormalSf": [
            {"z": z, "expected": float(stats.norm.logsf(z))}
            for z in (-5.0, 0.0, 3.0, 10.0, 40.0, 100.0, 1000.0)
        ],
        "studentTSf": [
            {"t": t, "df": df, "expected": float(stats.t.sf(t, df))}
            for t, df in (
                (0.0, 3.0),
                (2.5, 3.0),
                (-1.0, 7.5),
                (10.0, 2.0),
                (40.0, 5.0),
                (1.3, 1.0),
                (3.0, 250.0),
                (-4.0, 31.2),
                (6.0, 1000.0),
            )
        ],
        "regularizedBeta": [
            {"x": x, "a": a, "b": b, "expected": float(special.betainc(a, b, x))}
            for x, a, b in (
                (0.3, 2.0, 5.0),
                (0.5, 0.5, 0.5),
                (0.9, 10.0, 3.0),
                (0.999, 500.0, 0.5),
                (1e-4, 0.5, 300.0),
                (0.02, 1.5, 40.0),
            )
        ],
    }


# The sequential t e-value mixes the scale-invariant Bayes factor uniformly over the
# standardized effects 0.05 * 1.5**k, k = 0..10 (src/analysis/sequential/sequential-t.ts).
T_EFFECT_GRID = [0.05 * 1.5**k for k in range(11)]


def log_marginal(units, delta):
    """ln of the integral over ln(sigma) of prod N(x_i; delta*sigma, sigma^2), up to the
    constant -n/2 ln(2 pi) that cancels in the Bayes factor. The prior dsigma/sigma is flat
    in ln(sigma), so this is the definition of the Bayes factor's numerator (delta > 0) or
    denominator (delta = 0), integrated numerically by scipy's QUADPACK around its peak."""
    x = np.asarray(units, dtype=float)
    n = x.size

    def log_likelihood(s):
        sigma = np.exp(s)
        return -n * s - float(np.sum((x - delta * sigma) ** 2)) / (2.0 * sigma * sigma)

    centre = 0.5 * np.log(float(np.mean(x * x)))
    peak = optimize.minimize_scalar(
        lambda s: -log_likelihood(s), bracket=(centre - 1.0, centre + 1.0), tol=1e-12
    ).x
    top = log_likelihood(peak)
    width = 1.0 / np.sqrt(2.0 * n)
    half = 40.0 * width + 2.0
    value, _ = integrate.quad(
        lambda s: np.exp(log_likelihood(s) - top),
        peak - half,
        peak + half,
        points=[peak],
        epsabs=0.0,
        epsrel=1e-13,
        limit=400,
    )
    return top + np.log(value)


def log_sequential_t(units, side):
    """ln of the grid mixture of Bayes factors for H0: mean <= 0 ('upper') or >= 0 ('lower')."""
    x = np.asarray(units, dtype=float) * (1.0 if side == "upper" else -1.0)
    null = log_marginal(x, 0.0)
    logs = [log_marginal(x, delta) - null for delta in T_EFFECT_GRID]
    return float(special.logsumexp(logs) - np.log(len(T_EFFECT_GRID)))


def log_integral(n, a):
    """ln of I_n(a) = integral_0^inf u^(n-1) exp(-u^2/2 + a u) du, by QUADPACK around its peak,
    checked against the closed form Gamma(n) e^(a^2/4) D_(-n)(-a) (parabolic cylinder function;
    DLMF 12.5.1) where that does not overflow."""
    peak = max(0.0, (a + np.sqrt(a * a + 4.0 * (n - 1.0))) / 2.0)

    def log_integrand(u):
        if u <= 0:
            return 0.0 if n == 1 else -np.inf
        return (n - 1.0) * np.log(u) - u * u / 2.0 + a * u

    top = log_integrand(peak)
    value, _ = integrate.quad(
        lambda u: np.exp(log_integrand(u) - top),
        0.0,
        peak + 60.0,
        points=[peak] if peak > 0 else None,
        epsabs=0.0,
        epsrel=1e-13,
        limit=400,
    )
    result = float(top + np.log(value))
    if n <= 60:
        closed = special.gammaln(n) + a * a / 4.0 + np.log(special.pbdv(-n, -a)[0])
        assert abs(closed - result) < 1e-9 * max(1.0, abs(result)), (n, a, closed, result)
    return result


# (name, units, mean of a unit in standard deviations, sd)
SEQUENTIAL_T_CASES = [
    ("one unit", 1, 0.8, 1.0),
    ("two units", 2, 0.5, 3.0),
    ("three units, no effect", 3, 0.0, 0.01),
    ("five units, strong effect", 5, 1.5, 2.0),
    ("ten units, negative mean", 10, -0.6, 1.0),
    ("24 units", 24, 0.4, 1.0),
    ("40 units, no effect", 40, 0.0, 5.0),
    ("60 units, small effect", 60, 0.25, 1.0),
    ("120 units, tiny per-minute rates", 120, 0.15, 0.002),
    ("120 units, strong effect", 120, 0.8, 1.0),
    ("39 units, the quadrature's last", 39, 0.3, 1.0),
    ("40 units, the Laplace expansion's first", 40, 0.3, 1.0),
    ("500 units, small effect", 500, 0.12, 1.0),
]


def sequential_t_vectors(rng):
    cases = []
    for name, n, effect, sd in SEQUENTIAL_T_CASES:
        units = [float(v) for v in np.round(rng.normal(effect * sd, sd, n), 6)]
        x = np.asarray(units)
        t = float(np.mean(x) / (np.std(x, ddof=1) / np.sqrt(n))) if n > 1 else None
        cases.append(
            {
                "name": name,
                "units": units,
                "t": t,
                "expected": {side: log_sequential_t(units, side) for side in ("upper", "lower")},
            }
        )
    integrals = [
        {"n": n, "a": a, "expected": log_integral(n, a)}
        for n, a in (
            (1, 0.0),
            (1, 2.5),
            (1, -3.0),
            (2, 0.7),
            (5, -1.2),
            (5, 4.0),
            (12.5, 1.3),
            (24, 3.0),
            (24, -2.0),
            (39, 5.0),
            (40, -5.0),
            (60, 0.0),
            (60, 7.5),
            (250, 15.0),
            (1200, 40.0),
        )
    ]
    # The dispersion gate's cut-off, chi2_k 95% quantile over k (Wilson-Hilferty in the code).
    chi2 = [
        {"k": k, "expected": float(stats.chi2.ppf(0.95, k) / k)}
        for k in (4, 5, 10, 30, 119)
    ]
    return {"cases": cases, "logIntegral": integrals, "chi2Quantile95OverDf": chi2}


def write(name, payload):
    payload = {
        "generatedBy": "scripts/reference/generate_reference.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        **payload,
    }
    (OUT / name).write_text(json.dumps(payload, indent=1) + "\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261122)
    write("mann-whitney-u.json", {"cases": mann_whitney_vectors(rng)})
    write("welch-t-test.json", {"cases": welch_vectors(rng)})
    write("distributions.json", distribution_vectors())
    # A generator of its own, so the files above do not change when cases are added here.
    write("sequential-t.json", sequential_t_vectors(np.random.default_rng(20261126)))


if __name__ == "__main__":
    main()
