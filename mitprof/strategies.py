"""Mitigation strategies as Mitiq's construct -> execute -> combine split.

A strategy is a circuit layer (unmitigated, ZNE, PEC) composed with a readout
layer (raw, REM, TREX). Neither re-implements a technique: folding,
extrapolation, quasi-probability sampling, confusion-matrix inversion and
readout twirling are Mitiq's. What lives here is the bookkeeping Mitiq's
Executor does not do: counting circuits and shots per role, seeding every
random step, and keeping the three phases apart so they can be timed.

One estimate is an `Estimate` state machine: `construct()` yields a batch of
measured jobs, the engine executes them, `combine(bits)` consumes the results
and says whether another round is needed (only adaptive ZNE needs one).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import cirq
import numpy as np

from .circuits import NOISELESS
from .errors import SpecError
from .noise import Noise
from .observables import MeasurementGroup


@dataclass
class Job:
    """One measured circuit to execute with `shots` shots."""

    circuit: cirq.Circuit
    shots: int
    role: str = "main"  # "main" or "calibration"


@contextmanager
def seeded_global_numpy(seed: int) -> Any:
    """Mitiq's REM resamples with the unseeded global np.random: pin it, then restore."""
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)


# ---------------------------------------------------------------- spec parsing

STRATEGY_HELP = {
    "unmitigated": "no mitigation (always run: the baseline)",
    "zne": "zero-noise extrapolation: factory=richardson|linear|poly|exp|polyexp|adaexp, "
    "scale=1-2-3, fold=global|random|identity, order=N, shot_list=N-N-N, steps=N, "
    "split=equal|optimal (same total shots, N_i ~ |g_i| sigma_i)",
    "pec": "probabilistic error cancellation: model=global|local, noise_scale=F, "
    "samples=N | precision=F",
    "rem": "readout-error mitigation (inverse confusion matrix): "
    "calibration=tensored|per_qubit|full",
    "rem_tensored": "scalable readout correction for Z-type observables: per-shot product of "
    "per-qubit inverse-confusion factors, cost linear in shots and qubits (no 2^n matrix, no "
    "resampling): calibration=tensored|per_qubit",
    "trex": "twirled readout error extinction: randomizations=N",
    "rem+zne": "REM inside every ZNE estimate (options of both)",
    "rem+pec": "REM inside every PEC estimate (options of both)",
    "rem_tensored+zne": "scalable readout correction inside every ZNE estimate",
    "rem_tensored+pec": "scalable readout correction inside every PEC estimate",
}

_OPTIONS = {
    "zne": {"factory", "scale", "fold", "order", "shot_list", "steps", "split"},
    "pec": {"model", "noise_scale", "samples", "precision"},
    "rem": {"calibration"},
    "rem_tensored": {"calibration"},
    "trex": {"randomizations"},
    "unmitigated": set(),
}
FACTORIES = ("richardson", "linear", "poly", "exp", "polyexp", "adaexp")
FOLDS = ("global", "random", "identity")
CALIBRATIONS = ("tensored", "per_qubit", "full")
DEFAULT_PEC_SAMPLES = 100
MAX_FULL_CALIBRATION_QUBITS = 8


@dataclass(frozen=True)
class StrategySpec:
    """A parsed strategy: name (e.g. 'rem+zne') and its options."""

    name: str
    options: tuple[tuple[str, str], ...] = ()

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.name.split("+"))

    def opt(self, key: str, default: str | None = None) -> str | None:
        return dict(self.options).get(key, default)

    @classmethod
    def parse(cls, text: str) -> StrategySpec:
        name, _, rest = text.strip().partition(":")
        name = name.strip().lower()
        if name not in STRATEGY_HELP:
            raise SpecError(f"unknown strategy {name!r}; valid: {', '.join(STRATEGY_HELP)}")
        allowed = set().union(*(_OPTIONS[p] for p in name.split("+")))
        opts: dict[str, str] = {}
        for item in filter(None, (s.strip() for s in rest.split(","))):
            key, eq, value = item.partition("=")
            key = key.strip().lower()
            if not eq or not value.strip():
                raise SpecError(f"strategy {text!r}: expected key=value, got {item!r}")
            if key not in allowed:
                valid = ", ".join(sorted(allowed)) or "none"
                raise SpecError(f"strategy {name!r} has no option {key!r}; valid: {valid}")
            opts[key] = value.strip()
        spec = cls(name, tuple(sorted(opts.items())))
        build_strategy(spec)  # validate eagerly: bad values fail at parse time
        return spec


