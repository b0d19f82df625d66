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


# ---------------------------------------------------------------- API arguments


@pytest.mark.parametrize("kwargs, needle", [
    ({"backend": None}, "backend must be a backend name"),
    ({"readout": (0.1, 0.1, 0.1)}, "readout must be a number P or a pair"),
    ({"readout": "0.1"}, "readout must be"),
    ({"p1": "x"}, "p1 must be a number"),
    ({"observable": 5}, "observable must be a Pauli string"),
    ({"strategies": [None]}, "strategies must be a list"),
    ({"budgets": None, "target_error": "small"}, "target error must be a positive number"),
    ({"budgets": 5}, "budgets must be a list"),
    ({"seed": -1}, "seed: must be >= 0"),
    ({"seed": 2**64}, "seed: must be <= 2**63 - 1"),
    ({"seed": 1.5}, "seed: expected an integer"),
    ({"shots": True}, "shots must be a positive integer"),
    ({"timeout": 0}, "timeout must be a positive number"),
    ({"timeout": "soon"}, "timeout must be a positive number"),
])
def test_profile_names_the_wrong_argument(kwargs, needle):
    import mitprof
    from mitprof.errors import SpecError

    with pytest.raises(SpecError, match=needle.replace("(", r"\(").replace("*", r"\*")):
        mitprof.profile("ghz:n=2", **{"trials": 0, "repeats": 1, "shots": 10, **kwargs})


def test_profile_and_spec_share_one_seed_rule():
    import mitprof
    from mitprof.errors import SpecError
    from mitprof.seeds import MAX_SEED
    from mitprof.spec import load_spec
    from mitprof.sweep import point_seed

    for bad in (-1, MAX_SEED + 1):
        with pytest.raises(SpecError, match="seed"):
            load_spec({"sweep": {"seed": bad}, "circuits": [{"family": "ghz", "qubits": [2]}]})
        with pytest.raises(SpecError, match="seed"):
            mitprof.profile("ghz:n=2", seed=bad, trials=0, repeats=1, shots=10)
    spec = load_spec({"sweep": {"seed": MAX_SEED}, "circuits": [{"family": "ghz",
                                                                 "qubits": [2]}]})
    point = next(spec.points())
    # a stored point's engine seed can be given back to profile
    r = mitprof.profile("ghz:n=2", seed=point_seed(point), strategies=[], trials=0,
                        repeats=1, shots=10)
    assert r.seed == point_seed(point)
    # a family whose generator takes 32-bit seeds does not silently take a 63-bit one
    with pytest.raises(SpecError, match=r"circuits\[0\].params.seed"):
        load_spec({"sweep": {"seed": MAX_SEED},
                   "circuits": [{"family": "mirror", "qubits": [2]}]})


@pytest.mark.parametrize("out", [None, 5, ""])
def test_run_sweep_needs_a_directory(out):
    from mitprof.errors import MitprofError
    from mitprof.sweep import run_sweep

    spec = {"sweep": {"trials": 0}, "circuits": [{"family": "ghz", "qubits": [2]}]}
    with pytest.raises(MitprofError, match="out: the sweep directory"):
        run_sweep(spec, out=out, executor="serial")


def test_run_sweep_needs_a_spec(tmp_path):
    from mitprof.errors import SpecError
    from mitprof.sweep import run_sweep

    with pytest.raises(SpecError, match="spec: expected a TOML file"):
        run_sweep(None, out=tmp_path / "out", executor="serial")  # type: ignore[arg-type]


# ---------------------------------------------------------------- observables, names


@pytest.mark.parametrize("observable", ["1e999*ZZ", "1e999*ZZ-1e999*ZZ", "1e200*ZZ",
                                        "-1e999*ZZ+XX"])
def test_observable_weights_must_be_finite(observable):
    from mitprof.errors import SpecError
    from mitprof.observables import parse_observable

    with pytest.raises(SpecError, match="must be finite"):
        parse_observable(observable, 2)
    one_error(run("profile", "ghz:n=2", "--observable", observable, "--trials", "0"),
              "weights must be finite")


