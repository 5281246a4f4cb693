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
from scipy import special, stats

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


if __name__ == "__main__":
    main()
