"""Shipped conformance test for techniques (as Cirq ships `cirq.testing`).

`assert_technique_conforms(name)` checks what every registered technique must
do, whoever wrote it: options round-trip through text (CLI), TOML and JSON and
bad ones raise SpecError; estimates are seeded and deterministic; the circuits
and shots it reports are the ones the backend executed; it is unbiased in
expectation under the noise it claims to correct (`corrects`), where the
unmitigated estimator is measurably biased; and its theory value is present or
explicitly absent with a reason. It raises AssertionError (no pytest needed).
"""

from __future__ import annotations

import json
import math
import tomllib
from typing import Any

import numpy as np

from ..errors import SpecError
from .registry import TECHNIQUES, StrategySpec

# 99.9% two-sided normal quantile: one false alarm in a thousand per check
Z_999 = 3.2905


def _workload() -> Any:
    """Two qubits, Z-basis outcomes all well away from 0 and 1 (no simplex edge): a
    product of rotations and a diagonal CZ; ideal value computed, never typed in."""
    import cirq

    from ..circuits import resolve

    q = cirq.LineQubit.range(2)
    circuit = cirq.Circuit(cirq.ry(1.0)(q[0]), cirq.ry(0.7)(q[1]), cirq.CZ(q[0], q[1]))
    return resolve(circuit, "0.6*ZZ+0.4*IZ")


def _noise(kind: str | None) -> Any:
    from ..noise import Noise

    if kind == "gate":
        return Noise(p2=0.04, p1=0.01, p01=0.0, p10=0.0)
    if kind == "readout":
        return Noise(p2=0.0, p1=0.0, p01=0.04, p10=0.08)
    return Noise.from_level(0.02)


def _texts(name: str) -> list[str]:
    return [name, *(f"{name}:{opts}" for opts in TECHNIQUES[name].examples)]


def check_options(name: str) -> None:
    """Round trips (CLI text, TOML, JSON) and SpecError for bad options."""
    from ..spec import SweepSpec

    cls = TECHNIQUES[name]
    for text in _texts(name):
        spec = StrategySpec.parse(text)
        assert StrategySpec.parse(spec.text) == spec, f"{text}: text round trip"
        table = spec.to_table()
        back = json.loads(json.dumps(table))
        circuits = [{"family": "ghz", "qubits": [2]}]
        from_json = SweepSpec.from_dict({"circuits": circuits, "strategies": [back]})
        toml = f'[[circuits]]\nfamily = "ghz"\nqubits = [2]\n[[strategies]]\nname = "{name}"\n'
        if spec.options:
            toml += "options = { " + ", ".join(f'{k} = "{v}"' for k, v in spec.options) + " }\n"
        from_toml = SweepSpec.from_dict(tomllib.loads(toml))
        if name != "unmitigated":  # the baseline is always run, never listed
            assert from_json.strategy_specs == (spec,), f"{text}: JSON round trip"
            assert from_toml.strategy_specs == (spec,), f"{text}: TOML round trip"
        assert spec.strategy == StrategySpec.parse(text).strategy, "parsing is not a function"
    for bad in ["no_such_option=1", *(f"{opt}=@@" for opt in cls.options)]:
        try:
            StrategySpec.parse(f"{name}:{bad}")
        except SpecError:
            continue
        raise AssertionError(f"{name}:{bad} was accepted; expected a SpecError")