def test_a_non_finite_observable_in_a_sweep_is_refused_with_the_spec(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('[sweep]\ntrials = 0\n[[circuits]]\nfamily = "ghz"\nqubits = [2]\n'
                    'observable = "1e999*ZZ"\n')
    res = run("run", spec, "--out", tmp_path / "out", "--executor", "serial")
    one_error(res, "weights must be finite")
    assert not (tmp_path / "out").exists()


def test_a_circuit_name_too_long_for_a_file_name():
    line = one_error(run("profile", "x" * 6000 + ":n=2", "--trials", "0"),
                     "unknown circuit family")
    assert len(line) < 500
    one_error(run("profile", "y" * 6000 + ".qasm", "--trials", "0"), "does not exist")


def test_profile_timeout():
    import time

    t0 = time.perf_counter()
    one_error(run("profile", "mirror:n=3,depth=4", "-s", "pec:samples=100000", "--trials",
                  "0", "--repeats", "1", "--timeout", "0.5"), "timed out after 0.5 s")
    assert time.perf_counter() - t0 < 20


# ---------------------------------------------------------------- sizes, before anything runs


@pytest.mark.parametrize("args, needles", [
    (["ghz:n=2", "--shots", "1000000000000"], ["1,000,000,000,000 shots", "MAX_SHOTS"]),
    (["ghz:n=100000000"], ["100,000,000 qubits", "MAX_QUBITS"]),
    (["ghz:n=1e9"], ["1,000,000,000 qubits", "MAX_QUBITS"]),
    (["mirror:n=4,depth=100000"], ["400,000 gates", "MAX_GATES"]),
    (["ghz:n=2", "-s", "pec:samples=1000000000000"], ["circuits per estimate", "MAX_CIRCUITS"]),
    (["ghz:n=2", "-s", "pec:precision=0.00001"], ["circuits per estimate"]),
    (["ghz:n=2", "-s", "trex:randomizations=10000000"], ["circuits per estimate"]),
    (["ghz:n=2", "--shots", "100000000", "--trials", "100"], ["MAX_TOTAL_SHOTS"]),
])
def test_oversized_requests_are_refused_with_the_figure(args, needles):
    extra = [] if "--trials" in args else ["--trials", "0"]
    one_error(run("profile", *args, "--repeats", "1", *extra), *needles)


def test_the_memory_of_the_shots_is_checked_against_the_machine(monkeypatch):
    from mitprof import limits

    monkeypatch.setattr(limits, "available_memory", lambda: 100_000_000)
    one_error(run("profile", "ghz:n=4", "--shots", "10000000", "-s", "zne", "--trials", "0",
                  "--repeats", "1"), "need about 240.0 MB of memory", "50.0 MB is available")


def test_large_qasm_files_are_refused_before_they_are_read(tmp_path):
    big = tmp_path / "big.qasm"
    with open(big, "wb") as fh:
        fh.truncate(50_000_000)  # sparse: 50 MB without writing them
    one_error(run("profile", big, "--trials", "0"), "50.0 MB of OpenQASM", "MAX_QASM_BYTES")
    many = tmp_path / "many.qasm"
    many.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\n'
                    + "cx q[0],q[1];\n" * 25_000)
    one_error(run("profile", many, "--trials", "0"), "25,000 gates", "MAX_GATES")


def test_an_oversized_point_in_a_sweep_is_failed_and_the_sweep_goes_on(tmp_path):
    from mitprof.store import Reader
    from mitprof.sweep import run_sweep

    spec = {"sweep": {"trials": 0, "repeats": 1, "shots": 10},
            "circuits": [{"family": "ghz", "qubits": [2, 5000]}],
            "strategies": [{"name": "rem"}]}
    summary = run_sweep(spec, tmp_path / "out", executor="serial")
    assert (summary.done, summary.failed) == (1, 1)
    with Reader(tmp_path / "out") as reader:
        [(_, _, error)] = reader.failures()
    assert "5,000 qubits is over the limit" in error
