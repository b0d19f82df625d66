"""Issue #11, continued: legitimate edge values work, impossible requests are refused
before they start (with the figure they would need), and sweeps survive worker deaths."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mitprof.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_error(res, *needles):
    """Exit status 2, one `error: ` line on stderr (and no traceback) naming the needles."""
    assert res.exit_code == 2, (res.output, res.exception)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.output and res.stdout == ""
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# ---------------------------------------------------------------- noise 0


@pytest.mark.parametrize("backend", ["aer", "cirq"])
@pytest.mark.parametrize("trials", ["0", "10"])
def test_noise_zero_is_a_point_like_any_other(backend, trials):
    import json

    res = run("profile", "ghz:n=2", "--noise", "0", "--backend", backend, "--trials", trials,
              "--repeats", "1", "--shots", "50", "-s", "zne", "-s", "rem", "--json")
    assert res.exit_code == 0, (res.output, res.exception)
    doc = json.loads(res.stdout)
    assert doc["noisy_value_exact"] == pytest.approx(1.0)
    for r in doc["results"]:
        assert r["value"] == pytest.approx(1.0)
        if trials != "0":  # every baseline trial is +1: no multiplier, no theory, a reason
            assert r["variance_multiplier"] is None and r["theory_multiplier"] is None
            assert "zero variance" in r["variance_multiplier_reason"]
            assert "zero variance" in r["theory_reason"]


def test_noise_zero_with_a_nonzero_variance_keeps_its_multipliers():
    import mitprof

    r = mitprof.profile("ising:n=2,depth=1", backend="cirq", noise=0, strategies=["zne"],
                        shots=50, trials=10, repeats=1)
    assert r["zne"].variance_multiplier is not None
    assert r["zne"].theory_multiplier is not None
