"""mitprof against the code a user would write by hand, in one run on one machine.

    python benchmarks/compare_peers.py            # the issue's workload
    python benchmarks/compare_peers.py --quick    # a smaller version (for a smoke run)

Workload: mirror circuits on 2 and 3 qubits x 3 depths x 2 noise levels x
{unmitigated, ZNE Richardson [1,2,3], PEC 100 samples, REM} on Aer, 3 trials each.

1. mitprof: `run_sweep` on that spec, one worker (serial). It does more than the peers:
   a warm-up and a timed pass per point and strategy, exact ideal values, theory values
   and bootstrap intervals on top of the 3 trial estimates.
2. naive loop: `execute_with_zne` / `execute_with_pec` / `execute_with_rem` from Mitiq's
   documentation with an Aer executor that transpiles (optimisation off) and runs each
   circuit, looping over points and trials: the same points x strategies x trials.
3. Mitiq's Calibrator on the same problems with ZNE (it has no REM, and its PEC path
   fails on these 3-qubit problems: it appends the terminal measurement before PEC and
   then cannot represent a 3-qubit measurement), run once per noise level and trial;
   compared with a mitprof sweep of the same problems and strategy, at 3 and at 10 trials
   (`--calibrator-trials`).

The naive loop's cost is linear in trials (every trial is a full mitigated run): it is
timed on `--naive-trials` trials per point (a measured subset) and scaled linearly to 3
and to 100 trials, which the output says. mitprof runs at 3 and at 100 trials (the
default of `mitprof profile`).

Prints each peer's time, mitprof's speed-ups as `vs naive-loop: 6.2x` (3 trials),
`vs naive-loop@100: 40x`, `vs calibrator: 2.0x` (3 trials) and `vs calibrator@10: 3.0x`,
whether the estimates agree (means per point and strategy within their combined standard
errors, where the methods coincide), mitprof's own share (time in mitprof's code, from a
separate cProfile run, so that the profiler's overhead is in no timed figure) and two
distances: to the limit, the sweep's wall time over the time Aer spends in its calls
(exact distributions of the distinct circuits plus the timed pass's executions; warm-up
runs included); and to the measured run, the same wall time over Aer's calls plus Mitiq's
PEC sampler, which the timed pass calls because it is what a user's PEC run pays (its
construct phase), so no profiler of that run can be faster than both together. Ratios,
not absolute times, go in the README.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

SEED = 7
P1_RATIO, P01_RATIO, P10_RATIO = 0.1, 1.0, 2.0  # mitprof's documented defaults
BASIS = ["id", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "rx", "ry", "rz", "cx", "cz"]


def workload(quick: bool, trials: int = 3) -> dict:
    return {
        "widths": [2] if quick else [2, 3],
        "depths": [2, 4] if quick else [2, 4, 6],
        "noise": [0.01, 0.03] if not quick else [0.02],
        "trials": trials,
        "shots": 1000,
        "pec_samples": 20 if quick else 100,
    }


# ----------------------------------------------------------------- 1. mitprof


class _Finished:
    """A finished Aer job: what `AerSimulator.run(...)` returns, for `.result()`."""

    def __init__(self, result: object) -> None:
        self._result = result

    def result(self) -> object:
        return self._result


class SimulatorClock:
    """Wall time inside Aer's `run(...).result()` while active: the simulator's calls, its
    own input conversion included (the floor any caller of Aer pays)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> SimulatorClock:
        from qiskit_aer import AerSimulator

        self._orig = orig = AerSimulator.run
        clock = self

        def run(sim, *args, **kwargs):
            t0 = time.perf_counter()
            result = orig(sim, *args, **kwargs).result()
            clock.seconds += time.perf_counter() - t0
            return _Finished(result)

        AerSimulator.run = run  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        from qiskit_aer import AerSimulator

        AerSimulator.run = self._orig  # type: ignore[method-assign]


