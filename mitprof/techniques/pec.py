"""Probabilistic error cancellation through Mitiq, with the noise model's own inverse.

Representations (`model`), built per distinct operation:
- global / local (alias `depolarizing`): Mitiq's depolarizing representation at the
  rate the noise model puts after the operation (`NoiseModel.gate_depolarizing`). On a
  device that is the common mis-specification (a depolarizing model with the
  calibrated error): its bias is a result.
- device: the noise model's own channel after the operation (`gate_channel`, or the
  depolarizing channel), Pauli-twirled and inverted exactly as a quasi-probability over
  Paulis (`noise.pauli`). Exact where that channel is Pauli (or made so by `pt`);
  residual bias where it is not, and idle windows are not represented.
The Paulis PEC inserts are tagged noiseless, so the simulated noise is exactly what is
represented. `noise_scale` F represents F times the noise (rates, or Pauli-Lindblad
rates for `device`); `max_overhead` G2 lowers F until every circuit's gamma^2 <= G2
(partial cancellation, in the manner of IBM's runtime PEC): cheaper, and biased.

Theory (THEORY.md, generalised to non-+-1 observables): per total shot,
sigma^2(s) = gamma^2 E_q[v_j] + s (gamma^2 E_q[E_j^2] - mu^2), with s shots per
sampled circuit and v_j, E_j the exact variance and value of sampled circuit j.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import theory
from ..errors import SpecError
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
SHARED_REPRESENTATIONS = 512  # entries kept (~45 kB each: a 2-qubit one holds 16 channels)


class _Recent(OrderedDict[Any, Any]):
    """A dict that keeps its `maxsize` most recently used entries."""

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self.maxsize = maxsize

    def __getitem__(self, key: Any) -> Any:
        value = super().__getitem__(key)
        self.move_to_end(key)
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.maxsize:
            self.popitem(last=False)


# representations per (operation, rate, model), shared by statistics passes in a process
# (the timed pass builds its own, as a user's run would). Bounded: a sweep over many noise
# levels adds new keys at every level, and unbounded this grew a worker by ~0.2 MB a point
# (365 MB after 500 points, 1.36 GB after 10,000)
_SHARED_REPRESENTATIONS: _Recent = _Recent(SHARED_REPRESENTATIONS)


@dataclass(frozen=True)
class PEC(CircuitTechnique):
    model: str = "global"
    noise_scale: float = 1.0
    samples: int | None = DEFAULT_SAMPLES
    precision: float | None = None
    max_overhead: float | None = None
    learn: str = "depolarizing"  # model=learned: Mitiq's depolarizing or biased learning

    name = "pec"
    help = "probabilistic error cancellation"
    options = {
        "model": "global|local|depolarizing (= global; Mitiq's depolarizing representation "
                 "at each gate's error rate)|device (the noise model's Pauli-twirled channel "
                 "per gate, inverted exactly)|learned (Mitiq's learned local depolarizing "
                 "rate of the 2-qubit gates; learning counted as calibration)",
        "noise_scale": "represent noise F times the simulated rate (F=1: the exact inverse)",
        "samples": f"sampled circuits per estimate (default {DEFAULT_SAMPLES})",
        "precision": "Mitiq's rule instead: (gamma / F)^2 samples",
        "max_overhead": "largest gamma^2 per circuit: beyond it only part of the noise is "
                        "cancelled (noise_scale lowered; biased)",
        "learn": "depolarizing|biased: Mitiq's learning function for model=learned",
    }
    corrects = frozenset({"gate"})  # unbiased when the representation inverts the noise
    needs_noise_model = True

    examples = ("model=local,samples=20", "precision=0.5", "model=device,samples=20",
                "max_overhead=1.2,samples=20")

    @classmethod
    def from_options(cls, opts: Mapping[str, str]) -> PEC:
        samples, precision = opts.get("samples"), opts.get("precision")
        model = choice(opts.get("model"), "PEC model", "global",
                       ("global", "local", "depolarizing", "device", "learned"))
        overhead = opts.get("max_overhead")
        return cls(
            model="global" if model == "depolarizing" else model,
            noise_scale=number(opts.get("noise_scale"), "noise_scale", 1.0, 0.0, 100.0),
            samples=(integer(samples, "samples", DEFAULT_SAMPLES) if samples or not precision
                     else None),
            precision=number(precision, "precision", 0.03, 0.0, 1.0) if precision else None,
            max_overhead=(number(overhead, "max_overhead", 2.0, 1.0, 1e300) if overhead
                          else None),
            learn=choice(opts.get("learn"), "PEC learning", "depolarizing",
                         ("depolarizing", "biased")),
        )

    def __post_init__(self) -> None:
        if self.learn != "depolarizing" and self.model != "learned":
            raise SpecError("pec option learn applies to model=learned only")

    @property
    def label(self) -> str:
        n = f"{self.samples}" if self.samples else f"p{self.precision:g}"
        scale = "" if self.noise_scale == 1.0 else f",x{self.noise_scale:g}"
        cap = "" if self.max_overhead is None else f",max{self.max_overhead:g}"
        model = "learned-biased" if self.learn == "biased" else self.model
        return f"pec[{model},{n}{scale}{cap}]"

    def start(self) -> PECRun:
        return PECRun(self)

    def cost_estimate(self, logicals: list[cirq.Circuit], noise: NoiseModel) -> float | None:
        """gamma^2 summed over groups: the equal-precision multiplier's leading factor
        (THEORY: (gamma^2 - mu^2) / (1 - <O>_noisy^2) at one shot per sample), from the
        representations' norms (one representation per distinct operation)."""
        total = 0.0
        scale = self.noise_scale * self.cancelled_fraction(logicals, noise)
        for c in logicals:
            reps, _ = self.representations(c, noise, _SHARED_REPRESENTATIONS, scale)
            norms = {next(iter(r.ideal.all_operations())): float(r.norm) for r in reps}
            log_g = sum(np.log(norms.get(op.untagged, 1.0)) for op in c.all_operations())
            total += float(np.exp(2 * log_g)) if 2 * log_g < 700 else float("inf")
        return total

    def n_samples(self, gamma: float) -> int:
        if self.samples:
            return self.samples
        return max(1, int((gamma / (self.precision or 0.03)) ** 2))  # Mitiq's own rule

    def represent(self, op: cirq.Operation, noise: NoiseModel, scale: float,
                  cache: dict[Any, Any] | None = None, learned: Any = None) -> Any:
        """The representation of `op` at `scale` times its noise (None: no noise to
        cancel); raises ValueError where Mitiq (or the inverse) cannot represent it.
        model=learned: the `learned` model's rate on 2-qubit gates, nothing on others."""
        import cirq

        kraus, p = None, 0.0
        if self.model == "device":
            kraus = gate_kraus(op, noise)
            if kraus is None:
                return None
            from ..noise.channels import KrausNoise

            key: tuple[Any, ...] = (op, "device", scale, KrausNoise(kraus).key)
        else:
            if self.model == "learned":
                p = learned.epsilon * scale if learned and len(op.qubits) == 2 else 0.0
            else:
                p = noise.gate_depolarizing(op) * scale
            if p == 0:
                return None
            key = (op, p, self.model, learned and learned.eta)
        if cache is not None and key in cache:
            return cache[key]
        rep = (self._pauli_inverse(op, kraus, scale) if kraus is not None
               else self._depolarizing(cirq.Circuit(op), p, len(op.qubits),
                                       learned.eta if learned else None))
        if cache is not None:
            cache[key] = rep
        return rep

    @staticmethod
    def _pauli_inverse(op: cirq.Operation, kraus: list[np.ndarray], scale: float) -> Any:
        """The exact inverse of the Pauli twirl of `kraus` (its rates times `scale`) as a
        quasi-probability over `op` followed by a noiseless Pauli."""
        import cirq
        from mitiq.pec import NoisyOperation, OperationRepresentation

        from ..noise import pauli

        coeffs = pauli.inverse_quasi_probabilities(pauli.twirl_probabilities(kraus), scale)
        keep = [i for i, c in enumerate(coeffs) if abs(c) > 1e-15]
        basis = []
        for i in keep:
            # pauli.digits order: I, X, Y, Z
            gates = [(None, cirq.X, cirq.Y, cirq.Z)[d] for d in pauli.digits(i, len(op.qubits))]
            basis.append(NoisyOperation(cirq.Circuit([op] + [
                g.on(q).with_tags(NOISELESS) for g, q in zip(gates, op.qubits, strict=True)
                if g is not None])))
        return OperationRepresentation(cirq.Circuit(op), basis, [float(coeffs[i]) for i in keep])

    def _depolarizing(self, ideal: cirq.Circuit, p: float, k: int, eta: float | None) -> Any:
        """Mitiq's depolarizing representation (local biased-noise one where a learned
        bias `eta` is given), its inserted Paulis tagged noiseless."""
        import cirq
        from mitiq.pec import (
            NoisyOperation,
            OperationRepresentation,
            represent_operation_with_global_depolarizing_noise,
            represent_operation_with_local_depolarizing_noise,
        )
        from mitiq.pec.representations.biased_noise import (
            represent_operation_with_local_biased_noise,
        )

        try:
            if eta is not None:
                rep = represent_operation_with_local_biased_noise(ideal, p, eta)
            elif self.model == "global" or k == 1:
                rep = represent_operation_with_global_depolarizing_noise(ideal, p)
            else:
                rep = represent_operation_with_local_depolarizing_noise(ideal, p)
        except Exception as exc:
            raise ValueError(str(exc)) from None
        tagged = []
        for noisy in rep.noisy_operations:
            ops = list(noisy.circuit.all_operations())
            tagged.append(NoisyOperation(cirq.Circuit(
                [ops[0]] + [o.with_tags(NOISELESS) for o in ops[1:]])))
        return OperationRepresentation(ideal, tagged, rep.coeffs)

    def representations(self, circuit: cirq.Circuit, noise: NoiseModel,
                        cache: dict[Any, Any] | None = None, scale: float | None = None
                        ) -> tuple[list[Any], int]:
        """One representation per distinct operation (in circuit order), at that
        operation's own noise rate; and the count of operations it cannot represent."""
        reps, unrepresented = [], 0
        rate = None
        if self.model == "learned":
            from .pec_learning import learned

            rate = learned(circuit, noise, self.learn)
        for op in dict.fromkeys(op.untagged for op in circuit.all_operations()):
            try:
                rep = self.represent(op, noise, self.noise_scale if scale is None else scale,
                                     cache, rate)
            except ValueError:
                unrepresented += 1
                continue
            if rep is not None:
                reps.append(rep)
        return reps, unrepresented

    def gamma_report(self, circuit: cirq.Circuit, noise: NoiseModel, scale: float
                     ) -> dict[str, Any]:
        """gamma per layer (moment) and per circuit of the first measured circuit, and for
        model=device the sparse Pauli-Lindblad closed form gamma^2 = exp(4 sum lambda)."""
        reps, _ = self.representations(circuit, noise, _SHARED_REPRESENTATIONS, scale)
        norms = {next(iter(r.ideal.all_operations())): float(r.norm) for r in reps}
        layers = [float(np.prod([norms.get(op.untagged, 1.0) for op in m])) for m in circuit]
        gamma = float(np.prod(layers))
        out: dict[str, Any] = {"gamma_per_layer": layers, "gamma_circuit": gamma,
                               "gamma_squared_circuit": gamma**2}
        if self.model != "device":
            return out
        from ..noise import pauli

        total, reason = 0.0, None
        for op in circuit.all_operations():
            kraus = gate_kraus(op.untagged, noise)
            if kraus is None:
                continue
            lam = pauli.lindblad_rates(pauli.twirl_probabilities(kraus))
            if lam is None or lam.min() < -1e-12:
                reason = f"{op.untagged}: its twirled channel is not Pauli-Lindblad (a rate < 0)"
                break
            total += scale * float(lam.sum())
        out["gamma_squared_lindblad"] = None if reason else float(np.exp(4 * total))
        out["gamma_squared_lindblad_reason"] = reason or (
            "exp(4 sum lambda) over every represented gate: PEC in product form, an upper "
            "bound on the exact inverse's gamma^2")
        return out

    def cancelled_fraction(self, logicals: list[cirq.Circuit], noise: NoiseModel) -> float:
        """The largest fraction g <= 1 of noise_scale whose representations keep every
        circuit's gamma^2 within max_overhead (1 without a cap): gamma grows with g."""
        if self.max_overhead is None:
            return 1.0

        def log_gamma2(g: float) -> float:
            worst = 0.0
            for c in logicals:
                reps, _ = self.representations(c, noise, None, self.noise_scale * g)
                norms = {next(iter(r.ideal.all_operations())): float(r.norm) for r in reps}
                worst = max(worst, 2 * sum(np.log(norms.get(op.untagged, 1.0))
                                           for op in c.all_operations()))
            return worst

        target = float(np.log(self.max_overhead))
        if log_gamma2(1.0) <= target:
            return 1.0
        low, high = 0.0, 1.0
        for _ in range(30):  # bisection to ~1e-9
            mid = (low + high) / 2
            low, high = (mid, high) if log_gamma2(mid) <= target else (low, mid)
        return low

    def draw(self, logicals: list[cirq.Circuit], rng: np.random.Generator, noise: NoiseModel,
             estimates: int = 1, vectorised: bool = False, cache: dict[Any, Any] | None = None,
             scale: float | None = None) -> tuple[list[list[tuple[Any, int]]], list[float], int]:
        """Sampled (circuit, sign) pairs for `estimates` estimates per group, the gammas,
        and the count of unrepresented operations; representations at `scale` times the
        noise (default noise_scale).

        By default through Mitiq's `sample_circuit` (what a user's run executes). The
        statistics pass sets `vectorised`: the same distribution, drawn with numpy from
        Mitiq's own representations (Mitiq's sampler deep-copies every sequence of every
        sample; a test checks the two give the same estimates' distribution).
        """
        from mitiq.pec import sample_circuit

        pools, gammas, unrepresented = [], [], 0
        for c in logicals:
            reps, unrepresented = self.representations(c, noise, cache, scale)
            gamma = float(np.prod([r.norm for r in reps])) if reps else 1.0
            n = self.n_samples(gamma) * estimates
            seed = int(rng.integers(2**31))
            circuits: Sequence[cirq.AbstractCircuit]  # frozen when vectorised
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
        fraction = self.cancelled_fraction(logicals, noise)
        pools, gammas, _ = self.draw(logicals, np.random.default_rng(seed), noise, trials,
                                     vectorised=vectorised, cache=_SHARED_REPRESENTATIONS,
                                     scale=self.noise_scale * fraction)
        return pools, gammas, fraction

    def predict(self, est: Estimate, ctx: PredictionContext) -> Prediction:
        """E_q averages estimated over every sampled circuit of every trial (exact E_j, v_j).
        Behind a transform (pt+pec) each sample runs as k variants of s shots averaged:
        then e_j is the variants' mean exact value and v_j their mean variance over k (the
        same formula, with k s shots per sample)."""
        from .stack import unwrap

        if not est.strategy.readout.identity:
            raise NotDerived("readout correction inside PEC: its calibration noise couples "
                             "every sampled circuit; not derived")
        run, k = unwrap(est.circuit)
        assert isinstance(run, PECRun)
        pool = [t for t in ctx.trials if isinstance(unwrap(t.circuit)[0], PECRun)] or [est]
        var_total, var_se2, shots_total, gammas, parts = 0.0, 0.0, 0, [], []
        for gi in range(len(est.shape)):
            e_vals, v_vals, x_vals = [], [], []
            # (E_j, v_j) per distinct circuit object: trials share the pool's circuits, and
            # every one of them stays alive (in `pool`) while its id is a key here
            ev: dict[int, tuple[float, float]] = {}
            for t in pool:
                tr = unwrap(t.circuit)[0]
                assert isinstance(tr, PECRun)
                execs = t.by_group(t.execs)[gi]
                for j, sign in enumerate(tr.signs[gi]):
                    es, vs = [], []
                    for c, g, _ in execs[j * k: (j + 1) * k]:
                        if id(c) not in ev:
                            p = ctx.probs(g.measure_in(c))
                            ev[id(c)] = (g.expectation_from_probabilities(p),
                                         g.variance_from_probabilities(p))
                        es.append(ev[id(c)][0])
                        vs.append(ev[id(c)][1])
                    ej = float(np.mean(es))
                    e_vals.append(ej)
                    v_vals.append(float(np.mean(vs)) / k)
                    x_vals.append(tr.gammas[gi] * sign * ej)
            gamma = run.gammas[gi]
            gammas.append(gamma)
            s = est.execs[0][2]
            m = est.shape[gi] // k
            mu = float(np.mean(x_vals))
            sigma2 = gamma**2 * float(np.mean(v_vals)) + s * (gamma**2 * float(np.mean(
                np.square(e_vals))) - mu**2)
            var_total += sigma2 / (m * s)
            var_se2 += _sigma2_variance(gamma, s, mu, v_vals, e_vals, x_vals) / (m * s) ** 2
            shots_total += m * k * s
            parts.append({"gamma": gamma, "mean_v": float(np.mean(v_vals)),
                          "mean_e2": float(np.mean(np.square(e_vals))), "mu": mu})
        mult = shots_total * var_total / ctx.sigma0_2
        floor = None
        # the floor bounds unbiased estimators only: not a partial cancellation
        exact_model = self.model == "global" and self.noise_scale == 1.0 and run.fraction == 1.0
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
        self.fraction = 1.0  # of noise_scale represented (below 1: max_overhead's cap)
        self._first: tuple[cirq.Circuit, NoiseModel] | None = None
        self._pool: tuple[list[list[tuple[Any, int]]], list[float], float] | None = None

    def use_pool(self, pool: Any) -> None:
        self._pool = pool

    def construct(self, logicals: list[cirq.Circuit], rng: np.random.Generator,
                  noise: NoiseModel) -> list[list[cirq.Circuit]]:

        self._first = (logicals[0], noise)
        if self._pool is None:
            self.fraction = self.pec.cancelled_fraction(logicals, noise)
            pools, gammas, self.unrepresented = self.pec.draw(
                logicals, rng, noise, scale=self.pec.noise_scale * self.fraction)
        else:
            pools, gammas, self.fraction = self._pool
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
        d: dict[str, Any] = {
            "gamma": self.gamma, "samples": self.pec.n_samples(self.gamma),
            "unrepresented_operations": self.unrepresented, "model": self.pec.model}
        if self._first is not None:
            circuit, noise = self._first
            scale = self.pec.noise_scale * self.fraction
            d.update(self.pec.gamma_report(circuit, noise, scale))
            if self.pec.max_overhead is not None:
                full = self.pec.gamma_report(circuit, noise, self.pec.noise_scale)
                d.update({"max_overhead": self.pec.max_overhead,
                          "cancelled_fraction": self.fraction,
                          "represented_noise_scale": scale,
                          "gamma_squared_full_cancellation": full["gamma_squared_circuit"]})
            if noise.idle_noise:
                d["idle_noise_represented"] = False
            if self.pec.model == "learned":
                from .pec_learning import learned

                model = learned(circuit, noise, self.pec.learn)
                if model is not None:
                    samples = sum(self.pec.n_samples(g) for g in self.gammas)
                    d["learning"] = model.to_dict()
                    d["total_shots_with_learning"] = samples * shots + model.shots
                    d["total_circuits_with_learning"] = samples + model.circuits
        return d


