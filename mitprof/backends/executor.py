"""Profile any executor: a user's Mitiq-compatible function runs the circuits, under its
own noise (a device, a provider's service), and mitprof times every call.

An executor takes one circuit (a Qiskit `QuantumCircuit`, or a `cirq.Circuit` where its
first parameter is annotated so) and returns counts (a dict of bitstrings in Qiskit's
order: clbit 0 rightmost) or a `mitiq.MeasurementResult` (bits left to right in
measurement order). It is batched, as Mitiq decides it, when its return annotation is a
list/Sequence/Iterable/tuple of results. Optional keyword parameters `shots` (an int: a
batch is split by shot count) and `seed` are passed where the function has them;
without `shots` it must return the shots asked for. Optional attributes on the function:
`max_circuits` (per call), `max_retries` and `backoff_seconds` (for `TransientError`).
A result (or a batch's list) wrapped in `Reported(..., execution_seconds=,
queue_seconds=)` carries the executor's own times; the rest of a call's wall-clock is
queue and network.
"""

from __future__ import annotations

import importlib
import inspect
import time
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MitprofError, SpecError, shorten
from ..measure import now
from .base import Capabilities, RunOutput, measured_qubits

if TYPE_CHECKING:
    import cirq

    from ..circuits import Workload
    from ..noise import NoiseModel

DEFAULT_RETRIES = 4
DEFAULT_BACKOFF = 0.5  # seconds before the first retry; doubled at each further one


class TransientError(Exception):
    """Raised by an executor for a failure worth retrying (a busy service, a dropped
    connection): mitprof retries the call with exponential backoff."""


class ExecutorError(MitprofError):
    """The executor failed for good, or returned something that is not a result."""


class BudgetExceeded(ExecutorError):
    """A call not made: it would have gone over the statistics pass's cap."""


@dataclass
class Reported:
    """A result (or a batch's results) with the times the executor itself reports."""

    result: Any
    execution_seconds: float | None = None
    queue_seconds: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Call:
    """One call of the executor, as measured."""

    circuits: int
    shots: int
    seconds: float  # wall-clock of the call, retries and backoff included
    attempts: int
    execution_seconds: float | None  # reported by the executor
    queue_seconds: float | None  # reported by the executor

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


class OwnNoise:
    """The noise model of a backend that brings its own noise: nothing mitprof knows or
    inserts. Techniques that need a model of the noise (PEC) are refused before they run;
    `apply` is never called (the engine gives such a backend no model)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def apply(self, circuit: cirq.Circuit) -> cirq.Circuit:
        raise MitprofError(f"{self.source} brings its own noise: nothing to insert")

    def gate_depolarizing(self, op: cirq.Operation) -> float:
        return 0.0

    @property
    def idle_noise(self) -> bool:
        return True  # a device's idle qubits decohere: fold=identity scales noise there

    @property
    def readout(self) -> tuple[float, float]:
        return (0.0, 0.0)  # unknown: REM calibrates it with circuits

    def to_dict(self) -> dict[str, Any]:
        return {"model": "own", "source": self.source}


def load_executor(path: str) -> Callable[..., Any]:
    """`package.module:function` (attributes may be dotted) -> the callable."""
    module_name, colon, attr = str(path).partition(":")
    if not colon or not module_name or not attr:
        raise SpecError(f"executor {path!r}: expected package.module:function")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise SpecError(f"executor {path!r}: cannot import {module_name}: {exc}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SpecError(f"executor {path!r}: module {module_name} has no {attr}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise SpecError(f"executor {path!r}: {attr} is not callable")
    return typing.cast(Callable[..., Any], obj)


def identity(fn: Callable[..., Any]) -> str:
    """`module:qualname` of a function (what a spec would name it by)."""
    module = getattr(fn, "__module__", None) or type(fn).__module__
    name = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    return f"{module}:{name}"


def _annotations(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn)
    except Exception:  # unresolvable string annotations: read them as written
        try:
            return dict(inspect.getfullargspec(fn).annotations)
        except TypeError:
            return {}


def is_batched(fn: Callable[..., Any]) -> bool:
    """Mitiq's rule: batched iff the return annotation is an iterable of results."""
    ret = _annotations(fn).get("return")
    origin = typing.get_origin(ret) or ret
    if isinstance(ret, str):
        return ret.split("[")[0].strip().rsplit(".", 1)[-1] in (
            "list", "List", "Sequence", "Iterable", "tuple", "Tuple")
    return origin in (list, tuple, Sequence, Iterable, typing.List, typing.Tuple)  # noqa: UP006