class SamplerClock:
    """Wall time inside Mitiq's `pec.sample_circuit` while active. The timed pass calls it
    for what a user's PEC run pays (its construct phase; Mitiq deep-copies the circuit per
    sample), so it is part of the measured run, not of mitprof's overhead; the statistics
    pass draws the same distribution with numpy instead and never calls it."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> SamplerClock:
        import mitiq.pec

        self._orig = orig = mitiq.pec.sample_circuit
        clock = self

        def sample_circuit(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return orig(*args, **kwargs)
            finally:
                clock.seconds += time.perf_counter() - t0

        mitiq.pec.sample_circuit = sample_circuit
        return self

    def __exit__(self, *exc: object) -> None:
        import mitiq.pec

        mitiq.pec.sample_circuit = self._orig


def run_mitprof(w: dict, out: Path, strategies: list[dict],
                profile: bool = False) -> tuple[float, object, tuple[float, float]]:
    """(wall seconds, results, shares): with `profile`, (mitprof's own code, 0); else (Aer's
    calls, Aer's calls plus Mitiq's PEC sampler in the timed pass), each over wall time."""
    import mitprof

    spec = {
        "sweep": {"name": "peers", "seed": SEED, "shots": w["shots"], "trials": w["trials"],
                  "repeats": 1, "backends": ["aer"], "noise_levels": w["noise"]},
        "circuits": [{"family": "mirror", "qubits": w["widths"], "depths": w["depths"]}],
        "strategies": strategies,
    }
    if not profile:
        with SimulatorClock() as sim, SamplerClock() as pec:
            t0 = time.perf_counter()
            mitprof.run_sweep(spec, out=out, executor="serial", workers=1, progress=False)
            elapsed = time.perf_counter() - t0
        return elapsed, mitprof.load_results(out), (sim.seconds / elapsed,
                                                    (sim.seconds + pec.seconds) / elapsed)
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    mitprof.run_sweep(spec, out=out, executor="serial", workers=1, progress=False)
    prof.disable()
    elapsed = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    package = str(Path(mitprof.__file__).parent)
    own = sum(row[2] for key, row in stats.stats.items()  # type: ignore[attr-defined]
              if key[0].startswith(package) and "/report/" not in key[0])
    return elapsed, mitprof.load_results(out), (own / elapsed, 0.0)


# ----------------------------------------------------------------- 2. naive loop


def aer_setup(p2: float):
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel, ReadoutError, depolarizing_error

    p1, p01, p10 = P1_RATIO * p2, P01_RATIO * p2, P10_RATIO * p2
    nm = NoiseModel()
    nm.add_all_qubit_quantum_error(depolarizing_error(4 * p1 / 3, 1),
                                   [g for g in BASIS if g not in ("cx", "cz")])
    nm.add_all_qubit_quantum_error(depolarizing_error(16 * p2 / 15, 2), ["cx", "cz"])
    nm.add_all_qubit_readout_error(ReadoutError([[1 - p01, p01], [p10, 1 - p10]]))
    return AerSimulator(method="density_matrix", noise_model=nm, max_parallel_threads=1)


def make_executor(sim, shots: int, rng: np.random.Generator):
    from mitiq import MeasurementResult
    from qiskit import transpile

    def execute(circuit) -> MeasurementResult:
        tqc = transpile(circuit, basis_gates=BASIS, optimization_level=0)
        counts = sim.run(tqc, shots=shots, seed_simulator=int(rng.integers(2**31))) \
            .result().get_counts()
        bits = [[int(b) for b in key[::-1]] for key, n in counts.items() for _ in range(n)]
        return MeasurementResult(bits)

    # Mitiq's Executor reads the return annotation to know it gets bitstrings; this module's
    # postponed annotations would hand it a string instead.
    execute.__annotations__["return"] = MeasurementResult
    return execute


def mirror_problem(n: int, depth: int):
    import networkx as nx
    from mitiq import Observable, PauliString
    from mitiq.benchmarks import generate_mirror_circuit

    circuit, bits = generate_mirror_circuit(nlayers=depth, two_qubit_gate_prob=1.0,
                                            connectivity_graph=nx.path_graph(n),
                                            two_qubit_gate_name="CNOT", seed=SEED,
                                            return_type="qiskit")
    obs = Observable(*(PauliString("Z", coeff=(1.0 if b == 0 else -1.0) / n, support=(i,))
                       for i, b in enumerate(bits)))
    return circuit, obs


def run_naive(w: dict) -> tuple[float, dict]:
    from mitiq import zne
    from mitiq.pec import (
        execute_with_pec,
        represent_operations_in_circuit_with_global_depolarizing_noise,
    )
    from mitiq.raw import execute
    from mitiq.rem import execute_with_rem, generate_tensored_inverse_confusion_matrix
    from mitiq.zne.inference import RichardsonFactory
    from mitiq.zne.scaling import fold_global
    from qiskit import QuantumCircuit

    estimates: dict = {}
    t0 = time.perf_counter()
    for p2 in w["noise"]:
        sim = aer_setup(p2)
        for n in w["widths"]:
            for depth in w["depths"]:
                circuit, obs = mirror_problem(n, depth)
                reps = represent_operations_in_circuit_with_global_depolarizing_noise(
                    circuit, p2)
                for trial in range(w["trials"]):
                    rng = np.random.default_rng([SEED, n, depth, trial, int(p2 * 1e6)])
                    ex = make_executor(sim, w["shots"], rng)
                    key = (n, depth, p2)
                    estimates.setdefault(key + ("unmitigated",), []).append(
                        np.real(execute(circuit, ex, obs)))
                    estimates.setdefault(key + ("zne",), []).append(np.real(
                        zne.execute_with_zne(circuit, ex, observable=obs,
                                             factory=RichardsonFactory([1, 2, 3]),
                                             scale_noise=fold_global)))
                    estimates.setdefault(key + ("pec",), []).append(np.real(execute_with_pec(
                        circuit, ex, obs, representations=reps, num_samples=w["pec_samples"],
                        random_state=int(rng.integers(2**31)))))
                    # REM: calibrate on |0..0> and |1..1>, then Mitiq's inverse
                    mats = []
                    cal = []
                    for ones in (False, True):
                        qc = QuantumCircuit(n, n)
                        if ones:
                            qc.x(range(n))
                        qc.measure(range(n), range(n))
                        cal.append(np.asarray(ex(qc).result))
                    for q in range(n):
                        p01 = cal[0][:, q].mean()
                        p10 = 1 - cal[1][:, q].mean()
                        mats.append(np.array([[1 - p01, p10], [p01, 1 - p10]]))
                    icm = generate_tensored_inverse_confusion_matrix(n, mats)
                    estimates.setdefault(key + ("rem",), []).append(np.real(
                        execute_with_rem(circuit, ex, obs, inverse_confusion_matrix=icm)))
    return time.perf_counter() - t0, estimates


# ----------------------------------------------------------------- 3. Calibrator


def run_calibrator(w: dict) -> float:
    from mitiq import Executor
    from mitiq.calibration import Calibrator, Settings
    from mitiq.interface.mitiq_qiskit import to_qiskit
    from mitiq.zne.inference import RichardsonFactory
    from mitiq.zne.scaling import fold_global

    t0 = time.perf_counter()
    for p2 in w["noise"]:
        sim = aer_setup(p2)
        settings = Settings(
            benchmarks=[{"circuit_type": "mirror", "num_qubits": n, "circuit_depth": d,
                         "circuit_seed": SEED} for n in w["widths"] for d in w["depths"]],
            strategies=[
                {"technique": "zne", "scale_noise": fold_global,
                 "factory": RichardsonFactory([1.0, 2.0, 3.0])},
            ])
        for trial in range(w["trials"]):
            rng = np.random.default_rng([SEED, trial, int(p2 * 1e6)])
            qiskit_ex = make_executor(sim, w["shots"], rng)

            def cirq_ex(circuit, _ex=qiskit_ex):
                return _ex(to_qiskit(circuit))

            cirq_ex.__annotations__["return"] = qiskit_ex.__annotations__["return"]

            cal = Calibrator(Executor(cirq_ex), frontend="cirq", settings=settings)
            cal.run()
    return time.perf_counter() - t0


# ----------------------------------------------------------------- agreement


def agreement(results, naive: dict) -> tuple[int, int, list[str]]:
    """Per point and strategy: |mean_mitprof - mean_naive| within 4 combined standard errors
    (estimated from the pooled trials, at least one shot-noise unit) where the methods
    coincide (unmitigated, ZNE, REM; PEC representations differ by design)."""
    ok, total, bad = 0, 0, []
    df = results
    for key, values in naive.items():
        n, depth, p2, name = key
        if name == "pec":
            continue
        rows = df[(df.n_qubits == n) & (df.depth == depth) & (df.noise_level == p2)
                  & (df.strategy.str.startswith(name)) & (df.status == "ok")]
        if rows.empty:
            continue
        mean_m = float(rows.value.iloc[0])
        spread = np.std(values, ddof=1) if len(values) > 1 else 0.0
        se = max(spread * np.sqrt(1 / len(values) + 1.0), 3.0 / np.sqrt(1000))
        total += 1
        if abs(mean_m - float(np.mean(values))) <= 4 * se:
            ok += 1
        else:
            bad.append(f"{key}: mitprof {mean_m:.3f} vs naive {np.mean(values):.3f}")
    return ok, total, bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--trials", type=int, default=3, help="trials per point and strategy")
    ap.add_argument("--many", type=int, default=100, help="the second, larger trial count")
    ap.add_argument("--naive-trials", type=int, default=1,
                    help="trials per point the naive loop is timed on (then scaled)")
    ap.add_argument("--calibrator-trials", type=int, nargs="+", default=[3, 10],
                    help="trial counts the Calibrator comparison runs at")
    args = ap.parse_args()
    w = workload(args.quick, args.trials)
    strategies = [{"name": "zne", "options": {"factory": "richardson", "scale": [1, 2, 3]}},
                  {"name": "pec", "options": {"samples": w["pec_samples"]}},
                  {"name": "rem"}]
    # Import what every peer uses before any clock starts (one-off per process costs):
    # whoever ran first would otherwise pay ~10 s of imports for the others.
    import cirq  # noqa: F401
    import mitiq.benchmarks  # noqa: F401
    import mitiq.calibration  # noqa: F401
    import mitiq.pec  # noqa: F401
    import mitiq.rem  # noqa: F401
    import mitiq.zne  # noqa: F401
    import networkx  # noqa: F401
    import pandas  # noqa: F401
    import qiskit.quantum_info  # noqa: F401
    import qiskit_aer  # noqa: F401
    import scipy.stats  # noqa: F401
    from qiskit import transpile  # noqa: F401

    import mitprof.engine  # noqa: F401
    import mitprof.predict  # noqa: F401
    import mitprof.sweep  # noqa: F401
    import mitprof.trials  # noqa: F401

    n_points = len(w["widths"]) * len(w["depths"]) * len(w["noise"])
    print(f"load: {os.getloadavg()[0]:.1f} (1-min average) on {os.cpu_count()} cores")
    print(f"workload: {n_points} points x 4 strategies x {w['trials']} and {args.many} "
          f"trials, {w['shots']} shots per circuit, PEC {w['pec_samples']} samples", flush=True)
    many = dict(w, trials=args.many)
    with tempfile.TemporaryDirectory() as tmp:
        t_m, results, sim_share = run_mitprof(w, Path(tmp) / "peers", strategies)
        print(f"mitprof (run_sweep, 1 worker), {w['trials']} trials: {t_m:8.1f} s", flush=True)
        t_many, _, sim_many = run_mitprof(many, Path(tmp) / "many", strategies)
        print(f"mitprof, {args.many} trials:                 {t_many:8.1f} s", flush=True)
        t_n1, naive = run_naive(dict(w, trials=args.naive_trials))
        per_trial = t_n1 / args.naive_trials
        t_n, t_n_many = per_trial * w["trials"], per_trial * args.many
        print(f"naive Mitiq loop, {args.naive_trials} trial(s) measured: {t_n1:8.1f} s "
              f"(scaled linearly: {t_n:.1f} s at {w['trials']}, {t_n_many:.1f} s at "
              f"{args.many})", flush=True)
        calibrator = {}
        for k in args.calibrator_trials:
            wk = dict(w, trials=k)
            t_mz, _, _ = run_mitprof(wk, Path(tmp) / f"peers-zne-{k}", strategies[:1])
            print(f"mitprof, ZNE only, {k} trials:  {t_mz:8.1f} s", flush=True)
            t_c = run_calibrator(wk)
            print(f"Mitiq Calibrator (ZNE), {k} trials: {t_c:8.1f} s", flush=True)
            calibrator[k] = t_c / t_mz
        t_p, _, (own, _) = run_mitprof(w, Path(tmp) / "profiled", strategies, profile=True)
        ok, total, bad = agreement(results, naive)
    print(f"estimates agree (unmitigated, ZNE, REM; per point, naive at "
          f"{args.naive_trials} trial(s)): {ok}/{total}")
    for line in bad:
        print(f"  disagree: {line}")
    print(f"mitprof's own code: {100 * own:.1f}% of the sweep's time (under cProfile)")
    print(f"distance to the limit: {1 / sim_share[0]:.2f} at {w['trials']} trials, "
          f"{1 / sim_many[0]:.2f} at {args.many} (wall time / time in Aer's calls)")
    print(f"distance to the measured run: {1 / sim_share[1]:.2f} at {w['trials']} trials, "
          f"{1 / sim_many[1]:.2f} at {args.many} (wall time / time in Aer's calls and in "
          "Mitiq's PEC sampler, which the timed pass measures)")
    print(f"vs naive-loop: {t_n / t_m:.1f}x (naive loop scaled from {args.naive_trials} "
          f"measured trial(s))")
    print(f"vs naive-loop@{args.many}: {t_n_many / t_many:.1f}x")
    for i, (k, ratio) in enumerate(calibrator.items()):
        print(f"vs calibrator{'' if i == 0 else f'@{k}'}: {ratio:.1f}x ({k} trials)")


if __name__ == "__main__":
    main()
