"""Probabilistic error cancellation through Mitiq, with the noise model's own inverse.

Each operation gets Mitiq's depolarizing representation at the rate the noise
model puts after it (`NoiseModel.gate_depolarizing`); the Paulis PEC inserts are
tagged noiseless, so the simulated noise is exactly what is represented.

Theory (THEORY.md, generalised to non-+-1 observables): per total shot,
sigma^2(s) = gamma^2 E_q[v_j] + s (gamma^2 E_q[E_j^2] - mu^2), with s shots per
sampled circuit and v_j, E_j the exact variance and value of sampled circuit j.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import theory
from ..noise.base import NOISELESS
from .base import (
    CircuitRun,
    CircuitTechnique,
    NotDerived,
    Prediction,
    PredictionContext,
    choice,
    integer,
    number,
)

if TYPE_CHECKING:
    import cirq

    from ..noise import NoiseModel
    from .compose import Estimate

DEFAULT_SAMPLES = 100
# representations per (operation, rate, model), shared by statistics passes in a process
# (the timed pass builds its own, as a user's run would)
_SHARED_REPRESENTATIONS: dict[object, object] = {}


@dataclass(frozen=True)
class PEC(CircuitTechnique):
    model: str = "global"
    noise_scale: float = 1.0
    samples: int | None = DEFAULT_SAMPLES
    precision: float | None = None

    name = "pec"
    help = "probabilistic error cancellation"
    options = {
        "model": "global|local (Mitiq's depolarizing representation of 2-qubit gates)",
        "noise_scale": "represent noise F times the simulated rate (F=1: the exact inverse)",
        "samples": f"sampled circuits per estimate (default {DEFAULT_SAMPLES})",
        "precision": "Mitiq's rule instead: (gamma / F)^2 samples",
    }
    corrects = frozenset({"gate"})  # unbiased when the representation inverts the noise
    needs_noise_model = True

    examples = ("model=local,samples=20", "precision=0.5")

    @classmethod
    def from_options(cls, opts: Mapping[str, str]) -> PEC:
        samples, precision = opts.get("samples"), opts.get("precision")
        return cls(
            model=choice(opts.get("model"), "PEC model", "global", ("global", "local")),
            noise_scale=number(opts.get("noise_scale"), "noise_scale", 1.0, 0.0, 100.0),
            samples=(integer(samples, "samples", DEFAULT_SAMPLES) if samples or not precision
                     else None),
            precision=number(precision, "precision", 0.03, 0.0, 1.0) if precision else None,
        )

    @property
    def label(self) -> str:
        n = f"{self.samples}" if self.samples else f"p{self.precision:g}"
        scale = "" if self.noise_scale == 1.0 else f",x{self.noise_scale:g}"
        return f"pec[{self.model},{n}{scale}]"

    def start(self) -> PECRun:
        return PECRun(self)

    def cost_estimate(self, logicals: list[cirq.Circuit], noise: NoiseModel) -> float | None:
        """gamma^2 summed over groups: the equal-precision multiplier's leading factor
        (THEORY: (gamma^2 - mu^2) / (1 - <O>_noisy^2) at one shot per sample), from the
        representations' norms (one representation per distinct operation)."""
        total = 0.0
        for c in logicals:
            reps, _ = self.representations(c, noise, _SHARED_REPRESENTATIONS)
            norms = {next(iter(r.ideal.all_operations())): float(r.norm) for r in reps}
            log_g = sum(np.log(norms.get(op.untagged, 1.0)) for op in c.all_operations())
            total += float(np.exp(2 * log_g)) if 2 * log_g < 700 else float("inf")
        return total

    def n_samples(self, gamma: float) -> int:
        if self.samples:
            return self.samples
        return max(1, int((gamma / (self.precision or 0.03)) ** 2))  # Mitiq's own rule

    def representations(self, circuit: cirq.Circuit, noise: NoiseModel,
                        cache: dict[Any, Any] | None = None) -> tuple[list[Any], int]:
        """One representation per distinct operation (in circuit order), at that
        operation's own noise rate; and the count of operations Mitiq cannot represent."""
        import cirq
        from mitiq.pec import (
            NoisyOperation,
            OperationRepresentation,
            represent_operation_with_global_depolarizing_noise,
            represent_operation_with_local_depolarizing_noise,
        )

        reps, unrepresented = [], 0
        for op in dict.fromkeys(op.untagged for op in circuit.all_operations()):
            k = len(op.qubits)
            p = noise.gate_depolarizing(op) * self.noise_scale
            if p == 0:
                continue
            key = (op, p, self.model)
            if cache is not None and key in cache:
                reps.append(cache[key])
                continue
            ideal = cirq.Circuit(op)
            try:
                if self.model == "global" or k == 1:
                    rep = represent_operation_with_global_depolarizing_noise(ideal, p)
                else:
                    rep = represent_operation_with_local_depolarizing_noise(ideal, p)
            except Exception:
                unrepresented += 1
                continue
            tagged = []
            for noisy in rep.noisy_operations:
                ops = list(noisy.circuit.all_operations())
                tagged.append(NoisyOperation(cirq.Circuit(
                    [ops[0]] + [o.with_tags(NOISELESS) for o in ops[1:]])))
            reps.append(OperationRepresentation(ideal, tagged, rep.coeffs))
            if cache is not None:
                cache[key] = reps[-1]
        return reps, unrepresented

    def draw(self, logicals: list[cirq.Circuit], rng: np.random.Generator, noise: NoiseModel,
             estimates: int = 1, vectorised: bool = False, cache: dict[Any, Any] | None = None
             ) -> tuple[list[list[tuple[Any, int]]], list[float], int]:
        """Sampled (circuit, sign) pairs for `estimates` estimates per group, the gammas,
        and the count of unrepresented operations.

        By default through Mitiq's `sample_circuit` (what a user's run executes). The
        statistics pass sets `vectorised`: the same distribution, drawn with numpy from
        Mitiq's own representations (Mitiq's sampler deep-copies every sequence of every
        sample; a test checks the two give the same estimates' distribution).
        """
        from mitiq.pec import sample_circuit

        pools, gammas, unrepresented = [], [], 0
        for c in logicals:
            reps, unrepresented = self.representations(c, noise, cache)
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
        return pools, gammas, unrepresented

    def trial_pool(self, logicals: list[cirq.Circuit], noise: NoiseModel, trials: int,
                   seed: int, vectorised: bool) -> Any:
        """Every trial's samples in one draw per group (consumed trial by trial)."""
        pools, gammas, _ = self.draw(logicals, np.random.default_rng(seed), noise, trials,
                                     vectorised=vectorised, cache=_SHARED_REPRESENTATIONS)
        return pools, gammas

    def predict(self, est: Estimate, ctx: PredictionContext) -> Prediction:
        """E_q averages estimated over every sampled circuit of every trial (exact E_j, v_j)."""
        if not est.strategy.readout.identity:
            raise NotDerived("readout correction inside PEC: its calibration noise couples "
                             "every sampled circuit; not derived")
        run = est.circuit
        assert isinstance(run, PECRun)
        pool = [t for t in ctx.trials if isinstance(t.circuit, PECRun)] or [est]
        var_total, var_se2, shots_total, gammas, parts = 0.0, 0.0, 0, [], []
        for gi in range(len(est.shape)):
            e_vals, v_vals, x_vals = [], [], []
            for t in pool:
                tr = t.circuit
                assert isinstance(tr, PECRun)
                for (c, g, _), sign in zip(t.by_group(t.execs)[gi], tr.signs[gi], strict=True):
                    p = ctx.probs(g.measure_in(c))
                    ej = g.expectation_from_probabilities(p)
                    e_vals.append(ej)
                    v_vals.append(g.variance_from_probabilities(p))
                    x_vals.append(tr.gammas[gi] * sign * ej)
            gamma = run.gammas[gi]
            gammas.append(gamma)
            s = est.execs[0][2]
            m = est.shape[gi]
            mu = float(np.mean(x_vals))
            sigma2 = gamma**2 * float(np.mean(v_vals)) + s * (gamma**2 * float(np.mean(
                np.square(e_vals))) - mu**2)
            var_total += sigma2 / (m * s)
            var_se2 += _sigma2_variance(gamma, s, mu, v_vals, e_vals, x_vals) / (m * s) ** 2
            shots_total += m * s
            parts.append({"gamma": gamma, "mean_v": float(np.mean(v_vals)),
                          "mean_e2": float(np.mean(np.square(e_vals))), "mu": mu})
        mult = shots_total * var_total / ctx.sigma0_2
        floor = None
        exact_model = self.model == "global" and self.noise_scale == 1.0
        noise = ctx.noise
        # the floor is THEORY's for gate-only depolarizing noise (not a device's relaxation)
        from ..noise import Noise

        if ctx.workload.n_qubits == 1 and exact_model and noise.readout == (0.0, 0.0) \
                and isinstance(noise, Noise):
            ops = list(est.logicals[0].all_operations())
            floor = theory.unbiased_floor(noise.gate_depolarizing(ops[0]), len(ops))
        n_drawn = sum(len(t.execs) for t in pool)
        rel_se = float(np.sqrt(var_se2) / var_total) if var_total > 0 else None
        return Prediction(float(mult),
                          f"E_q averages estimated over the {n_drawn} sampled circuits of "
                          "every trial (a finite-draw estimate of the quasi-probability "
                          f"averages): relative standard error {100 * (rel_se or 0):.1f}%",
                          bound="approximate", floor=floor, relative_se=rel_se,
                          extra={"gamma": float(np.prod(gammas)),
                                 "gamma_squared": float(np.prod(gammas)) ** 2, "groups": parts})

    def hardware_extras(self, est: Estimate, row: Mapping[str, Any], base: Mapping[str, Any],
                        hw: Any, target_error: float | None) -> dict[str, Any]:
        """PEC's samples-vs-shots trade-off: fewest shots per sample is most efficient per
        shot, but every distinct circuit has a fixed cost on hardware."""
        from ..hardware import circuit_and_shot_seconds, pec_best_shots_per_sample

        parts = (row.get("theory_details") or {}).get("groups")
        if not parts:
            return {}
        target = target_error or float(np.sqrt(base["sigma2_per_shot"] / base["total_shots"]))
        main = [j.circuit for j in est.history if j.role == "main"]
        t_circuit, t_shot = circuit_and_shot_seconds(main, hw, est.n_qubits)
        sig = [pec_sigma2(parts, s) for s in range(1, 10001)]
        s_best, t_best = pec_best_shots_per_sample(sig, target, t_circuit, t_shot, hw.t_job)
        return {"pec_shots_per_sample_optimal": {
            "shots_per_sample": s_best, "target_error": target, "projected_qpu_seconds": t_best,
            "samples": int(np.ceil(max(1.0, sig[s_best - 1] / (s_best * target**2)))),
        }}