def _wants_cirq(fn: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    if not params:
        return False
    hint = _annotations(fn).get(params[0].name, params[0].annotation)
    return "cirq" in str(getattr(hint, "__module__", "")) + str(hint)


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def to_bits(result: Any, m: int, where: str) -> np.ndarray:
    """An executor's result for one circuit measuring m bits -> (shots, m) 0/1 array in
    measurement order. Counts are in Qiskit's order; a MeasurementResult left to right."""
    from .aer import _counts_to_bits

    if hasattr(result, "to_bool_array") and hasattr(result, "num_bits"):  # Qiskit BitArray
        if result.num_bits != m:
            raise ExecutorError(f"{where}: {result.num_bits} bits measured, expected {m}")
        return np.asarray(result.to_bool_array(order="little"), dtype=np.uint8).reshape(-1, m)
    if isinstance(result, dict):
        keys = [str(k).replace(" ", "") for k in result]
        if any(len(k) != m or set(k) - {"0", "1"} for k in keys) or any(
                not isinstance(v, int | np.integer) or v < 0 for v in result.values()):
            raise ExecutorError(f"{where}: counts must map {m}-bit strings of 0/1 to "
                                f"non-negative integers, got {shorten(repr(result), 120)}")
        return _counts_to_bits({k: int(v) for k, v in zip(keys, result.values(),
                                                          strict=True)}, m)
    if hasattr(result, "asarray") and hasattr(result, "nqubits"):  # mitiq MeasurementResult
        arr = np.asarray(result.asarray, dtype=np.uint8)
        if result.shots and result.nqubits != m:
            raise ExecutorError(f"{where}: {result.nqubits} bits measured, expected {m}")
        return arr.reshape(-1, m)
    raise ExecutorError(f"{where}: expected counts (a dict) or a MeasurementResult, got "
                        f"{type(result).__name__}: {shorten(repr(result), 120)}")


class ExecutorBackend:
    """A backend that hands circuits to an executor function and times each call."""

    name = "executor"
    method_used: str | None = "executor"

    def __init__(self, fn: Callable[..., Any], label: str | None = None) -> None:
        if not callable(fn):
            raise SpecError(f"executor must be callable, got {fn!r}")
        self.fn = fn
        self.label = label or identity(fn)
        self.name = f"executor:{self.label}"
        self.batched = is_batched(fn)
        self.cirq_input = _wants_cirq(fn)
        self.takes_shots, self.takes_seed = _accepts(fn, "shots"), _accepts(fn, "seed")
        limit = getattr(fn, "max_circuits", None)
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise SpecError(f"executor {self.label}: max_circuits must be a positive integer")
        self.max_circuits = limit if self.batched else 1
        self.max_retries = getattr(fn, "max_retries", DEFAULT_RETRIES)
        self.backoff = getattr(fn, "backoff_seconds", DEFAULT_BACKOFF)
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) \
                or self.max_retries < 0:
            raise SpecError(f"executor {self.label}: max_retries must be an integer >= 0")
        if isinstance(self.backoff, bool) or not isinstance(self.backoff, int | float) \
                or not 0 <= self.backoff < 3600:
            raise SpecError(f"executor {self.label}: backoff_seconds must be in [0, 3600)")
        self.calls: list[Call] = []  # every call since the last `take_calls`
        self.spent_shots = 0
        self.shot_cap: int | None = None  # set by the statistics pass (--max-shots)
        self.time_cap_at: float | None = None  # ... and its deadline (--max-seconds)

    # ------------------------------------------------------------------ protocol

    @property
    def capabilities(self) -> Capabilities:
        from ..lowering import QISKIT_BASIS

        return Capabilities(exact_max_qubits=0, max_qubits=None, clifford_only=False,
                            gate_set=frozenset(QISKIT_BASIS), own_noise=True)

    def describe(self) -> dict[str, Any]:
        """Who ran the circuits: stored with every profile."""
        return {"kind": "executor", "function": self.label, "batched": self.batched,
                "input": "cirq" if self.cirq_input else "qiskit",
                "max_circuits": self.max_circuits, "takes_shots": self.takes_shots,
                "takes_seed": self.takes_seed}

    def place(self, workload: Workload) -> tuple[Workload, dict[str, Any] | None]:
        """The workload as this backend runs it (a device backend routes it)."""
        return workload, None

    def choose(self, n_qubits: int, clifford: bool) -> str:
        return "executor"

    def exact_available(self, n_qubits: int) -> bool:
        return False

    def probabilities_many(self, circuits: list[cirq.Circuit], n_qubits: int,
                           noise: NoiseModel | None) -> list[np.ndarray]:
        from ..errors import CapacityError

        raise CapacityError(f"{self.name} runs circuits; it has no exact output distributions")

    def compile(self, circuits: list[cirq.Circuit], n_qubits: int,
                noise: NoiseModel | None) -> list[Any]:
        if noise is not None:
            raise SpecError(f"{self.name} brings its own noise: it takes no noise model")
        from ..lowering import to_qiskit

        return [(len(measured_qubits(c)), c if self.cirq_input else to_qiskit(c, n_qubits))
                for c in circuits]

    def run(self, compiled: list[Any], shots: list[int], seed: int) -> RunOutput:
        bits: list[np.ndarray | None] = [None] * len(compiled)
        # one call per group of at most max_circuits circuits with the same shot count
        groups: dict[int, list[int]] = {}
        for i, s in enumerate(shots):
            groups.setdefault(int(s) if self.takes_shots else 0, []).append(i)
        reported: list[float | None] = []
        calls = 0  # each call of a run gets a seed of its own
        for s, idx in groups.items():
            step = self.max_circuits or len(idx)
            for start in range(0, len(idx), step):
                part = idx[start:start + step]
                out, call = self._call([compiled[i] for i in part], s, seed + calls)
                calls += 1
                for i, b in zip(part, out, strict=True):
                    if not self.takes_shots and b.shape[0] != shots[i]:
                        raise ExecutorError(
                            f"executor {self.label} returned {b.shape[0]} shots for a circuit "
                            f"that asked for {shots[i]}: give it a `shots` parameter")
                    bits[i] = b
                reported.append(call.execution_seconds)
        known = None if not reported or None in reported else float(sum(
            r for r in reported if r is not None))
        return RunOutput([b for b in bits if b is not None], known)

    # ------------------------------------------------------------------ calls

    def take_calls(self) -> list[Call]:
        calls, self.calls = self.calls, []
        return calls

    def _call(self, batch: list[Any], shots: int, seed: int) -> tuple[list[np.ndarray], Call]:
        total = shots * len(batch)
        if self.shot_cap is not None and self.spent_shots + total > self.shot_cap:
            raise BudgetExceeded(f"stopped before spending more than the cap of {self.shot_cap} "
                                f"shots (--max-shots): {self.spent_shots} spent, the next call "
                                f"needs {total}")
        if self.time_cap_at is not None and now() > self.time_cap_at:
            raise BudgetExceeded("stopped at the time cap (--max-seconds) before the next call")
        kwargs: dict[str, Any] = {}
        if self.takes_shots:
            kwargs["shots"] = shots
        if self.takes_seed:
            kwargs["seed"] = int(seed % 2**31) or 1  # Qiskit's local mode ignores seed 0
        circuits = [c for _, c in batch]
        t0 = now()
        attempts = 0
        while True:
            attempts += 1
            try:
                raw = self.fn(circuits, **kwargs) if self.batched else [
                    self.fn(c, **_seeded(kwargs, i)) for i, c in enumerate(circuits)]
                break
            except TransientError as exc:
                if attempts > self.max_retries:
                    raise ExecutorError(f"executor {self.label} failed {attempts} times "
                                        f"(transient, retried with backoff): {exc}") from None
                time.sleep(self.backoff * 2 ** (attempts - 1))
            except MitprofError:
                raise
            except Exception as exc:
                raise ExecutorError(f"executor {self.label} raised {type(exc).__name__}: "
                                    f"{exc}") from None
        seconds = now() - t0
        execution, queue, results = _unwrap(raw, self.batched)
        if not isinstance(results, list | tuple) or len(results) != len(batch):
            got = len(results) if isinstance(results, list | tuple) else type(results).__name__
            raise ExecutorError(f"executor {self.label} returned {got} results for "
                                f"{len(batch)} circuits")
        out = [to_bits(r, m, f"executor {self.label}") for r, (m, _) in
               zip(results, batch, strict=True)]
        call = Call(len(batch), int(sum(b.shape[0] for b in out)), seconds, attempts,
                    execution, queue)
        self.calls.append(call)
        self.spent_shots += call.shots
        return out, call