def gate_kraus(op: cirq.Operation, noise: NoiseModel) -> list[np.ndarray] | None:
    """The channel a noise model puts after `op` (None: none): its own (`gate_channel`,
    a device) or the depolarizing channel of its `gate_depolarizing` rate."""
    import cirq

    if NOISELESS in op.tags or cirq.is_measurement(op):
        return None
    channel = getattr(noise, "gate_channel", None)
    if channel is not None:
        return channel(op)[0]  # type: ignore[no-any-return]
    p = noise.gate_depolarizing(op)
    return [np.asarray(k) for k in cirq.kraus(cirq.depolarize(p, len(op.qubits)))] if p else None


def pec_sigma2(parts: Sequence[Mapping[str, float]], s: int) -> float:
    """Per-total-shot variance of PEC with s shots per sampled circuit, every group
    getting the same samples and shots: N Var = G sum_g sigma_g^2(s)."""
    return float(len(parts) * sum(
        p["gamma"] ** 2 * p["mean_v"] + s * (p["gamma"] ** 2 * p["mean_e2"] - p["mu"] ** 2)
        for p in parts))


def sample_vectorised(circuit: cirq.Circuit, reps: list[Any], n: int,
                      seed: int) -> tuple[list[cirq.FrozenCircuit], list[int], float]:
    """Mitiq's circuit sampling, vectorised over samples: per operation, basis element i
    with probability |eta_i| / gamma and sign sign(eta_i); sequences appended in order.
    Operations without a representation stay as they are (norm 1), as in Mitiq."""

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
    built: dict[bytes, cirq.FrozenCircuit] = {}
    circuits = []
    for k in range(n):
        key = rows[k].tobytes()
        if key not in built:
            ops: list[cirq.Operation] = []
            for col in columns:
                ops.extend(col[k] if len(col) > 1 or n == 1 else col[0])
            # frozen: trials share it, and the statistics pass keys its caches on it
            built[key] = _earliest(ops)
        circuits.append(built[key])
    return circuits, [int(x) for x in signs], norm


def _earliest(ops: list[cirq.Operation]) -> cirq.FrozenCircuit:
    """`cirq.FrozenCircuit(ops)` (each operation in the earliest moment after the last one
    on its qubits, as Mitiq's append places it) at a fraction of its cost: Cirq's general
    placement also tracks measurement and control keys, which sampled sequences lack."""
    import cirq

    if not _placeable(ops):
        return cirq.FrozenCircuit(ops)
    last: dict[cirq.Qid, int] = {}
    layers: list[list[cirq.Operation]] = []
    for op in ops:
        i = 1 + max((last.get(q, -1) for q in op.qubits), default=len(layers) - 1)
        if i == len(layers):
            layers.append([])
        layers[i].append(op)
        for q in op.qubits:
            last[q] = i
    return cirq.FrozenCircuit.from_moments(*(cirq.Moment.from_ops(*m) for m in layers))


def _placeable(ops: list[cirq.Operation]) -> bool:
    """Whether _earliest's rule is Cirq's for these operations: gates on qubits, without
    measurement keys or classical controls (which Cirq's placement also orders by)."""
    import cirq

    return all(isinstance(op.untagged, cirq.GateOperation) and bool(op.qubits)
               and not cirq.is_measurement(op) for op in ops)


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