class PECRun(CircuitRun):
    def __init__(self, pec: PEC) -> None:
        self.pec = pec
        self.gammas: list[float] = []
        self.signs: list[list[int]] = []
        self.unrepresented = 0
        self._pool: tuple[list[list[tuple[Any, int]]], list[float]] | None = None

    def use_pool(self, pool: Any) -> None:
        self._pool = pool

    def construct(self, logicals: list[cirq.Circuit], rng: np.random.Generator,
                  noise: NoiseModel) -> list[list[cirq.Circuit]]:
        if self._pool is None:
            pools, gammas, self.unrepresented = self.pec.draw(logicals, rng, noise)
        else:
            pools, gammas = self._pool
        out: list[list[cirq.Circuit]] = []
        self.gammas, self.signs = [], []
        for gi, gamma in enumerate(gammas):
            m = self.pec.n_samples(gamma)
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

    def details(self, shots: int) -> dict[str, Any]:
        return {"gamma": self.gamma, "samples": self.pec.n_samples(self.gamma),
                "unrepresented_operations": self.unrepresented, "model": self.pec.model}


def pec_sigma2(parts: Sequence[Mapping[str, float]], s: int) -> float:
    """Per-total-shot variance of PEC with s shots per sampled circuit, every group
    getting the same samples and shots: N Var = G sum_g sigma_g^2(s)."""
    return float(len(parts) * sum(
        p["gamma"] ** 2 * p["mean_v"] + s * (p["gamma"] ** 2 * p["mean_e2"] - p["mu"] ** 2)
        for p in parts))


