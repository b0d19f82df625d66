"""Clifford data regression through Mitiq (`mitiq.cdr`), variable-noise CDR as an option.

As Mitiq's `execute_with_cdr`: near-Clifford training circuits are drawn from the
circuit (`generate_training_circuits`), the circuit and every training circuit are run at
each noise scale factor (one factor: CDR; more: variable-noise CDR), the training
circuits are also simulated classically without noise, and a linear fit from noisy to
ideal training values (Mitiq's `linear_fit_function`, by least squares as Mitiq's
`curve_fit` does) is applied to the circuit's noisy values.

Costs: every training circuit at every scale factor is executed (quantum cost, counted
like any circuit); their noiseless simulation is the "classical_training" phase, timed
apart from construction (`CircuitRun.phase_seconds`).

Mitiq's training-circuit generator replaces non-Clifford gates by Rz rotations, so it
needs every non-Clifford gate to be an Rz (the circuit compiled to {Rz, sqrt(X), CNOT}):
non-Clifford rx and ry are rewritten first (rx(t) = H rz(t) H, ry(t) = S rx(t) S^-1),
for the executed circuit as for its training circuits. On a device both forms are two
sqrt(X) pulses; under gate-level depolarizing noise the rewrite adds gates (counted).
Measurement groups share the training circuits: the same draw (same seed) on each group's
circuit, which differ only in Clifford basis changes; the fit is on the sums over groups,
as Mitiq fits the whole observable.

Theory: not derived. The fit is nonlinear in the noisy training values and the training
circuits are redrawn per estimate. A delta method (the fit linearised at the exact values,
plus the variance over draws) was tried: on ising:n=3,depth=2 it matched the measured
multiplier for CDR with 10 uniform training circuits (42.3 against 42.6, 27-64) but missed
by 27x for variable-noise CDR and by 380x for `replace=closest`, whose training values
spread less than their shot noise, so the first order does not hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SpecError
from ..measure import CLASSICAL_PHASE, now
from .base import (
    CircuitRun,
    CircuitTechnique,
    NotDerived,
    Prediction,
    PredictionContext,
    choice,
    floats,
    integer,
    number,
)

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel
    from .compose import Estimate

SELECT = ("uniform", "gaussian")
REPLACE = ("closest", "uniform", "gaussian")


def rz_form(circuit: cirq.Circuit) -> cirq.Circuit:
    """Non-Clifford rx/ry rotations written with rz (Mitiq's training-circuit gate set);
    each rotation keeps its layer, its basis changes get layers of their own."""
    import cirq

    from ..lowering import gate_name, is_clifford

    moments: list[cirq.Moment] = []
    for moment in circuit:
        pre: list[cirq.Operation] = []
        mid: list[cirq.Operation] = []
        post: list[cirq.Operation] = []
        for op in moment:
            name, angle = gate_name(op)
            if name in ("rx", "ry") and not is_clifford(cirq.Circuit(op)):
                q = op.qubits[0]
                wrap = [cirq.H(q)] if name == "rx" else [(cirq.S**-1)(q), cirq.H(q)]
                pre.extend(wrap)
                mid.append(cirq.rz(angle).on(q))  # type: ignore[arg-type]
                post.extend([cirq.H(q)] if name == "rx" else [cirq.H(q), cirq.S(q)])
            else:
                mid.append(op)
        moments.extend(_layers(pre))
        moments.append(cirq.Moment(mid))
        moments.extend(_layers(post))
    return cirq.Circuit(moments)


def _layers(ops: list[cirq.Operation]) -> list[cirq.Moment]:
    """Operations in order as layers (an operation on a busy qubit starts the next)."""
    import cirq

    return list(cirq.Circuit(ops).moments)


def ideal_value(circuit: cirq.Circuit, group: Any, n_qubits: int) -> float:
    """The group's value on the noiseless circuit (its basis change already applied)."""
    import cirq

    qubits = cirq.LineQubit.range(n_qubits)
    state = cirq.final_state_vector(circuit, qubit_order=qubits, dtype=np.complex128)
    probs = np.abs(state.reshape([2] * n_qubits)) ** 2
    keep = list(group.measured_qubits)
    drop = tuple(i for i in range(n_qubits) if i not in keep)
    marginal = probs.sum(axis=drop) if drop else probs
    # the marginal's axes are in qubit order; the group reads them in measurement order
    marginal = np.transpose(marginal, [sorted(keep).index(q) for q in keep])
    return float(group.expectation_from_probabilities(np.asarray(marginal).reshape(-1)))


def fit(noisy: np.ndarray, ideal: np.ndarray) -> np.ndarray:
    """Least-squares parameters (a_1..a_k, b) of Mitiq's linear_fit_function: ideal =
    sum_j a_j noisy_j + b over the training circuits (noisy: circuits x scale factors)."""
    design = np.column_stack([noisy, np.ones(len(noisy))])
    params, *_ = np.linalg.lstsq(design, ideal, rcond=None)
    return np.asarray(params)


class CDRRun(CircuitRun):
    def __init__(self, cdr: CDR) -> None:
        self.cdr = cdr
        self.ideal = np.zeros(0)
        self.params: np.ndarray | None = None
        self.error: str | None = None
        self.phase_seconds: dict[str, float] = {}
        self.non_clifford = 0
        self._groups: list[Any] = []
        self._n_qubits = 0

    def construct(self, logicals: list[cirq.Circuit], rng: np.random.Generator,
                  noise: NoiseModel) -> list[list[cirq.Circuit]]:

        from mitiq.cdr import generate_training_circuits
        from mitiq.zne.scaling import fold_gates_at_random

        cdr = self.cdr
        seed = int(rng.integers(2**31))
        fold_seed = int(rng.integers(2**31))
        circuits = [rz_form(c) for c in logicals]
        self.non_clifford = count_non_clifford(circuits[0])
        if self.non_clifford == 0:
            raise SpecError(CLIFFORD_REFUSAL)
        training = [generate_training_circuits(
            c, cdr.train, cdr.fraction, cdr.select, cdr.replace, np.random.RandomState(seed))
            for c in circuits]
        groups = self._groups
        n = self._n_qubits
        t0 = now()
        ideal = np.zeros(cdr.train)
        for g, train in zip(groups, training, strict=True):
            ideal += [ideal_value(c, g, n) for c in train]
        self.phase_seconds = {CLASSICAL_PHASE: now() - t0}
        self.ideal = ideal

        def scaled(c: cirq.Circuit) -> list[cirq.Circuit]:
            return [c if s == 1 else fold_gates_at_random(c, s, seed=fold_seed)
                    for s in cdr.scales]

        return [[x for c in [circuit, *train] for x in scaled(c)]
                for circuit, train in zip(circuits, training, strict=True)]

    def bind(self, groups: Sequence[Any], n_qubits: int) -> None:
        self._groups, self._n_qubits = list(groups), n_qubits

    def combine(self, values: list[list[float]]) -> float:
        k = len(self.cdr.scales)
        totals = np.asarray([float(sum(col)) for col in zip(*values, strict=True)])
        noisy = totals.reshape(-1, k)  # rows: the circuit, then each training circuit
        self.params = fit(noisy[1:], self.ideal)
        if not np.all(np.isfinite(self.params)):
            self.error = "the training fit is not finite"
            return float("nan")
        return float(np.dot(self.params[:k], noisy[0]) + self.params[k])

    def details(self, shots: int) -> dict[str, Any]:
        d: dict[str, Any] = {"training_circuits": self.cdr.train,
                             "fraction_non_clifford": self.cdr.fraction,
                             "scale_factors": list(self.cdr.scales),
                             "non_clifford_gates": self.non_clifford,
                             "variable_noise": len(self.cdr.scales) > 1}
        if self.params is not None:
            d["fit_parameters"] = [float(p) for p in self.params]
        if self.error:
            d["error"] = self.error
        return d


CLIFFORD_REFUSAL = ("cdr: the circuit is Clifford (no non-Clifford gate to learn from): "
                    "Mitiq's CDR returns its classical simulation and executes nothing")


def count_non_clifford(circuit: cirq.Circuit) -> int:
    import cirq

    return sum(1 for op in circuit.all_operations() if not cirq.has_stabilizer_effect(op))


@dataclass(frozen=True)
class CDR(CircuitTechnique):
    train: int = 10
    fraction: float = 0.1
    scales: tuple[float, ...] = (1.0,)
    select: str = "uniform"
    replace: str = "closest"

    name = "cdr"
    help = "Clifford data regression (variable-noise CDR with several scale factors)"
    options = {
        "train": "training circuits (default 10, as Mitiq)",
        "fraction": "fraction of non-Clifford gates kept in training circuits (default 0.1)",
        "scale": "noise scale factors joined by '-' (default 1: CDR; e.g. 1-3: vnCDR)",
        "select": "uniform|gaussian (which non-Clifford gates are replaced)",
        "replace": "closest|uniform|gaussian (by which Clifford)",
    }
    examples = ("train=6,fraction=0.5,replace=uniform", "scale=1-3,train=8,replace=uniform")

    @classmethod
    def from_options(cls, opts: Mapping[str, str]) -> CDR:
        return cls(train=integer(opts.get("train"), "cdr train", 10),
                   fraction=number(opts.get("fraction"), "cdr fraction", 0.1, 0.0, 1.0),
                   scales=tuple(floats(opts.get("scale") or "1", "cdr scale")),
                   select=choice(opts.get("select"), "cdr select", "uniform", SELECT),
                   replace=choice(opts.get("replace"), "cdr replace", "closest", REPLACE))

    def __post_init__(self) -> None:
        if any(s < 1 for s in self.scales) or len(set(self.scales)) != len(self.scales):
            raise SpecError(f"cdr scale factors {self.scales} must be distinct and >= 1")
        if self.train < len(self.scales) + 1:
            raise SpecError(f"cdr needs train >= {len(self.scales) + 1} training circuits to "
                            f"fit {len(self.scales) + 1} parameters")

    @property
    def label(self) -> str:
        scales = "-".join(f"{s:g}" for s in self.scales)
        return (f"cdr[{self.train},{self.fraction:g},{scales},{self.select},{self.replace}]")

    def start(self) -> CDRRun:
        return CDRRun(self)

    def cost_estimate(self, logicals: list[cirq.Circuit], noise: NoiseModel) -> float | None:
        """No cheap multiplier; refuses a Clifford circuit before anything runs."""
        if count_non_clifford(rz_form(logicals[0])) == 0:
            raise SpecError(CLIFFORD_REFUSAL)
        return None

    def predict(self, est: Estimate, ctx: PredictionContext) -> Prediction:
        raise NotDerived("not derived: the fit is nonlinear in the noisy training values and "
                         "the training circuits are redrawn per estimate")
