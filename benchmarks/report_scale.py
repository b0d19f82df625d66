"""The report of a 2,000-point store: render time and file size (issue 5: < 30 s, < 5 MB).

    /work/venv/bin/python benchmarks/report_scale.py             # ~2,000 points
    /work/venv/bin/python benchmarks/report_scale.py --keep DIR  # keep the store and report

The store is synthetic but real in format: a sweep spec (4 families x widths 2-6 x
depths, Aer and Cirq, 8 noise levels, 2 shot counts) is planned into a store with
`mitprof.store.Store`, and every point is recorded with a document shaped like the
committed fixture's (tests/fixtures/report_store), its numbers scaled with noise, depth
and width the way the closed forms scale them; 2% of the points fail. Then
`mitprof.report.write_report` renders it, timed. Exits 1 when over either limit.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "report_store"
MAX_SECONDS = 30.0
MAX_BYTES = 5 * 1024 * 1024

SPEC: dict[str, Any] = {
    "sweep": {"name": "report-scale", "seed": 3, "shots": [500, 1000], "trials": 50,
              "repeats": 3, "backends": ["aer", "cirq"], "hardware": "ibm_heron",
              "noise_levels": [0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.03]},
    "circuits": [
        {"family": "mirror", "qubits": [2, 3, 4, 5, 6], "depths": [1, 2, 3, 4, 6, 8]},
        {"family": "ising", "qubits": [2, 3, 4, 5, 6], "depths": [1, 2, 3, 4]},
        {"family": "ghz", "qubits": [2, 3, 4, 5, 6]},
        {"family": "qaoa", "qubits": [2, 3, 4, 5, 6], "depths": [1, 2]},
    ],
    "strategies": [
        {"name": "zne", "options": {"factory": "richardson", "scale": [1, 2, 3]}},
        {"name": "pec", "options": {"samples": 20}},
        {"name": "rem"},
    ],
}


def _template() -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """A real point document, its per-strategy results, and the run's environment."""
    from mitprof.store import Reader

    with Reader(FIXTURE) as reader:
        env = json.loads(reader.runs()[-1]["environment"])
        for p in reader.points():
            if p["status"] == "done" and p["circuit"].startswith("mirror"):
                return p["record"], p["results"], env
    raise SystemExit(f"{FIXTURE}: no finished mirror point to use as a template")