class _CountingBackend:
    """Wraps a backend and records every circuit and shot count it executes."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.circuits, self.shots = inner, 0, 0
        self.name = inner.name

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    def run(self, compiled: list[Any], shots: list[int], seed: int) -> Any:
        self.circuits += len(compiled)
        self.shots += int(sum(shots))
        out = self.inner.run(compiled, shots, seed)
        assert [len(b) for b in out.bits] == list(shots), "bits per circuit != shots"
        return out


def check_execution(name: str, backend: str = "aer") -> None:
    """Seeded, deterministic, and counting exactly what the backend executed."""
    from ..backends import get_backend
    from ..engine import count_jobs, run_estimate

    w, noise = _workload(), _noise(None)
    for text in _texts(name):
        spec = StrategySpec.parse(text)
        counting = _CountingBackend(get_backend(backend))
        a = run_estimate(spec, w, noise, counting, 300, 11)  # type: ignore[arg-type]
        b = run_estimate(spec, w, noise, get_backend(backend), 300, 11)
        same = a.value == b.value or (math.isnan(a.value) and math.isnan(b.value))
        assert same, f"{text}: same seed, different estimates {a.value} vs {b.value}"
        counts = count_jobs(a.estimate.history)
        assert counts == count_jobs(b.estimate.history), f"{text}: same seed, other circuits"
        assert counts["n_circuits"] == counting.circuits, (
            f"{text}: reports {counts['n_circuits']} circuits, executed {counting.circuits}")
        assert counts["total_shots"] == counting.shots, (
            f"{text}: reports {counts['total_shots']} shots, executed {counting.shots}")


def _trials(spec: StrategySpec, w: Any, noise: Any, shots: int, trials: int, seed: int) -> Any:
    from ..backends import get_backend
    from ..trials import ExactSampler, run_trials

    sampler = ExactSampler(get_backend("aer"), noise, w.n_qubits)
    return run_trials(spec, w, noise, shots, seed, trials, sampler), sampler


def check_unbiased(name: str, trials: int = 300, shots: int = 2000) -> None:
    """Unbiased in expectation under each kind of noise the technique claims to correct:
    |mean - ideal| within the 99.9% interval, where the unmitigated estimator's bias
    lies outside its own (so the check has power)."""
    from .. import exact

    w = _workload()
    ideal = exact.ideal_value(w)
    for kind in sorted(TECHNIQUES[name].corrects):
        noise = _noise(kind)
        raw, _ = _trials(StrategySpec.parse("unmitigated"), w, noise, shots, trials, 1)
        v = raw.ok
        assert abs(v.mean() - ideal) > Z_999 * v.std(ddof=1) / np.sqrt(len(v)), (
            f"{kind} noise does not bias the unmitigated estimator measurably: no power")
        ts, _ = _trials(StrategySpec.parse(name), w, noise, shots, trials, 2)
        m = ts.ok
        assert len(m) == trials, f"{name}: {trials - len(m)} of {trials} trials failed"
        se = m.std(ddof=1) / np.sqrt(len(m))
        assert abs(m.mean() - ideal) <= Z_999 * se, (
            f"{name} claims to correct {kind} noise but is biased: mean {m.mean():.5f}, "
            f"ideal {ideal:.5f}, 99.9% half-width {Z_999 * se:.5f}")


def check_theory(name: str) -> None:
    """A theory value (finite, positive, truthfully labelled) or a reason for none."""
    from ..predict import baseline_sigma2, predict

    w, noise = _workload(), _noise(None)
    for text in _texts(name):
        ts, sampler = _trials(StrategySpec.parse(text), w, noise, 200, 5, 3)
        pred = predict(ts.estimates[0], ts.estimates, w, noise, sampler.probabilities,
                       baseline_sigma2(w, sampler.probabilities))
        if pred.multiplier is None:
            assert pred.reason, f"{text}: no theory value and no reason"
        else:
            assert math.isfinite(pred.multiplier) and pred.multiplier > 0, (
                f"{text}: theory multiplier {pred.multiplier}")
            assert pred.bound in (None, "approximate", "upper", "lower"), pred.bound
            if pred.bound is not None:
                assert pred.reason, f"{text}: labelled {pred.bound} without saying why"


def assert_technique_conforms(name: str) -> None:
    """Every check above, for the registered technique `name`."""
    assert name in TECHNIQUES, f"{name!r} is not registered"
    check_options(name)
    check_execution(name)
    check_unbiased(name)
    check_theory(name)
