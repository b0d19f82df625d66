"""Caps on what one profile may ask for, and the estimates checked against them.

Every request is sized before anything runs: the circuit (qubits, gates, the size of
an OpenQASM file), the circuits each strategy executes (PEC samples, TREX
randomizations, REM calibration), the shots (per circuit and in total, over the
timed repeats and the statistics pass) and the memory the measured bits take. A
request over a cap, or needing more memory than the machine has available, is
refused with the figure it would need (README, "Limits"). The caps are set where
this code takes minutes or gigabytes on a laptop-class machine; they are not the
simulators' own limits.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import CapacityError

MAX_QUBITS = 1_000  # the exact value's stabilizer computation alone takes minutes beyond
MAX_GATES = 20_000  # gates of the circuit as given (lowering and noise insertion: ~ms each)
MAX_QASM_BYTES = 4_000_000  # an OpenQASM file, checked before it is read
MAX_SHOTS = 100_000_000  # shots per circuit
MAX_CIRCUITS = 100_000  # circuits one estimate executes (PEC samples, TREX randomizations)
MAX_TOTAL_SHOTS = 10_000_000_000  # shots one profile draws, timed pass and trials together
MEMORY_FRACTION = 0.5  # of the memory available when the profile starts

_LIMITS = "mitprof.limits"


def _fmt(n: float) -> str:
    return f"{n:,.0f}" if n < 1e15 else f"{n:.3g}"


def _bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n / 1e3:,.1f} kB"


def available_memory() -> int:
    """Bytes this process may still use: MemAvailable, or the cgroup's limit if lower."""
    avail = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = 2**34
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if limit != "max":
            avail = min(avail, int(limit) - used)
    except (OSError, ValueError):
        pass
    return max(int(avail), 0)


# ---------------------------------------------------------------- circuits


def check_qasm_file(path: Path) -> None:
    """Refuse an OpenQASM file too large to load, before reading it."""
    try:
        size = path.stat().st_size
    except OSError:
        return  # the reader reports it
    if size > MAX_QASM_BYTES:
        raise CapacityError(f"{path}: {_bytes(size)} of OpenQASM is over the limit of "
                            f"{_bytes(MAX_QASM_BYTES)} ({_LIMITS}.MAX_QASM_BYTES)")


def check_family(spec: str, params: dict[str, Any]) -> None:
    """Refuse a family circuit too wide or too large, before building it."""
    n = params.get("n")
    if isinstance(n, int | float) and n > MAX_QUBITS:
        raise CapacityError(f"{spec}: {_fmt(n)} qubits is over the limit of "
                            f"{_fmt(MAX_QUBITS)} ({_LIMITS}.MAX_QUBITS)")
    depth = params.get("depth", 1)
    if isinstance(n, int | float) and isinstance(depth, int | float) and n > 0 and depth > 0:
        if n * depth > MAX_GATES:
            raise CapacityError(f"{spec}: at least {_fmt(n * depth)} gates (n x depth) is "
                                f"over the limit of {_fmt(MAX_GATES)} ({_LIMITS}.MAX_GATES)")


def check_circuit(name: str, n_qubits: int, n_gates: int) -> None:
    if n_qubits > MAX_QUBITS:
        raise CapacityError(f"{name}: {_fmt(n_qubits)} qubits is over the limit of "
                            f"{_fmt(MAX_QUBITS)} ({_LIMITS}.MAX_QUBITS)")
    if n_gates > MAX_GATES:
        raise CapacityError(f"{name}: {_fmt(n_gates)} gates is over the limit of "
                            f"{_fmt(MAX_GATES)} ({_LIMITS}.MAX_GATES)")


# ---------------------------------------------------------------- the work of a profile


