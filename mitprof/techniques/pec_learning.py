"""PEC's noise model learned as on hardware: Mitiq's `learn_depolarizing_noise_parameter`
(or `learn_biased_noise_parameters`) run against the same simulated device, its cost
counted as calibration.

Mitiq draws near-Clifford training circuits from the circuit (CDR's generator), computes
their ideal values classically, and minimises (Nelder-Mead) the squared error of PEC on
them with local depolarizing representations of the 2-qubit gates at rate epsilon (or
local biased-noise ones with rate epsilon and bias eta). Every
PEC evaluation executes circuits on the device: those circuits and their shots are the
learning's quantum cost, the rest of its wall-clock (ideal simulation, the optimiser,
Mitiq's sampling) its classical cost. Learning runs once per process for a noise model
and a set of 2-qubit gates (as a device is calibrated once, then used) and is reported
with every estimate that uses it. The learning loss runs Mitiq's own PEC, whose inserted
Paulis are ordinary (noisy) gates on the simulated device.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import cirq
import numpy as np

from ..seeds import derive_seed

if TYPE_CHECKING:
    from ..noise import NoiseModel

LEARNING_SHOTS = 1000  # shots per learning circuit
TRAINING_CIRCUITS = 3
PEC_SAMPLES = 20  # Mitiq's num_samples per training circuit inside the loss
MAX_ITERATIONS = 20  # Nelder-Mead iterations
EPSILON0 = 0.01
ETA0 = 1.0  # Mitiq's default starting bias
_LEARNED: dict[Any, Learned] = {}


@dataclass(frozen=True)
class Learned:
    epsilon: float  # local noise rate of every 2-qubit gate (Mitiq's convention)
    eta: float | None  # the biased model's noise bias (None: depolarizing)
    success: bool  # the optimiser's own flag
    circuits: int  # learning circuits executed on the device
    shots: int
    seconds: float  # wall-clock of the whole learning
    simulator_seconds: float  # of which executing the learning circuits

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["classical_seconds"] = self.seconds - self.simulator_seconds
        d.update(training_circuits=TRAINING_CIRCUITS, shots_per_circuit=LEARNING_SHOTS,
                 pec_samples_per_evaluation=PEC_SAMPLES, max_iterations=MAX_ITERATIONS)
        return d


def _two_qubit_ops(circuit: cirq.Circuit) -> list[cirq.Operation]:
    return list(dict.fromkeys(op.untagged for op in circuit.all_operations()
                              if len(op.qubits) == 2 and not cirq.is_measurement(op)))


def learned(circuit: cirq.Circuit, noise: NoiseModel, kind: str = "depolarizing"
            ) -> Learned | None:
    """The learned model (`kind`: depolarizing or biased) for the 2-qubit gates of
    `circuit` under `noise` (None: no 2-qubit gates to learn), learned on first use."""
    ops = _two_qubit_ops(circuit)
    if not ops:
        return None
    key = (json.dumps(noise.to_dict(), sort_keys=True, default=str), frozenset(ops), kind)
    if key not in _LEARNED:
        _LEARNED[key] = _learn(circuit, ops, noise, kind)
    return _LEARNED[key]


def _z_mean(probs: np.ndarray) -> float:
    """<mean_i Z_i> of a distribution over bitstrings (qubit 0 most significant)."""
    m = int(np.log2(probs.size))
    bits = (np.arange(probs.size)[:, None] >> np.arange(m - 1, -1, -1)) & 1
    return float(np.mean(probs @ (1 - 2 * bits)))


def _learn(circuit: cirq.Circuit, ops: list[cirq.Operation], noise: NoiseModel,
           kind: str) -> Learned:
    from mitiq import Executor
    from mitiq.pec.representations.learning import (
        learn_biased_noise_parameters,
        learn_depolarizing_noise_parameter,
    )

    from ..backends import get_backend
    from ..noise import Noise

    qubits = sorted(circuit.all_qubits())
    n = max(q.x for q in qubits) + 1  # type: ignore[attr-defined]
    measure = cirq.Circuit(cirq.measure(*cirq.LineQubit.range(n), key="m"))
    backend = get_backend("aer")
    noiseless = Noise(0.0, 0.0, 0.0, 0.0)
    seed = derive_seed("pec-learning", str(circuit))
    rng = np.random.default_rng(seed)
    count = {"circuits": 0, "shots": 0}
    sim_seconds = [0.0]

    def noisy(circuits: list[cirq.Circuit]) -> list[float]:
        t0 = time.perf_counter()
        # exact distributions straight from the backend (trials.ExactSampler would make
        # techniques -> trials -> techniques an import cycle), then shots drawn from them
        probs = backend.probabilities_many([c + measure for c in circuits], n, noise)
        out = [_z_mean(rng.multinomial(LEARNING_SHOTS, p) / LEARNING_SHOTS) for p in probs]
        count["circuits"] += len(circuits)
        count["shots"] += LEARNING_SHOTS * len(circuits)
        sim_seconds[0] += time.perf_counter() - t0
        return out

    def ideal(circuits: list[cirq.Circuit]) -> list[float]:
        return [_z_mean(p) for p in backend.probabilities_many(
            [c + measure for c in circuits], n, noiseless)]

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Mitiq warns per unrepresented 1-qubit gate
        args = ([cirq.Circuit(op) for op in ops], circuit, Executor(ideal), Executor(noisy))
        kwargs: dict[str, Any] = dict(
            pec_kwargs={"num_samples": PEC_SAMPLES, "random_state": seed % 2**32},
            num_training_circuits=TRAINING_CIRCUITS,
            training_random_state=np.random.RandomState(seed % 2**32), epsilon0=EPSILON0,
            learning_kwargs={"method": "Nelder-Mead", "options": {"maxiter": MAX_ITERATIONS}})
        eta = None
        if kind == "biased":
            success, eps, eta = learn_biased_noise_parameters(*args, eta0=ETA0, **kwargs)
        else:
            success, eps = learn_depolarizing_noise_parameter(*args, **kwargs)
    return Learned(float(eps), None if eta is None else float(eta), bool(success),
                   count["circuits"], count["shots"], time.perf_counter() - t0,
                   sim_seconds[0])
