"""Devices: calibration snapshots (per gate and qubits the error and duration; per qubit
T1, T2 and readout errors) and routing of a circuit onto a device's coupling map.

Named devices are `qiskit_ibm_runtime.fake_provider` snapshots (offline, no network);
`generic:n=..,p1=..,p2=..,t1=..,t2=..,readout=..` is a synthetic device with uniform
calibration on a line. `Calibration` is the only thing the noise model (`noise.device`)
reads, so both kinds behave the same.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .errors import SpecError

if TYPE_CHECKING:
    from .circuits import Workload

# short name -> fake_provider class (a few Eagles, Herons and small Falcons)
FAKE_DEVICES = {
    "sherbrooke": "FakeSherbrooke",  # Eagle r3, 127 qubits, ECR
    "brisbane": "FakeBrisbane",  # Eagle r3, 127 qubits, ECR
    "torino": "FakeTorino",  # Heron r1, 133 qubits, CZ
    "fez": "FakeFez",  # Heron r2, 156 qubits, CZ
    "nairobi": "FakeNairobiV2",  # Falcon, 7 qubits, CX
    "manila": "FakeManilaV2",  # Falcon, 5 qubits, CX
    "lima": "FakeLimaV2",  # Falcon, 5 qubits, CX
}
# A 2-qubit gate or qubit this bad is broken in the snapshot: routing avoids it.
FAULTY = 0.5
# Physical 1q pulses: the basis gates that are not frame changes.
PULSES = ("sx", "x", "id")
TWO_QUBIT = ("ecr", "cz", "cx")
GENERIC_DEFAULTS = {"n": 5, "p1": 3e-4, "p2": 7e-3, "t1": 200e-6, "t2": 150e-6,
                    "readout": 0.015, "t_1q": 50e-9, "t_2q": 400e-9, "t_measure": 1.3e-6}


@dataclass(frozen=True, eq=False)
class Calibration:
    """One device's calibration, in SI units. Errors are average gate infidelities
    (1 - average gate fidelity), as IBM reports them."""

    name: str
    source: str
    snapshot: str  # date of the calibration
    n_qubits: int
    two_qubit_gate: str
    # per qubit
    t1: tuple[float, ...]
    t2: tuple[float, ...]
    p01: tuple[float, ...]  # P(read 1 | prepared 0)
    p10: tuple[float, ...]  # P(read 0 | prepared 1)
    # (name, qubits) -> (error, duration); 2q entries under both orders
    gates: dict[tuple[str, tuple[int, ...]], tuple[float, float]] = field(repr=False)
    edges: tuple[tuple[int, int], ...] = field(repr=False)  # usable undirected pairs
    # ordered pairs on which the native 2-qubit gate exists as calibrated (ECR runs one way
    # only); None: both ways on every edge
    directed: frozenset[tuple[int, int]] | None = field(default=None, repr=False)
    measure_seconds: tuple[float, ...] = ()  # per qubit: readout duration (0 where unknown)

    def one_qubit(self, name: str, q: int) -> tuple[float, float]:
        """(error, duration) of physical pulse `name` (sx, x, id) on qubit q; x falls back
        to sx and id to an error-free sx-long wait where the snapshot lacks them."""
        for key, scale in ((name, 1.0), ("sx", 1.0 if name != "id" else 0.0)):
            if (key, (q,)) in self.gates:
                e, t = self.gates[(key, (q,))]
                return e * scale, t
        raise SpecError(f"device {self.name} has no calibrated 1-qubit pulse on qubit {q}")

    def two_qubit(self, a: int, b: int) -> tuple[float, float]:
        key = (self.two_qubit_gate, (a, b))
        if key not in self.gates:
            raise SpecError(f"device {self.name} has no {self.two_qubit_gate} on qubits "
                            f"({a}, {b}): route the circuit first")
        return self.gates[key]

    def native_ways(self, a: int, b: int) -> tuple[bool, bool]:
        """Whether the native 2-qubit gate runs (a -> b, b -> a) on this pair."""
        if self.directed is None:
            return True, True
        return (a, b) in self.directed, (b, a) in self.directed

    def summary(self) -> dict[str, Any]:
        e1 = [e for (n, q), (e, _) in self.gates.items() if n == "sx"]
        e2 = [e for (n, q), (e, _) in self.gates.items() if n == self.two_qubit_gate
              and q[0] < q[1] and e < FAULTY]
        ro = [(a + b) / 2 for a, b in zip(self.p01, self.p10, strict=True)]
        return {"device": self.name, "n_qubits": self.n_qubits,
                "basis": f"rz,sx,x,{self.two_qubit_gate}",
                "median_1q_error": statistics.median(e1) if e1 else 0.0,
                "median_2q_error": statistics.median(e2) if e2 else 0.0,
                "median_t1": statistics.median(self.t1), "median_t2": statistics.median(self.t2),
                "median_readout_error": statistics.median(ro), "snapshot": self.snapshot,
                "source": self.source}


def device_summaries() -> dict[str, dict[str, Any]]:
    """`summary()` of every shipped snapshot, for `mitprof list devices`. Reading the
    snapshots needs qiskit-ibm-runtime, whose import alone takes over a second: the summaries
    are kept in a JSON file in the user's cache directory ($XDG_CACHE_HOME or ~/.cache),
    keyed by the installed runtime and mitprof versions, and recomputed when either changes
    or the file cannot be read. Failing to write it costs nothing but speed."""
    import json
    import os
    from importlib.metadata import PackageNotFoundError, version
    from pathlib import Path

    from . import __version__

    try:
        key = f"{__version__}|{version('qiskit-ibm-runtime')}|{','.join(FAKE_DEVICES)}"
    except PackageNotFoundError:
        key = None  # get_device below says what to install
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mitprof" / \
        "device_summaries.json"
    if key is not None:
        try:
            doc = json.loads(cache.read_text())
            if doc.get("key") == key:
                return dict(doc["devices"])
        except (OSError, ValueError, KeyError, AttributeError):
            pass
    out = {name: get_device(name).summary() for name in FAKE_DEVICES}
    if key is not None:
        try:
            from .atomic import write_atomically

            cache.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(cache, lambda fh: json.dump({"key": key, "devices": out}, fh))
        except Exception:  # noqa: BLE001 - a cache that cannot be written is only slower
            pass
    return out


def device_names() -> list[str]:
    return [*FAKE_DEVICES, "generic:" + ",".join(f"{k}=.." for k in GENERIC_DEFAULTS)]


def get_device(name: str) -> Calibration:
    """A device by short name (`sherbrooke`, `fake_manila`, `FakeTorino` all work) or
    `generic:KEY=VALUE,...`; unknown names raise SpecError listing the known ones."""
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"device must be a name, got {name!r}")
    text = name.strip()
    if text.startswith("generic"):
        return _generic(text.partition(":")[2], text)
    key = text.lower().removeprefix("fake").lstrip("_")
    key = key[:-2] if key.endswith("v2") else key
    if key not in FAKE_DEVICES:
        raise SpecError(f"unknown device {name!r}; known: {', '.join(device_names())}")
    return _fake(key)


@lru_cache(maxsize=16)
def _fake(key: str) -> Calibration:
    try:
        from qiskit_ibm_runtime import fake_provider
    except ImportError:
        raise SpecError("named devices need qiskit-ibm-runtime's offline calibration snapshots:"
                        " pip install -e '.[device]' (or use generic:...)") from None
    backend = getattr(fake_provider, FAKE_DEVICES[key])()
    return from_backend(backend, key)


def from_backend(backend: Any, name: str | None = None) -> Calibration:
    """A Calibration from a Qiskit BackendV2 (its target, and its properties' readout
    asymmetry where the snapshot has it)."""
    target = backend.target
    n = int(backend.num_qubits)
    props = backend.properties() if hasattr(backend, "properties") else None
    t1, t2, p01, p10, t_meas = [], [], [], [], []
    for q in range(n):
        qp = target.qubit_properties[q] if target.qubit_properties else None
        t1.append(float(qp.t1) if qp is not None and qp.t1 else math.inf)
        t2.append(float(qp.t2) if qp is not None and qp.t2 else math.inf)
        a = b = None
        if props is not None:
            qprops = props.qubit_property(q)
            if "prob_meas1_prep0" in qprops and "prob_meas0_prep1" in qprops:
                a, b = qprops["prob_meas1_prep0"][0], qprops["prob_meas0_prep1"][0]
            elif "readout_error" in qprops:
                a = b = qprops["readout_error"][0]
        if a is None and "measure" in target and target["measure"].get((q,)) is not None:
            a = b = target["measure"][(q,)].error
        mp = target["measure"].get((q,)) if "measure" in target else None
        t_meas.append(float(mp.duration) if mp is not None and mp.duration else 0.0)
        p01.append(float(a or 0.0))
        p10.append(float(b or 0.0))
    gates: dict[tuple[str, tuple[int, ...]], tuple[float, float]] = {}
    two = [g for g in TWO_QUBIT if g in target.operation_names]
    if not two:
        raise SpecError(f"device {name}: no 2-qubit gate among {TWO_QUBIT}")
    for gname in (*PULSES, two[0]):
        if gname not in target.operation_names:
            continue
        for qubits, ip in target[gname].items():
            if ip is None or qubits is None:
                continue
            err = float(ip.error) if ip.error is not None else 0.0
            dur = float(ip.duration) if ip.duration is not None else 0.0
            gates[(gname, tuple(qubits))] = (err, dur)
    directed = frozenset((q[0], q[1]) for (g, q) in gates if g == two[0])
    for (gname, qubits), value in list(gates.items()):
        rev = (gname, qubits[::-1])
        if len(qubits) == 2 and rev not in gates:
            gates[rev] = value  # a native gate one way only (ECR): the pair's gate either way
    ok = {q for q in range(n) if p01[q] + p10[q] < 2 * FAULTY}
    edges = sorted({(min(a, b), max(a, b)) for (g, (a, *rest)), (e, _) in gates.items()
                    for b in rest if g == two[0] and e < FAULTY and a in ok and b in ok})
    snap = ""
    if props is not None and getattr(props, "last_update_date", None) is not None:
        snap = props.last_update_date.date().isoformat()
    return Calibration(
        name=name or str(getattr(backend, "name", "backend")),
        source=f"{type(backend).__module__}.{type(backend).__name__} (offline snapshot)",
        snapshot=snap, n_qubits=n, two_qubit_gate=two[0], t1=tuple(t1), t2=tuple(t2),
        p01=tuple(p01), p10=tuple(p10), gates=gates, edges=tuple(edges), directed=directed,
        measure_seconds=tuple(t_meas))


def _generic(text: str, full: str) -> Calibration:
    vals = dict(GENERIC_DEFAULTS)
    for item in filter(None, (s.strip() for s in text.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in vals:
            raise SpecError(f"device {full!r}: expected KEY=VALUE with KEY in "
                            f"{', '.join(GENERIC_DEFAULTS)}, got {item!r}")
        try:
            vals[key] = float(value)
        except ValueError:
            raise SpecError(f"device {full!r}: {key}={value!r} is not a number") from None
    n = vals["n"]
    if n != int(n) or not 1 <= n <= 1000:
        raise SpecError(f"device {full!r}: n must be an integer in 1..1000")
    for key in ("p1", "p2", "readout"):
        if not 0 <= vals[key] < 0.5:
            raise SpecError(f"device {full!r}: {key}={vals[key]} must be in [0, 0.5)")
    for key in ("t1", "t2", "t_1q", "t_2q", "t_measure"):
        if not vals[key] > 0 or not math.isfinite(vals[key]):
            raise SpecError(f"device {full!r}: {key}={vals[key]} must be a positive duration "
                            "(seconds)")
    n_q = int(n)
    gates: dict[tuple[str, tuple[int, ...]], tuple[float, float]] = {}
    for q in range(n_q):
        gates[("sx", (q,))] = gates[("x", (q,))] = (vals["p1"], vals["t_1q"])
        gates[("id", (q,))] = (vals["p1"], vals["t_1q"])
    edges = tuple((q, q + 1) for q in range(n_q - 1))
    for a, b in edges:
        gates[("cx", (a, b))] = gates[("cx", (b, a))] = (vals["p2"], vals["t_2q"])
    return Calibration(
        name=full, source="synthetic: uniform calibration on a line", snapshot="",
        n_qubits=n_q, two_qubit_gate="cx", t1=(vals["t1"],) * n_q, t2=(vals["t2"],) * n_q,
        p01=(vals["readout"],) * n_q, p10=(vals["readout"],) * n_q, gates=gates, edges=edges,
        measure_seconds=(vals["t_measure"],) * n_q)


# ------------------------------------------------------------------ routing


@lru_cache(maxsize=16)
def error_target(cal: Calibration) -> Any:
    """A Qiskit Target holding only the calibrated errors (sx and readout per qubit, the
    2-qubit gate per coupled pair): what VF2PostLayout scores layouts with."""
    from qiskit.circuit.library import CXGate, Measure, SXGate
    from qiskit.transpiler import InstructionProperties, Target

    target = Target(num_qubits=cal.n_qubits)
    target.add_instruction(SXGate(), {(q,): InstructionProperties(error=cal.one_qubit("sx", q)[0])
                                      for q in range(cal.n_qubits)})
    target.add_instruction(CXGate(), {(a, b): InstructionProperties(error=cal.two_qubit(a, b)[0])
                                      for x, y in cal.edges for a, b in ((x, y), (y, x))})
    target.add_instruction(Measure(), {(q,): InstructionProperties(
        error=(cal.p01[q] + cal.p10[q]) / 2) for q in range(cal.n_qubits)})
    return target


def noise_aware_layout(routed: Any, cal: Calibration) -> list[int]:
    """Physical qubit of each qubit of the routed circuit, after Qiskit's VF2PostLayout
    (as its preset pass managers run it from level 1): the same interactions, and a readout
    of every active qubit, moved to the qubits and couplers with the lowest calibrated
    errors. Identity where it finds nothing better."""
    from qiskit import ClassicalRegister
    from qiskit.transpiler import PassManager
    from qiskit.transpiler.passes import VF2PostLayout
    from qiskit.transpiler.passes.layout.vf2_post_layout import VF2PostLayoutStopReason

    if not cal.edges:
        return list(range(routed.num_qubits))
    # scored with its readout, as on hardware (the routed circuit has no measurements)
    scored = routed.copy()
    active = sorted({routed.find_bit(q).index for i in routed.data for q in i.qubits})
    creg = ClassicalRegister(len(active))
    scored.add_register(creg)
    for k, q in enumerate(active):
        scored.measure(q, creg[k])
    pm = PassManager([VF2PostLayout(target=error_target(cal), seed=ROUTING_SEED,
                                    strict_direction=False)])
    pm.run(scored)
    post = pm.property_set["post_layout"]
    if pm.property_set["VF2PostLayout_stop_reason"] != VF2PostLayoutStopReason.SOLUTION_FOUND \
            or post is None:
        return list(range(routed.num_qubits))
    bits = post.get_virtual_bits()
    return [int(bits[q]) for q in routed.qubits]

@dataclass(frozen=True)
class Routing:
    """Where a circuit went on the device, and what routing cost."""

    device: str
    layout: tuple[int, ...]  # active physical qubits, in the order of the simulated qubits
    initial_layout: tuple[int, ...]  # physical qubit of each logical qubit at the start
    final_layout: tuple[int, ...]  # ... and at the end (after the SWAPs)
    swaps: int
    two_qubit_before: int
    two_qubit_after: int
    depth_before: int
    depth_after: int
    # the routed circuit with the SWAPs' gates tagged noiseless (None without SWAPs): what
    # the routing's share of the unmitigated error is computed from
    swap_free: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict, replace

        d = asdict(replace(self, swap_free=None))
        del d["swap_free"]
        return d


ROUTING_SEED = 1  # layout and routing depend on the circuit and the device only


def route(workload: Workload, cal: Calibration) -> tuple[Workload, Routing]:
    """Lay out and route onto the device's coupling map with Qiskit's transpiler, no
    optimisation (SabreLayout + SabreSwap only, then SWAP -> 3 CX), moved to the qubits with
    the lowest calibrated errors (`noise_aware_layout`), relabelled to the active physical
    qubits; the observable follows its qubits to where they end."""
    import cirq
    from qiskit import QuantumCircuit, transpile
    from qiskit.transpiler import CouplingMap

    from .circuits import Workload
    from .lowering import QISKIT_BASIS, from_qiskit, to_qiskit
    from .observables import parse_observable

    n = workload.n_qubits
    if n > cal.n_qubits:
        raise SpecError(f"the circuit has {n} qubits; device {cal.name} has {cal.n_qubits}")
    qc = to_qiskit(workload.circuit, n)
    before_2q = sum(1 for i in qc.data if i.operation.num_qubits == 2)
    cmap = CouplingMap([list(e) for e in cal.edges] + [[b, a] for a, b in cal.edges])
    for q in range(cal.n_qubits):
        if q not in cmap.physical_qubits:
            cmap.add_physical_qubit(q)
    try:
        # level 0: layout and routing only, nothing cancelled or merged; "swap" stays in the
        # basis so SWAPs can be counted, then lowers to 3 CX below
        routed = transpile(qc, coupling_map=cmap, basis_gates=[*QISKIT_BASIS, "swap"],
                           optimization_level=0, layout_method="sabre",
                           routing_method="sabre", seed_transpiler=ROUTING_SEED)
    except Exception as exc:  # no room for the circuit on the usable part of the map
        raise SpecError(f"cannot route the circuit onto device {cal.name}: "
                        f"{' '.join(str(exc).split())}") from None
    swaps = sum(1 for i in routed.data if i.operation.name == "swap")
    phys = noise_aware_layout(routed, cal)  # routed qubit -> the physical qubit it runs on
    layout = routed.layout
    initial = tuple(phys[i] for i in layout.initial_index_layout(filter_ancillas=True))
    final = tuple(phys[i] for i in layout.final_index_layout(filter_ancillas=True))
    active = sorted({phys[routed.find_bit(q).index] for i in routed.data for q in i.qubits})
    pos = {p: k for k, p in enumerate(active)}
    small = QuantumCircuit(len(active))
    for inst in routed.data:
        small.append(inst.operation, [pos[phys[routed.find_bit(q).index]] for q in inst.qubits])
    canon = from_qiskit(small, workload.name)
    canon = cirq.Circuit(canon.all_operations())  # ASAP layers
    swap_free = _swap_free(small, workload.name) if swaps else None
    m = len(active)
    terms = []
    for coeff, pauli in workload.observable.terms:
        chars = ["I"] * m
        for i, ch in enumerate(pauli):
            chars[pos[final[i]]] = ch
        terms.append(f"{coeff!r}*{''.join(chars)}")
    obs = parse_observable("+".join(terms), m)
    after_2q = sum(1 for op in canon.all_operations() if len(op.qubits) == 2)
    info = Routing(device=cal.name, layout=tuple(active), initial_layout=initial,
                   final_layout=final, swaps=swaps, two_qubit_before=before_2q,
                   two_qubit_after=after_2q, depth_before=len(workload.circuit),
                   depth_after=len(canon), swap_free=swap_free)
    return Workload(workload.name, canon, obs), info


def _swap_free(small: Any, workload_name: str) -> Any:
    """The routed circuit, its SWAPs as three CX tagged noiseless (the same moments)."""
    import cirq

    from .lowering import canonical_gate
    from .noise.base import NOISELESS

    qubits = cirq.LineQubit.range(small.num_qubits)
    ops: list[cirq.Operation] = []
    for inst in small.data:  # already in the canonical basis (plus swap): gate for gate
        qs = [qubits[small.find_bit(q).index] for q in inst.qubits]
        name = inst.operation.name
        if name == "swap":
            a, b = qs
            ops += [cirq.CNOT(a, b).with_tags(NOISELESS), cirq.CNOT(b, a).with_tags(NOISELESS),
                    cirq.CNOT(a, b).with_tags(NOISELESS)]
        elif name not in ("barrier", "measure"):
            ops.append(canonical_gate(name, [float(p) for p in inst.operation.params],
                                      workload_name).on(*qs))
    return cirq.Circuit(ops)