def _seeded(kwargs: dict[str, Any], i: int) -> dict[str, Any]:
    """A serial executor's i-th circuit of a call gets a seed of its own (the same seed
    would correlate the shot noise of different circuits)."""
    return {**kwargs, "seed": kwargs["seed"] + i} if "seed" in kwargs else kwargs


def _unwrap(raw: Any, batched: bool) -> tuple[float | None, float | None, Any]:
    """(reported execution seconds, reported queue seconds, results) of one call."""
    if batched:
        if isinstance(raw, Reported):
            return raw.execution_seconds, raw.queue_seconds, raw.result
        raw = list(raw) if isinstance(raw, list | tuple) else raw
        if isinstance(raw, list) and raw and all(isinstance(r, Reported) for r in raw):
            return _sum([r.execution_seconds for r in raw]), _sum(
                [r.queue_seconds for r in raw]), [r.result for r in raw]
        return None, None, raw
    items = [r for r in raw if isinstance(r, Reported)]
    if items and len(items) == len(raw):
        return _sum([r.execution_seconds for r in items]), _sum(
            [r.queue_seconds for r in items]), [r.result for r in items]
    return None, None, [r.result if isinstance(r, Reported) else r for r in raw]


def _sum(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else float(sum(v for v in values
                                                                 if v is not None))


def latency(calls: list[Call]) -> dict[str, Any]:
    """Per-call latency, batch sizes and the split of wall-clock into execution (as the
    executor reports it) and queue + network (the rest), over a list of calls."""
    wall = float(sum(c.seconds for c in calls))
    execs = [c.execution_seconds for c in calls]
    execution = None if not calls or None in execs else float(
        sum(e for e in execs if e is not None))
    queue = [c.queue_seconds for c in calls]
    return {
        "calls": len(calls),
        "batch_sizes": [c.circuits for c in calls],
        "call_seconds": [c.seconds for c in calls],
        "attempts": [c.attempts for c in calls],
        "wall_seconds": wall,
        "execution_seconds": execution,  # None: the executor does not report it
        "queue_network_seconds": None if execution is None else max(0.0, wall - execution),
        "reported_queue_seconds": None if not calls or None in queue else float(
            sum(q for q in queue if q is not None)),
    }