def _point_doc(point: Any, base: dict[str, Any], results: list[dict[str, Any]],
               rng: random.Random) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    n, depth = point.n_qubits or 3, point.depth or 1
    p = point.noise_level
    layers = 4 * depth + 2
    gates = n * layers
    doc = copy.deepcopy(base)
    doc.update(circuit=point.circuit, n_qubits=n, depth=layers, n_gates=gates,
               backend=point.backend, shots=point.shots,
               noise={"p2": p, "p1": p / 10, "p01": p, "p10": 2 * p,
                      "aer_lambda_1q": p / 10 * 4 / 3, "aer_lambda_2q": p * 16 / 15},
               ideal_value=1.0, noisy_value_exact=(1 - 4 * p / 3) ** (gates / 2),
               classical_seconds=1e-3 * 2 ** (n / 2) * (1 + 0.1 * rng.random()))
    fidelity = doc["noisy_value_exact"]
    theory = {"unmitigated": 1.0, "zne": 57.0 * (1 + 2 * p * gates),
              "pec": math.exp(4 * p * gates / 2) / max(1e-3, 1 - fidelity ** 2) * 0.5,
              "rem": (1 / (1 - 3 * p)) ** (2 * n)}
    base_err = 1 - fidelity
    out = []
    for r in results:
        r = copy.deepcopy(r)
        name = r.get("name") or "unmitigated"
        t = theory.get(name, 1.0)
        m = t * math.exp(rng.gauss(0, 0.25))
        width = 1.8 if name != "pec" else 2.4
        shots_mult = {"unmitigated": 1, "zne": 3, "pec": 20, "rem": 3}.get(name, 1)
        total = point.shots * shots_mult + (2 * point.shots if name == "rem" else 0)
        sigma2 = m * (1 - fidelity ** 2) + 1e-3
        bias = base_err * ({"unmitigated": 1, "zne": 0.25, "pec": 0.02, "rem": 0.6}
                           .get(name, 1)) * (1 + 0.2 * rng.gauss(0, 1))
        sd = math.sqrt(sigma2 / total)
        wall = 0.005 * shots_mult * (1 + n / 4) * (1.6 if point.backend == "cirq" else 1)
        r.update(value=1 - bias + rng.gauss(0, sd), abs_error=abs(bias) + abs(rng.gauss(0, sd)),
                 total_shots=total, shot_multiplier=total / point.shots, wall_seconds=wall,
                 wall_overhead=wall / (0.005 * (1 + n / 4)), rmse=math.sqrt(bias ** 2 + sd ** 2),
                 sigma2_per_shot=sigma2, theory_multiplier=None if name == "unmitigated" else t,
                 bias={"estimate": -bias, "ci_low": -bias - 2 * sd, "ci_high": -bias + 2 * sd},
                 variance_multiplier={"estimate": m, "ci_low": m / width, "ci_high": m * width},
                 consistent=m / width <= t <= m * width,
                 projected_qpu_seconds=2.0 + total * 250e-6,
                 phase_seconds={"construct": wall * 0.2, "compile": wall * 0.3,
                                "execute": wall * 0.45, "combine": wall * 0.05})
        r["qpu_vs_classical"] = r["projected_qpu_seconds"] / doc["classical_seconds"]
        if name != "unmitigated":
            gain = (bias ** 2 - r["rmse"] ** 2)
            r["breakeven_shots"] = (float(sigma2 / max(1e-9, base_err ** 2 - bias ** 2))
                                    if gain < 0.5 else "undetermined")
        out.append(r)
    return doc, out


def build_store(directory: Path, seed: int = 0, fail_rate: float = 0.02) -> int:
    """Plan SPEC into DIR/results.sqlite and record every point; returns the point count."""
    from mitprof.spec import load_spec
    from mitprof.store import Store

    spec = load_spec(SPEC)
    base, results, env = _template()
    rng = random.Random(seed)
    with Store.open_writer(directory) as store:
        run_id = store.begin_run(spec.to_dict(), env, "process", 2, 1, len(spec))
        store.plan(spec.points())
        n = 0
        for point in spec.points():
            n += 1
            if rng.random() < fail_rate:
                store.record(point.point_id, {
                    "status": "failed", "seconds": 1.0, "worker": "bench:1",
                    "error": f"timed out after {rng.choice([60, 120])} s"}, run_id)
                continue
            doc, rows = _point_doc(point, base, results, rng)
            store.record(point.point_id, {
                "status": "done", "seconds": 2.0, "worker": "bench:1", "n_qubits": doc["n_qubits"],
                "record": json.dumps(doc), "results": [
                    (r["strategy"], r["value"], r["abs_error"], r["shot_multiplier"],
                     r["wall_seconds"], json.dumps(r)) for r in rows]}, run_id)
        store.end_run(run_id, "finished")
    return n


def measure(directory: Path) -> dict[str, float]:
    from mitprof.report import write_report

    t0 = time.perf_counter()
    path = write_report(directory)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "bytes": path.stat().st_size}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="Build the store in DIR and keep it.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        t0 = time.perf_counter()
        n = build_store(directory)
        built = time.perf_counter() - t0
        import mitprof.report.figures  # noqa: F401  (imports are not the report's cost)

        m = measure(directory)
    ok = m["seconds"] < MAX_SECONDS and m["bytes"] < MAX_BYTES
    print(f"{n} points (store built in {built:.1f} s): report rendered in {m['seconds']:.1f} s, "
          f"{m['bytes'] / 1024 / 1024:.2f} MB "
          f"(limits {MAX_SECONDS:.0f} s, {MAX_BYTES / 1024 / 1024:.0f} MB): "
          f"{'ok' if ok else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