def sample_vectorised(circuit: cirq.Circuit, reps: list[Any], n: int,
                      seed: int) -> tuple[list[cirq.Circuit], list[int], float]:
    """Mitiq's circuit sampling, vectorised over samples: per operation, basis element i
    with probability |eta_i| / gamma and sign sign(eta_i); sequences appended in order.
    Operations without a representation stay as they are (norm 1), as in Mitiq."""
    import cirq

    rng = np.random.default_rng(seed)
    by_ideal = {next(iter(r.ideal.all_operations())): r for r in reps}
    signs = np.ones(n, dtype=np.int64)
    norm = 1.0
    columns: list[list[list[cirq.Operation]]] = []
    choices: list[np.ndarray] = []
    for op in circuit.all_operations():
        rep = by_ideal.get(op.untagged)
        if rep is None:
            columns.append([[op]])
            continue
        coeffs = np.asarray(rep.coeffs, dtype=float)
        idx = rng.choice(len(coeffs), size=n, p=np.abs(coeffs) / np.abs(coeffs).sum())
        choices.append(idx)
        signs *= np.sign(coeffs[idx]).astype(np.int64)
        norm *= float(rep.norm)
        seqs = [list(noisy.circuit.all_operations()) for noisy in rep.noisy_operations]
        columns.append([seqs[i] for i in idx])
    # samples with the same choices are one circuit object (built once: building is the
    # cost here, and at low noise most samples repeat)
    rows = np.stack(choices, axis=1) if choices else np.zeros((n, 0), dtype=np.int64)
    built: dict[bytes, cirq.Circuit] = {}
    circuits = []
    for k in range(n):
        key = rows[k].tobytes()
        if key not in built:
            ops: list[cirq.Operation] = []
            for col in columns:
                ops.extend(col[k] if len(col) > 1 or n == 1 else col[0])
            built[key] = cirq.Circuit(ops)
        circuits.append(built[key])
    return circuits, [int(x) for x in signs], norm


def _sigma2_variance(gamma: float, s: int, mu: float, v: list[float], e: list[float],
                     x: list[float]) -> float:
    """Sampling variance of sigma^2 = gamma^2 mean(v) + s (gamma^2 mean(e^2) - mean(x)^2)
    estimated from n iid draws: the delta method over the three means, with their sample
    covariance (the gradient is (gamma^2, s gamma^2, -2 s mu))."""
    n = len(v)
    if n < 2:
        return 0.0
    cov = np.atleast_2d(np.cov(np.vstack([v, np.square(e), x])))
    grad = np.array([gamma**2, s * gamma**2, -2 * s * mu])
    return float(grad @ cov @ grad) / n
