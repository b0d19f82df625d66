"""LRE: Mitiq's coefficients against an independent computation, and the theory
multiplier (sum c_i^2 sigma_i^2 / N_i) against the measured one with its interval."""

import itertools
import math

import cirq
import numpy as np
import pytest

import mitprof
from mitprof.techniques.lre import coefficients, scale_vectors


def _independent(chunks, degree, multiplier):
    """Scale-factor vector -> coefficient, from scratch: the circuits are the points
    lambda = 1 + 2 m k (k: exponent vectors of total degree <= d, one per monomial), and
    E0 = p(0) for the polynomial p through them: c solves M^T c = e_0 with
    M[i, j] = prod(lambda_i ** k_j)."""
    ks = [k for k in itertools.product(range(degree + 1), repeat=chunks) if sum(k) <= degree]
    points = [tuple(1 + 2 * multiplier * x for x in k) for k in ks]
    m = np.array([[np.prod(np.power(p, k)) for k in ks] for p in points], dtype=float)
    e0 = np.zeros(len(ks))
    e0[ks.index((0,) * chunks)] = 1.0
    return dict(zip(points, np.linalg.solve(m.T, e0), strict=True)), ks


@pytest.mark.parametrize("chunks,degree,multiplier", [(2, 1, 1), (2, 2, 1), (3, 2, 2),
                                                      (4, 1, 3)])
def test_coefficients_match_an_independent_computation(chunks, degree, multiplier):
    q = cirq.LineQubit.range(2)
    circuit = cirq.Circuit([cirq.H(q[0]), cirq.CNOT(*q), cirq.rz(0.3)(q[1]), cirq.CNOT(*q),
                            cirq.H(q[1])])
    mine, ks = _independent(chunks, degree, multiplier)
    vectors = scale_vectors(circuit, degree, multiplier, chunks)
    theirs = coefficients(circuit, degree, multiplier, chunks)
    assert sorted(vectors) == sorted(mine)
    for v, c in zip(vectors, theirs, strict=True):
        assert c == pytest.approx(mine[v], rel=1e-9, abs=1e-9)
    # and the estimate is exact on every polynomial of degree <= d: sum_i c_i p(l_i) = p(0)
    rng = np.random.default_rng(0)
    a = rng.normal(size=len(ks))

    def p(lam):
        return sum(ai * np.prod(np.power(lam, k)) for ai, k in zip(a, ks, strict=True))

    assert np.dot(theirs, [p(v) for v in vectors]) == pytest.approx(p((0,) * chunks),
                                                                     rel=1e-9)


def test_theory_multiplier_inside_the_measured_interval_alone_and_with_rem():
    """Two measurement groups (the X group's basis change adds a layer): both are cut into
    the same chunks and share the coefficients."""
    res = mitprof.profile("ghz:n=3", "0.5*XXX+0.5*ZZI",
                          strategies=["lre:chunks=2", "rem+lre:chunks=2"],
                          shots=500, trials=60, repeats=1, seed=5, noise=0.02)
    for r in res.results[1:]:
        assert r.theory_multiplier is not None, r.theory_reason
        assert len(r.details["coefficients"]) == 6  # (2 + 2 choose 2) monomials
        assert r.n_circuits - r.calibration_circuits == 2 * 6  # per group
        # the coefficients the theory used are Mitiq's, as executed
        assert r.theory_details["coefficients"] == pytest.approx(r.details["coefficients"])
    lre, rem_lre = res.results[1:]
    vm = lre.variance_multiplier
    assert lre.theory_bound == "exact"
    assert vm["ci_low"] <= lre.theory_multiplier <= vm["ci_high"], (vm, lre.theory_multiplier)
    # with REM the readout part is a Monte Carlo estimate (rem's own theory), so labelled
    assert rem_lre.theory_bound == "approximate" and "Monte Carlo" in rem_lre.theory_reason


def test_bad_chunking_is_one_error_line(tmp_path):
    from click.testing import CliRunner

    from mitprof.cli import main

    res = CliRunner().invoke(main, ["profile", "ghz:n=2", "-s", "lre:chunks=50",
                                    "--trials", "0", "--repeats", "1"])
    assert res.exit_code == 2
    assert res.output.strip().startswith("error: ") and len(res.output.strip().splitlines()) == 1
    assert "chunks=50" in res.output


def test_the_size_check_counts_lre_and_cdr_circuits_before_anything_runs():
    from mitprof.limits import circuits_per_estimate
    from mitprof.techniques import StrategySpec

    def count(text, gates=(10, 4)):
        return circuits_per_estimate(StrategySpec.parse(text).strategy, 3, 1, gates, (0, 0))

    assert count("lre:chunks=3") == math.comb(3 + 2, 2)  # as executed above for 2 chunks
    assert count("lre:degree=3") == math.comb(14 + 3, 3)  # default: a layer per gate at most
    assert count("cdr:scale=1-3,train=5") == 12
    assert count("rem+cdr:train=4") == 5 + 2  # and REM's two calibration circuits