def _floats(text: str, what: str) -> list[float]:
    try:
        return [float(x) for x in text.replace(",", "-").split("-") if x]
    except ValueError:
        raise SpecError(f"{what} {text!r} must be numbers joined by '-', e.g. 1-2-3") from None


def _shot_list(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    shots = _floats(text, "shot_list")
    if any(s < 1 or not s.is_integer() for s in shots):
        raise SpecError(f"shot_list {text!r} must be positive integers")
    return tuple(int(s) for s in shots)


def _int(text: str | None, what: str, default: int, low: int = 1) -> int:
    if text is None:
        return default
    try:
        v = int(text)
    except ValueError:
        raise SpecError(f"{what}={text!r} must be an integer") from None
    if v < low:
        raise SpecError(f"{what}={v} must be >= {low}")
    return v


def _float(text: str | None, what: str, default: float, low: float, high: float) -> float:
    if text is None:
        return default
    try:
        v = float(text)
    except ValueError:
        raise SpecError(f"{what}={text!r} must be a number") from None
    if not low < v <= high:
        raise SpecError(f"{what}={v} must be in ({low}, {high}]")
    return v


# ---------------------------------------------------------------- circuit layers


class CircuitLayer:
    """Turns one logical circuit per measurement group into executable circuits."""

    label = "unmitigated"
    adaptive = False

    def construct(self, logicals: list[cirq.Circuit], rng: np.random.Generator,
                  noise: Noise) -> list[list[cirq.Circuit]]:
        return [[c] for c in logicals]

    def combine(self, values: list[list[float]]) -> float:
        return float(sum(v[0] for v in values))

    def shots_for(self, index: int, shots: int) -> int:
        return shots


@dataclass
class ZNE(CircuitLayer):
    factory: str = "richardson"
    scales: tuple[float, ...] = (1.0, 2.0, 3.0)
    fold: str = "global"
    order: int = 2
    shot_list: tuple[int, ...] | None = None
    steps: int = 5
    split: str = "equal"
    error: str | None = None
    # adaptive state (adaexp only)
    _ada: Any = field(default=None, repr=False)
    _next_scale: float = 1.0
    used_scales: list[float] = field(default_factory=list)  # adaexp: scales chosen so far

    def __post_init__(self) -> None:
        if self.factory not in FACTORIES:
            raise SpecError(f"unknown ZNE factory {self.factory!r}; valid: {', '.join(FACTORIES)}")
        if self.split not in ("equal", "optimal"):
            raise SpecError(f"unknown ZNE split {self.split!r}; valid: equal, optimal")
        if self.split == "optimal" and self.factory == "adaexp":
            raise SpecError("split=optimal needs fixed scale factors (not adaexp)")
        if self.fold not in FOLDS:
            raise SpecError(f"unknown fold {self.fold!r}; valid: {', '.join(FOLDS)}")
        self.adaptive = self.factory == "adaexp"
        if not self.adaptive:
            self.used_scales = list(self.scales)
        if self.adaptive:
            if self.steps < 4:
                raise SpecError("zne factory=adaexp needs steps >= 4")
            return
        if any(s < 1 for s in self.scales) or len(set(self.scales)) != len(self.scales):
            raise SpecError(f"ZNE scale factors {self.scales} must be distinct and >= 1")
        need = {"richardson": 2, "linear": 2, "poly": self.order + 1, "exp": 3,
                "polyexp": self.order + 2}[self.factory]
        if len(self.scales) < need:
            raise SpecError(f"ZNE factory {self.factory} needs at least {need} scale factors")
        if self.fold == "identity" and any(not float(s).is_integer() for s in self.scales):
            raise SpecError("fold=identity needs integer scale factors")
        if self.shot_list is not None and len(self.shot_list) != len(self.scales):
            raise SpecError(f"shot_list has {len(self.shot_list)} entries for "
                            f"{len(self.scales)} scale factors")

    @property
    def label(self) -> str:  # type: ignore[override]
        scales = f"ada{self.steps}" if self.adaptive else "-".join(f"{s:g}" for s in self.scales)
        fac = f"{self.factory}{self.order}" if self.factory in ("poly", "polyexp") else self.factory
        split = ",optimal" if self.split == "optimal" else ""
        return f"zne[{fac},{scales},{self.fold}{split}]"

    def _scale_method(self, rng: np.random.Generator) -> Callable[[cirq.Circuit, float], Any]:
        from mitiq.zne.scaling import fold_gates_at_random, fold_global, insert_id_layers

        if self.fold == "global":
            return fold_global
        if self.fold == "identity":
            return insert_id_layers
        seed = int(rng.integers(2**31))
        return lambda c, s: fold_gates_at_random(c, s, seed=seed)

    def construct(self, logicals: list[cirq.Circuit], rng: np.random.Generator,
                  noise: Noise) -> list[list[cirq.Circuit]]:
        from mitiq.zne import construct_circuits

        method = self._scale_method(rng)
        if self.adaptive:
            if self._ada is None:
                from mitiq.zne.inference import AdaExpFactory

                self._ada = AdaExpFactory(steps=self.steps, scale_factor=2.0)
                self._next_scale = 1.0
            self.used_scales.append(self._next_scale)
            return [[method(c, self._next_scale)] for c in logicals]
        return [construct_circuits(c, list(self.scales), method) for c in logicals]

    def shots_for(self, index: int, shots: int) -> int:
        return self.shot_list[index] if self.shot_list else shots

    def extrapolate(self, totals: Sequence[float]) -> float:
        """Mitiq's static extrapolation of the group-summed values at each scale."""
        from mitiq.zne import inference as inf

        s = list(self.scales)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # fit warnings are reported through the error
            if self.factory == "richardson":
                return float(inf.RichardsonFactory.extrapolate(s, totals))
            if self.factory == "linear":
                return float(inf.LinearFactory.extrapolate(s, totals))
            if self.factory == "poly":
                return float(inf.PolyFactory.extrapolate(s, totals, self.order))
            if self.factory == "exp":
                return float(inf.ExpFactory.extrapolate(s, totals))
            return float(inf.PolyExpFactory.extrapolate(s, totals, self.order))

    def combine(self, values: list[list[float]]) -> float:
        from mitiq.zne.inference import ExtrapolationError

        totals = [float(sum(col)) for col in zip(*values, strict=True)]
        try:
            if not self.adaptive:
                return self.extrapolate(totals)
            self._ada.push({"scale_factor": self._next_scale}, totals[0])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if not self._ada.is_converged():
                    self._next_scale = float(self._ada.next()["scale_factor"])
                    return float("nan")
                return float(self._ada.reduce())
        except (ExtrapolationError, ValueError, np.linalg.LinAlgError) as exc:
            self.error = f"extrapolation failed: {exc}"
            return float("nan")

    def done(self) -> bool:
        return (not self.adaptive or self.error is not None
                or (self._ada is not None and self._ada.is_converged()))


@dataclass
class PEC(CircuitLayer):
    model: str = "global"
    noise_scale: float = 1.0
    samples: int | None = None
    precision: float | None = None
    # filled by construct
    gammas: list[float] = field(default_factory=list)
    signs: list[list[int]] = field(default_factory=list)
    unrepresented: int = 0
    # statistics pass: samples for many estimates drawn in one Mitiq call per group
    pool: list[list[tuple[Any, int]]] | None = None
    pool_gammas: list[float] | None = None
    # statistics pass: representations shared across calls (the timed pass builds its own,
    # as a user's run would)
    cache: dict[Any, Any] | None = None

    def __post_init__(self) -> None:
        if self.model not in ("global", "local"):
            raise SpecError(f"unknown PEC model {self.model!r}; valid: global, local")

    @property
    def label(self) -> str:  # type: ignore[override]
        n = f"{self.samples}" if self.samples else f"p{self.precision:g}"
        scale = "" if self.noise_scale == 1.0 else f",x{self.noise_scale:g}"
        return f"pec[{self.model},{n}{scale}]"

    def representations(self, circuit: cirq.Circuit, noise: Noise) -> list[Any]:
        """One representation per distinct operation, at that operation's own noise rate.

        Mitiq's whole-circuit helpers use one rate for every gate; here 1-qubit gates
        are represented at p1 and 2-qubit gates at p2. Inserted Paulis are tagged
        noiseless so that the simulated noise is exactly what is represented.
        """
        from mitiq.pec import (
            NoisyOperation,
            OperationRepresentation,
            represent_operation_with_global_depolarizing_noise,
            represent_operation_with_local_depolarizing_noise,
        )

        reps = []
        self.unrepresented = 0
        for op in {op.untagged for op in circuit.all_operations()}:
            k = len(op.qubits)
            p = (noise.p1 if k == 1 else noise.p2) * self.noise_scale
            if p == 0:
                continue
            key = (op, p, self.model)
            if self.cache is not None and key in self.cache:
                reps.append(self.cache[key])
                continue
            ideal = cirq.Circuit(op)
            try:
                if self.model == "global" or k == 1:
                    rep = represent_operation_with_global_depolarizing_noise(ideal, p)
                else:
                    rep = represent_operation_with_local_depolarizing_noise(ideal, p)
            except Exception:
                self.unrepresented += 1
                continue
            tagged = []
            for noisy in rep.noisy_operations:
                ops = list(noisy.circuit.all_operations())
                tagged.append(NoisyOperation(cirq.Circuit(
                    [ops[0]] + [o.with_tags(NOISELESS) for o in ops[1:]])))
            reps.append(OperationRepresentation(ideal, tagged, rep.coeffs))
            if self.cache is not None:
                self.cache[key] = reps[-1]
        return reps

    def n_samples(self, gamma: float) -> int:
        if self.samples:
            return self.samples
        return max(1, int((gamma / (self.precision or 0.03)) ** 2))  # Mitiq's own rule

    def draw(self, logicals: list[cirq.Circuit], rng: np.random.Generator, noise: Noise,
             estimates: int = 1, vectorised: bool = False
             ) -> tuple[list[list[tuple[Any, int]]], list[float]]:
        """Sampled (circuit, sign) pairs for `estimates` estimates per group.

        By default through Mitiq's `sample_circuit` (what a user's run executes). The
        statistics pass sets `vectorised`: the same distribution, drawn with numpy from
        Mitiq's own representations (Mitiq's sampler deep-copies every sequence of every
        sample; a test checks the two give the same estimates' distribution).
        """
        from mitiq.pec import sample_circuit

        pools, gammas = [], []
        for c in logicals:
            reps = self.representations(c, noise)
            gamma = float(np.prod([r.norm for r in reps])) if reps else 1.0
            n = self.n_samples(gamma) * estimates
            seed = int(rng.integers(2**31))
            with warnings.catch_warnings():
                # Mitiq warns per unrepresented operation per sample: counted above instead
                warnings.simplefilter("ignore")
                if not reps:
                    circuits, signs = [c] * n, [1] * n
                elif vectorised:
                    circuits, signs, gamma = sample_vectorised(c, reps, n, seed)
                else:
                    circuits, signs, gamma = sample_circuit(
                        c, reps, random_state=np.random.RandomState(seed), num_samples=n)
            pools.append(list(zip(circuits, signs, strict=True)))
            gammas.append(float(gamma))
        return pools, gammas

    def construct(self, logicals: list[cirq.Circuit], rng: np.random.Generator,
                  noise: Noise) -> list[list[cirq.Circuit]]:
        if self.pool is None or self.pool_gammas is None:
            pools, gammas = self.draw(logicals, rng, noise)
        else:
            pools, gammas = self.pool, self.pool_gammas
        out: list[list[cirq.Circuit]] = []
        self.gammas, self.signs = [], []
        for gi, gamma in enumerate(gammas):
            m = self.n_samples(gamma)
            taken, pools[gi] = pools[gi][:m], pools[gi][m:]
            self.gammas.append(gamma)
            self.signs.append([sg for _, sg in taken])
            out.append([c for c, _ in taken])
        return out

    def combine(self, values: list[list[float]]) -> float:
        from mitiq.pec import combine_results

        return float(sum(
            combine_results(v, g, s)
            for v, g, s in zip(values, self.gammas, self.signs, strict=True)
        ))

    @property
    def gamma(self) -> float:
        return float(np.prod(self.gammas)) if self.gammas else 1.0


def sample_vectorised(circuit: cirq.Circuit, reps: list[Any], n: int,
                      seed: int) -> tuple[list[cirq.Circuit], list[int], float]:
    """Mitiq's circuit sampling, vectorised over samples: per operation, basis element i
    with probability |eta_i| / gamma and sign sign(eta_i); sequences appended in order.
    Operations without a representation stay as they are (norm 1), as in Mitiq."""
    rng = np.random.default_rng(seed)
    by_ideal = {next(iter(r.ideal.all_operations())): r for r in reps}
    signs = np.ones(n, dtype=np.int64)
    norm = 1.0
    columns: list[list[list[cirq.Operation]]] = []
    for op in circuit.all_operations():
        rep = by_ideal.get(op.untagged)
        if rep is None:
            columns.append([[op]])
            continue
        coeffs = np.asarray(rep.coeffs, dtype=float)
        idx = rng.choice(len(coeffs), size=n, p=np.abs(coeffs) / np.abs(coeffs).sum())
        signs *= np.sign(coeffs[idx]).astype(np.int64)
        norm *= float(rep.norm)
        seqs = [list(noisy.circuit.all_operations()) for noisy in rep.noisy_operations]
        columns.append([seqs[i] for i in idx])
    circuits = []
    for k in range(n):
        ops: list[cirq.Operation] = []
        for col in columns:
            ops.extend(col[k] if len(col) > 1 or n == 1 else col[0])
        circuits.append(cirq.Circuit(ops))
    return circuits, [int(x) for x in signs], norm


# ---------------------------------------------------------------- readout layers


class RawReadout:
    """Measure the group's qubits and average parities: no correction."""

    label = ""

    def jobs(self, execs: list[tuple[cirq.Circuit, MeasurementGroup, int]], n_qubits: int,
             rng: np.random.Generator) -> list[Job]:
        return [Job(g.measure_in(c), s) for c, g, s in execs]

    def expectations(self, execs: list[tuple[cirq.Circuit, MeasurementGroup, int]],
                     bits: list[np.ndarray]) -> list[float]:
        return [g.expectation(b) for (_, g, _), b in zip(execs, bits, strict=True)]


def _prep_circuit(ones: Sequence[int], n_qubits: int) -> cirq.Circuit:
    qs = cirq.LineQubit.range(n_qubits)
    return cirq.Circuit([cirq.X(qs[i]) for i in ones], cirq.measure(*qs, key="m"))


@dataclass
class REM(RawReadout):
    calibration: str = "tensored"
    _cal_jobs: int = 0
    _seed: int = 0
    _inverses: dict[tuple[int, ...], np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.calibration not in CALIBRATIONS:
            raise SpecError(f"unknown REM calibration {self.calibration!r}; "
                            f"valid: {', '.join(CALIBRATIONS)}")

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"rem[{self.calibration}]"

    def calibration_states(self, n_qubits: int) -> list[list[int]]:
        if self.calibration == "tensored":
            return [[], list(range(n_qubits))]
        if self.calibration == "per_qubit":
            return [[]] + [[q] for q in range(n_qubits)]
        if n_qubits > MAX_FULL_CALIBRATION_QUBITS:
            raise SpecError(f"rem calibration=full runs 2^n circuits: {n_qubits} qubits is over "
                            f"the limit of {MAX_FULL_CALIBRATION_QUBITS}; use tensored")
        return [[q for q in range(n_qubits) if (x >> (n_qubits - 1 - q)) & 1]
                for x in range(2**n_qubits)]

    def jobs(self, execs: list[tuple[cirq.Circuit, MeasurementGroup, int]], n_qubits: int,
             rng: np.random.Generator) -> list[Job]:
        self._seed = int(rng.integers(2**31))
        shots = max(s for _, _, s in execs)
        cal = [Job(_prep_circuit(ones, n_qubits), shots, "calibration")
               for ones in self.calibration_states(n_qubits)]
        self._cal_jobs = len(cal)
        self._n = n_qubits
        return cal + super().jobs(execs, n_qubits, rng)

    def _inverse(self, cal_bits: list[np.ndarray], measured: tuple[int, ...]) -> np.ndarray:
        from mitiq.rem import generate_tensored_inverse_confusion_matrix

        if measured in self._inverses:
            return self._inverses[measured]
        if self.calibration == "full":
            m = len(measured)
            conf = np.zeros((2**m, 2**m))
            states = self.calibration_states(self._n)
            weights = 1 << np.arange(m - 1, -1, -1)
            for ones, b in zip(states, cal_bits, strict=True):
                if any(q not in measured for q in ones):
                    continue  # qubits outside the group stay in |0>
                x = sum(1 << (m - 1 - measured.index(q)) for q in ones)
                ys = b[:, list(measured)].astype(np.int64) @ weights
                conf[:, x] = np.bincount(ys, minlength=2**m) / len(ys)
            inv = np.linalg.pinv(conf)
        else:
            zeros = cal_bits[0]
            mats = []
            for q in measured:
                ones_bits = cal_bits[-1] if self.calibration == "tensored" else cal_bits[1 + q]
                p01 = float(zeros[:, q].mean())
                p10 = float(1.0 - ones_bits[:, q].mean())
                mats.append(np.array([[1 - p01, p10], [p01, 1 - p10]]))
            inv = generate_tensored_inverse_confusion_matrix(len(measured), mats)
        self._inverses[measured] = inv
        return inv

    def expectations(self, execs: list[tuple[cirq.Circuit, MeasurementGroup, int]],
                     bits: list[np.ndarray]) -> list[float]:
        from mitiq import MeasurementResult
        from mitiq.rem import mitigate_measurements

        cal, main = bits[: self._cal_jobs], bits[self._cal_jobs:]
        self._inverses = {}
        out = []
        with seeded_global_numpy(self._seed):
            for (_, g, _), b in zip(execs, main, strict=True):
                inv = self._inverse(cal, g.measured_qubits)
                fixed = mitigate_measurements(
                    MeasurementResult(b.tolist(), g.measured_qubits), inv)
                out.append(g.expectation(np.asarray(fixed.result, dtype=np.uint8)))
        return out


@dataclass
class TensoredREM(REM):
    """Readout correction for Z-type observables under a tensored confusion model.

    For a product f = prod_q z_q the corrected estimator is the shot average of
    g(y) = prod_q (A_q^-T z)(y_q) (THEORY.md), so each shot costs one product over
    the term's qubits: linear in shots and qubits, where Mitiq's REM inverts a dense
    2^n matrix and redraws the shots.
    """

    def __post_init__(self) -> None:
        if self.calibration not in ("tensored", "per_qubit"):
            raise SpecError(f"rem_tensored calibration {self.calibration!r}: valid: "
                            "tensored, per_qubit")

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"rem_tensored[{self.calibration}]"

    def factors(self, cal_bits: list[np.ndarray]) -> np.ndarray:
        """(n, 2) array: the corrected value of Z_q for a read bit 0 or 1, per qubit."""
        zeros = cal_bits[0]
        out = np.empty((self._n, 2))
        for q in range(self._n):
            ones_bits = cal_bits[-1] if self.calibration == "tensored" else cal_bits[1 + q]
            p01, p10 = float(zeros[:, q].mean()), float(1.0 - ones_bits[:, q].mean())
            a = np.array([[1 - p01, p10], [p01, 1 - p10]])
            out[q] = np.linalg.solve(a.T, np.array([1.0, -1.0]))
        return out

    def expectations(self, execs: list[tuple[cirq.Circuit, MeasurementGroup, int]],
                     bits: list[np.ndarray]) -> list[float]:
        cal, main = bits[: self._cal_jobs], bits[self._cal_jobs:]
        g_q = self.factors(cal)
        out = []
        for (_, g, _), b in zip(execs, main, strict=True):
            total = 0.0
            for coeff, cols in g.terms:
                prod = np.ones(len(b))
                for c in cols:
                    prod *= g_q[g.measured_qubits[c]][b[:, c]]
                total += coeff * float(prod.mean())
            out.append(total)
        return out


@dataclass
class TREX(RawReadout):
    randomizations: int = 32
    _plans: list[Any] = field(default_factory=list)

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"trex[{self.randomizations}]"

    @staticmethod
    def z_observable(g: MeasurementGroup) -> Any:
        """The group's terms as Z strings (its basis change is already in the circuit)."""
        from mitiq import Observable, PauliString

        return Observable(*(
            PauliString("Z" * len(cols), coeff=c, support=tuple(g.measured_qubits[i] for i in cols))
            for c, cols in g.terms if cols))

    def jobs(self, execs: list[tuple[cirq.Circuit, MeasurementGroup, int]], n_qubits: int,
             rng: np.random.Generator) -> list[Job]:
        from mitiq.experimental.trex import construct_circuits

        from .backends import measured_qubits

        jobs: list[Job] = []
        self._plans = []
        for c, g, s in execs:
            obs = self.z_observable(g)
            state = np.random.RandomState(int(rng.integers(2**31)))
            twirled, cal, strings = construct_circuits(c, obs, self.randomizations, state)
            new = [Job(t, s) for t in twirled] + [Job(t, s, "calibration") for t in cal]
            self._plans.append((obs, len(twirled), strings,
                                [tuple(measured_qubits(j.circuit)) for j in new]))
            jobs += new
        return jobs

    def expectations(self, execs: list[tuple[cirq.Circuit, MeasurementGroup, int]],
                     bits: list[np.ndarray]) -> list[float]:
        from mitiq import MeasurementResult
        from mitiq.experimental.trex import combine_results

        out, start = [], 0
        for (obs, n_tw, strings, measured), (_, g, _) in zip(self._plans, execs, strict=True):
            results = [MeasurementResult(b.tolist(), m)
                       for b, m in zip(bits[start: start + len(measured)], measured, strict=True)]
            start += len(measured)
            value = combine_results(results[:n_tw], results[n_tw:], strings, obs)
            out.append(float(np.real(value)) + sum(c for c, cols in g.terms if not cols))
        return out


# ---------------------------------------------------------------- composition


@dataclass
class Strategy:
    """A circuit layer composed with a readout layer, with a unique label."""

    spec: StrategySpec
    circuit_layer: CircuitLayer
    readout: RawReadout

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        parts = [p for p in (self.readout.label, self.circuit_layer.label) if p]
        if isinstance(self.circuit_layer, ZNE | PEC) or self.readout.label:
            parts = [p for p in parts if p != "unmitigated"]
        return "+".join(parts) or "unmitigated"


def build_strategy(spec: StrategySpec) -> Strategy:
    """A fresh Strategy (layers hold per-estimate state: build one per estimate)."""
    o = spec.opt
    layer: CircuitLayer = CircuitLayer()
    readout: RawReadout = RawReadout()
    for part in spec.parts:
        if part == "zne":
            layer = ZNE(
                factory=(o("factory") or "richardson").lower(),
                scales=tuple(_floats(o("scale") or "1-2-3", "ZNE scale")),
                fold=(o("fold") or "global").lower(),
                order=_int(o("order"), "order", 2),
                shot_list=_shot_list(o("shot_list")),
                steps=_int(o("steps"), "steps", 5),
                split=(o("split") or "equal").lower(),
            )
        elif part == "pec":
            samples = o("samples")
            precision = o("precision")
            layer = PEC(
                model=(o("model") or "global").lower(),
                noise_scale=_float(o("noise_scale"), "noise_scale", 1.0, 0.0, 100.0),
                samples=_int(samples, "samples", DEFAULT_PEC_SAMPLES) if samples or not precision
                else None,
                precision=_float(precision, "precision", 0.03, 0.0, 1.0) if precision else None,
            )
        elif part == "rem":
            readout = REM(calibration=(o("calibration") or "tensored").lower())
        elif part == "rem_tensored":
            readout = TensoredREM(calibration=(o("calibration") or "tensored").lower())
        elif part == "trex":
            readout = TREX(randomizations=_int(o("randomizations"), "randomizations", 32))
    return Strategy(spec, layer, readout)


def parse_strategies(items: Sequence[str | StrategySpec]) -> list[StrategySpec]:
    specs = [s if isinstance(s, StrategySpec) else StrategySpec.parse(s) for s in items]
    labels = [build_strategy(s).label for s in specs]
    dup = {x for x in labels if labels.count(x) > 1}
    if dup:
        raise SpecError(f"strategies repeat the same configuration: {', '.join(sorted(dup))}")
    return specs


# ---------------------------------------------------------------- one estimate


class Estimate:
    """One mitigated estimate in progress: rounds of construct -> execute -> combine."""

    def __init__(self, spec: StrategySpec, groups: Sequence[MeasurementGroup],
                 circuit: cirq.Circuit, n_qubits: int, noise: Noise, shots: int,
                 rng: np.random.Generator) -> None:
        self.strategy = build_strategy(spec)
        self.groups = list(groups)
        self.logicals = [g.rotate(circuit) for g in self.groups]
        self.n_qubits, self.noise, self.shots, self.rng = n_qubits, noise, shots, rng
        self.values: float = float("nan")
        self._execs: list[tuple[cirq.Circuit, MeasurementGroup, int]] = []
        self._shape: list[int] = []
        self.jobs: list[Job] = []
        self.history: list[Job] = []  # every job of every round, for counting

    def construct(self) -> list[Job]:
        layer = self.strategy.circuit_layer
        per_group = layer.construct(self.logicals, self.rng, self.noise)
        self._shape = [len(x) for x in per_group]
        self._execs = []
        for g, circuits in zip(self.groups, per_group, strict=True):
            for i, c in enumerate(circuits):
                # the executable already contains the basis change: measure only
                self._execs.append((c, _measure_only(g), layer.shots_for(i, self.shots)))
        self.jobs = self.strategy.readout.jobs(self._execs, self.n_qubits, self.rng)
        self.history.extend(self.jobs)
        return self.jobs

    def combine(self, bits: list[np.ndarray]) -> bool:
        """Consume one round's results; True when the estimate is final."""
        flat = self.strategy.readout.expectations(self._execs, bits)
        values, i = [], 0
        for n in self._shape:
            values.append(flat[i: i + n])
            i += n
        self.value = self.strategy.circuit_layer.combine(values)
        layer = self.strategy.circuit_layer
        return layer.done() if isinstance(layer, ZNE) else True


def _measure_only(g: MeasurementGroup) -> MeasurementGroup:
    """The same group with its basis already applied (rotations live in the circuit)."""
    return MeasurementGroup(g.measured_qubits, "Z" * len(g.measured_qubits), g.terms)