def circuits_per_estimate(strategy: Any, n_qubits: int, n_groups: int, gates: tuple[int, int],
                          noise: tuple[float, float]) -> float:
    """An upper estimate of the circuits one estimate of `strategy` executes (a typed
    `Strategy`: its circuit and readout techniques), calibration included."""
    circuit, readout = strategy.circuit, strategy.readout
    variants = 1.0
    if type(circuit).__name__ == "Stacked":  # transforms: variants of every inner circuit
        variants, circuit = float(circuit.variants), circuit.inner
    kind = type(circuit).__name__
    main = 1.0
    if kind == "ZNE":
        main = float(len(getattr(circuit, "scales", ()) or (1,)))
    elif kind == "PEC":
        samples = getattr(circuit, "samples", None)
        if samples:
            main = float(samples)
        else:  # Mitiq's rule: (gamma / precision)^2 samples, gamma from the gate counts
            from .theory import circuit_gamma

            precision = float(getattr(circuit, "precision", 0) or 0) or 1.0
            p1, p2 = noise
            try:
                gamma = circuit_gamma(gates[0], gates[1], min(p1, 0.7), min(p2, 0.9))
                main = math.ceil((gamma / precision) ** 2)
            except (OverflowError, ZeroDivisionError):
                main = math.inf
    elif kind == "LRE":  # one circuit per monomial of degree <= d in the chunks
        chunks = getattr(circuit, "chunks", None) or sum(gates)  # at most a layer per gate
        degree = int(getattr(circuit, "degree", 1))
        main = float(math.comb(chunks + degree, degree))
    elif kind == "CDR":  # the circuit and each training circuit at every scale factor
        main = float((1 + getattr(circuit, "train", 0)) * len(getattr(circuit, "scales", (1,))))
    main *= variants
    rkind = type(readout).__name__
    per_group = main
    calibration = 0.0
    if rkind == "TREX":
        per_group = main * float(getattr(readout, "randomizations", 1))
        calibration = float(getattr(readout, "randomizations", 1))
    elif rkind == "REM":
        calibration = 2.0 ** n_qubits if getattr(readout, "calibration", "") == "full" else 2.0
    return per_group * n_groups + calibration


def check_profile(strategies: Sequence[Any], n_qubits: int, n_groups: int,
                  gates: tuple[int, int], noise: tuple[float, float], shots: int,
                  repeats: int, trials: int, measured: int) -> None:
    """Refuse a profile whose circuits, shots or memory exceed the caps or the machine."""
    if shots > MAX_SHOTS:
        raise CapacityError(f"{_fmt(shots)} shots per circuit is over the limit of "
                            f"{_fmt(MAX_SHOTS)} ({_LIMITS}.MAX_SHOTS)")
    runs = repeats + 1 + trials  # warm-up, timed repeats, statistics pass
    total = 0.0
    widest = 0.0
    for spec in strategies:
        strategy = spec.strategy
        n = circuits_per_estimate(strategy, n_qubits, n_groups, gates, noise)
        label = getattr(strategy, "label", str(spec))
        if n > MAX_CIRCUITS:
            raise CapacityError(f"{label}: {_fmt(n)} circuits per estimate is over the limit "
                                f"of {_fmt(MAX_CIRCUITS)} ({_LIMITS}.MAX_CIRCUITS)")
        total += n * shots * runs
        widest = max(widest, n)
    if total > MAX_TOTAL_SHOTS:
        raise CapacityError(
            f"this profile would draw about {_fmt(total)} shots (circuits x {_fmt(shots)} "
            f"shots x {runs} runs: warm-up, {repeats} timed, {trials} trials), over the "
            f"limit of {_fmt(MAX_TOTAL_SHOTS)} ({_LIMITS}.MAX_TOTAL_SHOTS); lower --shots, "
            "--trials or the strategies' sizes")
    # the measured bits of one batch (one estimate's circuits) are held at once, as one
    # byte per bit, twice over while counts are expanded
    need = 2.0 * widest * shots * max(measured, 1)
    have = available_memory() * MEMORY_FRACTION
    if need > have:
        raise CapacityError(
            f"the measured bits of one estimate need about {_bytes(need)} of memory "
            f"({_fmt(widest)} circuits x {_fmt(shots)} shots x {max(measured, 1)} bits); "
            f"{_bytes(have)} is available to it ({MEMORY_FRACTION:.0%} of the available "
            "memory); lower --shots")
