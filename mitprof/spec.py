"""Sweep specifications: frozen dataclasses, a strict TOML loader, and the point grid.

A sweep is the product of, for every `[[circuits]]` entry, its widths (`qubits`)
and depths, with the sweep's backends, noise levels and shot counts. Every
point gets a stable id: a hash of its full configuration (circuit, observable,
backend, noise level, shots, strategies, trials, repeats, hardware, seed), so
the same point has the same id in every run, order and runner.

A spec is checked before anything runs: families against `mitprof.families`,
strategies (and their options) by `mitprof.techniques`.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Any

from .errors import SpecError, shorten
from .seeds import FAMILY_MAX_SEED, MAX_SEED, check_seed  # noqa: F401  (MAX_SEED: re-exported)

DEFAULT_NOISE_LEVEL = 0.01
SWEEP_KEYS = ("name", "seed", "shots", "trials", "repeats", "backends", "noise_levels",
              "devices", "noise_scales", "hardware", "target_error", "budgets", "timeout",
              "max_shots", "max_seconds")
CIRCUIT_KEYS = ("family", "qubits", "depths", "params", "file", "observable", "observable_order")
STRATEGY_KEYS = ("name", "options")


# ---------------------------------------------------------------- families


def family_params(name: str) -> dict[str, int | float] | None:
    """The parameters of built-in family `name` with their defaults (None: unknown)."""
    from .families import FAMILIES

    fam = FAMILIES.get(name)
    return None if fam is None else dict(fam.defaults)


def family_names() -> list[str]:
    from .families import FAMILIES

    return list(FAMILIES)


# ---------------------------------------------------------------- strict value checks


def _kind(value: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", tuple: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _int(value: object, path: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{path}: expected an integer, got {_kind(value)} ({value!r})")
    if low is not None and value < low:
        raise SpecError(f"{path}: must be >= {low}, got {value}")
    if high is not None and value > high:
        raise SpecError(f"{path}: must be <= {high}, got {value}")
    return value


def _float(value: object, path: str, low: float | None = None, below: float | None = None,
           positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{path}: expected a number, got {_kind(value)} ({value!r})")
    x = float(value)
    if not math.isfinite(x):
        raise SpecError(f"{path}: must be finite, got {value!r}")
    if low is not None and x < low:
        raise SpecError(f"{path}: must be >= {low:g}, got {value!r}")
    if below is not None and x >= below:
        raise SpecError(f"{path}: must be < {below:g}, got {value!r}")
    if positive and x <= 0:
        raise SpecError(f"{path}: must be > 0, got {value!r}")
    return x


def _str(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise SpecError(f"{path}: expected a string, got {_kind(value)} ({value!r})")
    if not value.strip():
        raise SpecError(f"{path}: must not be empty")
    return value.strip()


def _list(value: object, path: str, scalar_ok: bool = False) -> list[Any]:
    """A non-empty list without repeats (one value is accepted where `scalar_ok`)."""
    if scalar_ok and not isinstance(value, list | tuple):
        return [value]
    if not isinstance(value, list | tuple):
        raise SpecError(f"{path}: expected a list, got {_kind(value)} ({value!r})")
    if not value:
        raise SpecError(f"{path}: must not be empty")
    return list(value)


def _unique(values: list[Any], path: str) -> tuple[Any, ...]:
    seen: set[Any] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise SpecError(f"{path}[{i}]: {v!r} is listed twice")
        seen.add(v)
    return tuple(values)


def _table(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SpecError(f"{path}: expected a table, got {_kind(value)} ({value!r})")
    return value


def _known_keys(table: Mapping[str, Any], allowed: Sequence[str], path: str) -> None:
    for key in table:
        if key not in allowed:
            # a key of any length: its start and its end, so the message stays one line
            where = shorten(f"{path}.{key}" if path else str(key), 80)
            raise SpecError(f"{where}: unknown key; valid keys: {', '.join(allowed)}")


# ---------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class CircuitSpec:
    """One `[[circuits]]` entry: a family over widths and depths, one OpenQASM file, or
    (from Python) one circuit object, `circuit=` a qiskit.QuantumCircuit or cirq.Circuit.

    `params` sets the family's other parameters (mirror/rb `seed` defaults to the
    sweep seed). `file` is resolved against the spec file's directory, then against
    the shipped set (`mitprof list circuits`); `observable` overrides the circuit's own:
    a Pauli string read in `observable_order` ("cirq", the default: character i is qubit
    i; "qiskit": the last is qubit 0) or, with `circuit=`, an observable object. A circuit
    object is identified by content: the hash of its canonical form names its points.
    """

    family: str | None = None
    qubits: tuple[int, ...] = ()
    depths: tuple[int, ...] = ()
    params: tuple[tuple[str, int | float], ...] = ()
    file: str | None = None
    observable: Any = None
    observable_order: str | None = None
    circuit: Any = field(default=None, compare=False)
    # filled by validation: the file's absolute path and content hash
    resolved_file: str | None = field(default=None, compare=False, repr=False)
    file_sha256: str | None = field(default=None, compare=False)
    # filled by validation for a circuit object: the hash of its canonical form, a label
    circuit_sha256: str | None = field(default=None)
    circuit_label: str | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        if self.circuit_sha256 is not None:
            d: dict[str, Any] = {"circuit": self.circuit_label, "sha256": self.circuit_sha256}
        elif self.file is not None:
            d = {"file": self.file}
        else:
            d = {"family": self.family, "qubits": list(self.qubits)}
            if self.depths:
                d["depths"] = list(self.depths)
            if self.params:
                d["params"] = dict(self.params)
        if self.observable is not None:
            d["observable"] = self.observable
        return d


@dataclass(frozen=True)
class SweepSpec:
    """A sweep: circuits x widths x depths x backends x noise levels x shots, each point
    profiled with every strategy. Construct it directly or with `load_spec`/`from_dict`;
    either way it is validated, and an error names the offending key's path."""

    circuits: tuple[CircuitSpec, ...]
    strategies: tuple[str, ...] = ("zne", "pec", "rem")
    name: str = "sweep"
    seed: int = 0
    shots: tuple[int, ...] = (1000,)
    trials: int | None = None  # None: the engine's default
    repeats: int = 3
    backends: tuple[str, ...] = ("aer",)
    noise_levels: tuple[float, ...] | None = None  # (0.01,) unless devices are given
    # device noise (`mitprof.devices`): every device at every noise scale, as noise settings
    # of their own next to the depolarizing noise_levels
    devices: tuple[str, ...] = ()
    noise_scales: tuple[float, ...] | None = None  # (1.0,) with devices
    hardware: str | tuple[tuple[str, float], ...] | None = None
    target_error: float | None = None
    # executor backends: caps on each point's statistics pass (re-runs on the device)
    max_shots: int | None = None
    max_seconds: float | None = None
    budgets: tuple[int, ...] = ()
    timeout: float | None = None  # seconds per point; not part of a point's identity
    base_dir: str | None = field(default=None, compare=False, repr=False)
    labels: tuple[str, ...] = field(default=(), compare=False, repr=False)
    # the strategies parsed once into typed specs (what workers receive)
    strategy_specs: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "name", _str(self.name, "sweep.name"))
        s(self, "seed", check_seed(self.seed, "sweep.seed"))
        s(self, "shots", _unique([_int(v, f"sweep.shots[{i}]", 1) for i, v in
                                  enumerate(_list(self.shots, "sweep.shots", True))],
                                 "sweep.shots"))
        if self.trials is not None:
            s(self, "trials", _int(self.trials, "sweep.trials", 0))
            if self.trials == 1:  # one trial has no variance (the engine's rule too)
                raise SpecError("sweep.trials: must be 0 (no statistics) or at least 2, got 1")
        s(self, "repeats", _int(self.repeats, "sweep.repeats", 1))
        from .backends import get_backend
        from .backends.registry import is_own_noise

        # executor module paths are case-sensitive; simulator names are not
        backends = [b if is_own_noise(b) else b.lower() for b in (
            _str(v, f"sweep.backends[{i}]")
            for i, v in enumerate(_list(self.backends, "sweep.backends", True)))]

        for i, b in enumerate(backends):
            try:
                get_backend(b)
            except SpecError as exc:
                raise SpecError(f"sweep.backends[{i}]: {exc}") from None
        s(self, "backends", _unique(backends, "sweep.backends"))
        s(self, "devices", _check_devices(self.devices, backends))
        levels = self.noise_levels
        if levels is None:
            levels = () if self.devices else (DEFAULT_NOISE_LEVEL,)
        # the readout error defaults to (noise, 2 x noise): levels must stay below 1/3
        s(self, "noise_levels", _unique(
            [_float(v, f"sweep.noise_levels[{i}]", 0.0, 1 / 3) for i, v in
             enumerate(_list(levels, "sweep.noise_levels", True)
                       if levels or not self.devices else [])],
            "sweep.noise_levels"))
        own = [b for b in self.backends if is_own_noise(b)]
        if own and self.noise_levels != (DEFAULT_NOISE_LEVEL,):
            _refuse_noise_levels(own[0])
        if self.noise_scales and not self.devices:  # () is what `replace` passes back
            raise SpecError("sweep.noise_scales: scales a device's noise; give sweep.devices")
        s(self, "noise_scales", _unique(
            [_float(v, f"sweep.noise_scales[{i}]", positive=True) for i, v in enumerate(
                _list(self.noise_scales if self.noise_scales else [1.0],
                      "sweep.noise_scales", True))], "sweep.noise_scales")
          if self.devices else ())
        s(self, "hardware", _hardware(self.hardware))
        if self.max_shots is not None:
            s(self, "max_shots", _int(self.max_shots, "sweep.max_shots", 1))
        if self.max_seconds is not None:
            s(self, "max_seconds", _float(self.max_seconds, "sweep.max_seconds", positive=True))
        if (self.max_shots is not None or self.max_seconds is not None) and not own:
            raise SpecError("sweep.max_shots, sweep.max_seconds: cap the statistics pass of "
                            "executor backends (executor:..., ibm_runtime:...); none is swept")
        if self.target_error is not None:
            s(self, "target_error", _float(self.target_error, "sweep.target_error",
                                           positive=True))
        s(self, "budgets", _unique([_int(v, f"sweep.budgets[{i}]", 1) for i, v in
                                    enumerate(_list(self.budgets or [], "sweep.budgets"))]
                                   if self.budgets else [], "sweep.budgets"))
        if self.timeout is not None:
            s(self, "timeout", _float(self.timeout, "sweep.timeout", positive=True))
        if not isinstance(self.circuits, list | tuple) or not self.circuits:
            raise SpecError("circuits: at least one [[circuits]] entry is required")
        base = Path(self.base_dir) if self.base_dir else Path.cwd()
        circuits = tuple(_check_circuit(c, f"circuits[{i}]", base, self.seed)
                         for i, c in enumerate(self.circuits))
        owner: dict[tuple[Any, ...], int] = {}  # every circuit belongs to one entry
        for i, c in enumerate(circuits):
            for key, shown in _circuit_keys(c, self.seed):
                j = owner.setdefault(key, i)
                if j != i:
                    raise SpecError(f"circuits[{i}]: {shown} is also in circuits[{j}]")
        s(self, "circuits", circuits)
        _check_widths(circuits, self.devices)
        specs = _check_strategies(self.strategies)
        s(self, "strategies", tuple(sp.text for sp in specs))
        s(self, "labels", ("unmitigated", *(sp.label for sp in specs)))
        s(self, "strategy_specs", specs)

    # ---------------------------------------------------------------- conversions

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base_dir: str | Path | None = None) -> SweepSpec:
        """From the TOML structure: `sweep`, `circuits` and `strategies` sections."""
        data = _table(data, "spec")
        _known_keys(data, ("sweep", "circuits", "strategies"), "")
        sweep = _table(data.get("sweep", {}), "sweep")
        _known_keys(sweep, SWEEP_KEYS, "sweep")
        raw_circuits = data.get("circuits")
        if raw_circuits is None:
            raise SpecError("circuits: at least one [[circuits]] entry is required")
        circuits: Any = tuple(_list(raw_circuits, "circuits"))  # checked in __post_init__
        strategies: list[Any] = []
        for i, st in enumerate(_list(data.get("strategies", [{"name": n} for n in
                                                             ("zne", "pec", "rem")]),
                                     "strategies")):
            strategies.append(_strategy_text(st, f"strategies[{i}]"))
        kwargs = {k: sweep[k] for k in SWEEP_KEYS if k in sweep}
        from .backends.registry import is_own_noise

        raw = sweep.get("backends", [])  # checked in __post_init__
        own = [b for b in (raw if isinstance(raw, list) else [raw]) if is_own_noise(b)]
        if own and "noise_levels" in sweep:  # even the default level, written out
            _refuse_noise_levels(own[0])
        if "hardware" in kwargs and isinstance(kwargs["hardware"], Mapping):
            kwargs["hardware"] = tuple(kwargs["hardware"].items())
        return cls(circuits=circuits, strategies=tuple(strategies),
                   base_dir=str(base_dir) if base_dir is not None else None, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The resolved spec, JSON-ready (what the store records)."""
        sweep: dict[str, Any] = {"name": self.name, "seed": self.seed, "shots": list(self.shots),
                                 "repeats": self.repeats, "backends": list(self.backends),
                                 "noise_levels": list(self.noise_levels or ())}
        if self.devices:
            sweep["devices"] = list(self.devices)
            sweep["noise_scales"] = list(self.noise_scales or ())
        for key in ("trials", "target_error", "timeout", "max_shots", "max_seconds"):
            if getattr(self, key) is not None:
                sweep[key] = getattr(self, key)
        if self.hardware is not None:
            sweep["hardware"] = _hardware_json(self.hardware)
        if self.budgets:
            sweep["budgets"] = list(self.budgets)
        return {"sweep": sweep, "circuits": [c.to_dict() for c in self.circuits],
                "strategies": [sp.to_table() for sp in self.strategy_specs]}

    @property
    def levels(self) -> tuple[float, ...]:
        """The noise levels (resolved in __post_init__: never None after it)."""
        assert self.noise_levels is not None
        return self.noise_levels

    def with_timeout(self, timeout: float | None) -> SweepSpec:
        return replace(self, timeout=timeout) if timeout is not None else self

    # ---------------------------------------------------------------- the grid

    @property
    def noises(self) -> tuple[tuple[float | None, str | None, float | None], ...]:
        """The noise axis: (noise level, None, None) per depolarizing level, then
        (None, device, noise scale) per device and scale."""
        return (*((level, None, None) for level in self.noise_levels or ()),
                *((None, d, sc) for d in self.devices for sc in self.noise_scales or ()))

    def __len__(self) -> int:
        per_point = len(self.backends) * len(self.noises) * len(self.shots)
        return per_point * sum(_grid_size(c) for c in self.circuits)

    def points(self) -> Iterator[Point]:
        """Every point in spec order (circuits, widths, depths, backends, noise, shots)."""
        offset = 0
        for ci, c in enumerate(self.circuits):
            yield from self._entry_points(ci, c, offset, descending=False)
            offset += _grid_size(c) * len(self.backends) * len(self.noises) * len(self.shots)

    def execution_order(self) -> Iterator[Point]:
        """Every point, the most expensive first (so the slowest do not finish last).

        Streams: each entry is walked from its widest, deepest, most-shot point, and
        the entries are merged by estimated cost, so nothing is held per point.
        """
        streams = []
        offset = 0
        for ci, c in enumerate(self.circuits):
            streams.append(self._entry_points(ci, c, offset, descending=True))
            offset += _grid_size(c) * len(self.backends) * len(self.noises) * len(self.shots)
        yield from heapq.merge(*streams, key=lambda p: -p.cost)

    def plan_digest(self) -> str:
        """Identifies the set of points (every field of their identity, file contents
        included): a store whose plan is complete for this digest need not plan again."""
        d = self.to_dict()
        d["sweep"].pop("timeout", None)
        return _digest([d, [c.file_sha256 for c in self.circuits]])

    def point_at(self, seq: int) -> Point | None:
        """The point at position `seq` in spec order (`points()`), without walking to it."""
        nb, nl, ns = len(self.backends), len(self.noises), len(self.shots)
        offset = 0
        for ci, c in enumerate(self.circuits):
            size = _grid_size(c) * nb * nl * ns
            if seq < offset + size:
                widths: list[int | None] = list(c.qubits) if c.family else [None]
                depths: list[int | None] = list(c.depths) if c.depths else [None]
                rest, si = divmod(seq - offset, ns)
                rest, li = divmod(rest, nl)
                rest, bi = divmod(rest, nb)
                qi, di = divmod(rest, len(depths))
                return self._point(ci, c, widths[qi], depths[di], self.backends[bi],
                                   self.noises[li], self.shots[si], seq)
            offset += size
        return None

    def _entry_points(self, ci: int, c: CircuitSpec, offset: int,
                      descending: bool) -> Iterator[Point]:
        widths: list[int | None] = list(c.qubits) if c.family else [None]
        depths: list[int | None] = list(c.depths) if c.depths else [None]
        noises = self.noises
        nb, nl, ns = len(self.backends), len(noises), len(self.shots)

        def order(values: Sequence[Any]) -> list[tuple[int, Any]]:
            idx = list(enumerate(values))
            if descending:
                idx.sort(key=lambda t: -(t[1] or 0))
            return idx

        for qi, n in order(widths):
            for di, d in order(depths):
                for si, shots in order(self.shots):
                    for bi, backend in enumerate(self.backends):
                        for li, level in enumerate(noises):
                            seq = offset + (((qi * len(depths) + di) * nb + bi) * nl + li) * ns + si
                            yield self._point(ci, c, n, d, backend, level, shots, seq)

    def _point(self, ci: int, c: CircuitSpec, n: int | None, depth: int | None, backend: str,
               noise: tuple[float | None, str | None, float | None], shots: int,
               seq: int) -> Point:
        level, device, scale = noise
        if c.family is not None:
            params: dict[str, Any] = {"n": n}
            if depth is not None:
                params["depth"] = depth
            params.update(c.params)
            names = family_params(c.family) or {}
            if "seed" in names and "seed" not in params:
                params["seed"] = self.seed
            ordered = {k: params[k] for k in names if k in params}
            circuit = f"{c.family}:" + ",".join(f"{k}={v!r}" for k, v in ordered.items())
            source: dict[str, Any] = {"family": c.family, "params": ordered}
            run_circuit = circuit
        elif c.circuit_sha256 is not None:
            circuit = str(c.circuit_label)
            source = {"object": c.circuit_label, "sha256": c.circuit_sha256}
            run_circuit = c.circuit  # the canonical Cirq circuit: workers need no re-lowering
        else:
            assert c.file is not None and c.resolved_file is not None
            circuit = c.file
            source = {"file": Path(c.file).name, "sha256": c.file_sha256}
            run_circuit = c.resolved_file
        physical: dict[str, Any] = {"circuit": source, "observable": c.observable,
                                    "backend": backend, "noise_level": level, "shots": shots}
        if device is not None:  # depolarizing points keep their ids
            del physical["noise_level"]
            physical.update(device=device, noise_scale=scale)
        config = {**physical, "strategies": list(self.strategies), "trials": self.trials,
                  "repeats": self.repeats, "hardware": _hardware_json(self.hardware),
                  "target_error": self.target_error, "budgets": list(self.budgets),
                  "seed": self.seed}
        # only where set: the ids of points of specs without caps stay what they were
        config.update({k: getattr(self, k) for k in ("max_shots", "max_seconds")
                       if getattr(self, k) is not None})
        return Point(
            point_id=_digest(config), seed_key=_digest(physical), seq=seq, circuit=circuit,
            family=c.family, n_qubits=n, depth=depth, backend=backend, noise_level=level,
            shots=shots, observable=c.observable, run_circuit=run_circuit,
            sweep_seed=self.seed, strategies=self.strategy_specs, labels=self.labels,
            trials=self.trials, repeats=self.repeats, hardware=config["hardware"],
            target_error=self.target_error, budgets=self.budgets, timeout=self.timeout,
            max_shots=self.max_shots, max_seconds=self.max_seconds,
            config=json.dumps(config, sort_keys=True), device=device, noise_scale=scale,
        )


@dataclass(frozen=True)
class Point:
    """One grid point: everything a worker needs to profile it, and nothing else."""

    point_id: str  # hash of the full configuration
    seed_key: str  # hash of the physical configuration (circuit, backend, noise, shots)
    seq: int  # position in spec order
    circuit: str  # family spec (mirror:n=3,depth=4,seed=1) or the file as written
    family: str | None
    n_qubits: int | None  # None for files until loaded
    depth: int | None  # the family's depth parameter; None where it has none (ghz, files)
    backend: str
    noise_level: float | None  # None on a device point
    shots: int
    observable: str | None
    run_circuit: Any  # what the engine is given (absolute path for files, canonical circuit)
    sweep_seed: int
    strategies: tuple[Any, ...]  # typed StrategySpecs, parsed once by the coordinator
    labels: tuple[str, ...]  # "unmitigated" and every strategy's configuration label
    trials: int | None
    repeats: int
    hardware: Any
    target_error: float | None
    budgets: tuple[int, ...]
    timeout: float | None
    config: str  # canonical JSON of the configuration the id is derived from
    max_shots: int | None = None  # statistics-pass caps (executor backends only)
    max_seconds: float | None = None
    device: str | None = None  # device noise (then noise_scale), instead of noise_level
    noise_scale: float | None = None

    @property
    def cost(self) -> float:
        """A rough relative cost for ordering: density matrices grow as 4^n. It is the
        logarithm of that (4.0**n overflows a float from n = 512 on)."""
        return ((self.n_qubits or 4) * math.log(4.0) + math.log(self.depth or 1)
                + math.log(self.shots))


# ---------------------------------------------------------------- helpers


def _refuse_noise_levels(backend: str) -> None:
    raise SpecError(f"sweep.noise_levels: backend {backend} brings its own noise; noise_levels "
                    "does not apply (leave it out, or sweep simulators in a spec of their own)")


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


def _grid_size(c: CircuitSpec) -> int:
    return (len(c.qubits) if c.family else 1) * max(1, len(c.depths))


def _hardware(value: Any) -> str | tuple[tuple[str, float], ...] | None:
    if value is None:
        return None
    out: str | tuple[tuple[str, float], ...]
    if isinstance(value, str):
        out = _str(value, "sweep.hardware")
    else:
        if isinstance(value, Mapping):
            value = tuple(value.items())
        if not (isinstance(value, tuple)
                and all(isinstance(t, tuple) and len(t) == 2 for t in value)):
            raise SpecError(f"sweep.hardware: expected a preset name or a table of seconds, "
                            f"got {_kind(value)} ({value!r})")
        out = tuple((_str(k, "sweep.hardware"), _float(v, f"sweep.hardware.{k}", 0.0))
                    for k, v in value)
    try:  # the hardware models, where this mitprof has them, check names and parameters
        from .hardware import get_model
    except ImportError:
        return out
    try:
        get_model(out if isinstance(out, str) else dict(out))
    except SpecError as exc:
        raise SpecError(f"sweep.hardware: {exc}") from None
    return out


def _circuit_keys(c: CircuitSpec, sweep_seed: int) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(identity, name) of every circuit an entry expands to."""
    if c.circuit_sha256 is not None:
        yield ("object", c.circuit_sha256, c.observable), str(c.circuit_label)
        return
    if c.file is not None:
        yield ("file", c.file_sha256, c.observable), c.file
        return
    assert c.family is not None
    params = dict(c.params)
    if "seed" in (family_params(c.family) or {}):
        params.setdefault("seed", sweep_seed)
    for n in c.qubits:
        for d in c.depths or (None,):
            shown = f"{c.family}:n={n}" + ("" if d is None else f",depth={d}")
            yield (c.family, n, d, tuple(sorted(params.items())), c.observable), shown


def _check_devices(devices: Any, backends: Sequence[str]) -> tuple[str, ...]:
    """Device names, each resolved (an unknown one is an error listing the known ones) and
    kept under its canonical name."""
    if devices is None or (isinstance(devices, list | tuple) and not devices):
        return ()
    from .devices import get_device

    names = []
    for i, d in enumerate(_list(devices, "sweep.devices", True)):
        try:
            names.append(get_device(_str(d, f"sweep.devices[{i}]")).name)
        except SpecError as exc:
            msg = str(exc)
            raise SpecError(msg if msg.startswith("sweep.") else
                            f"sweep.devices[{i}]: {msg}") from None
    return _unique(names, "sweep.devices")


def _check_widths(circuits: Sequence[CircuitSpec], devices: Sequence[str]) -> None:
    """A family wider than a device is refused before anything runs (files: when loaded)."""
    from .devices import get_device

    for name in devices:
        size = get_device(name).n_qubits
        for i, c in enumerate(circuits):
            if c.family is not None and max(c.qubits) > size:
                raise SpecError(f"circuits[{i}].qubits: {max(c.qubits)} qubits do not fit "
                                f"device {name} ({size} qubits)")


def _hardware_json(value: str | tuple[tuple[str, float], ...] | None) -> Any:
    return value if value is None or isinstance(value, str) else dict(value)


def _check_circuit(c: object, path: str, base: Path, sweep_seed: int) -> CircuitSpec:
    if isinstance(c, Mapping):
        _known_keys(c, CIRCUIT_KEYS, path)
        c = CircuitSpec(family=c.get("family"), qubits=c.get("qubits", ()),
                        depths=c.get("depths", ()),
                        params=tuple(_table(c.get("params", {}), f"{path}.params").items()),
                        file=c.get("file"), observable=c.get("observable"),
                        observable_order=c.get("observable_order"))
    if not isinstance(c, CircuitSpec):
        raise SpecError(f"{path}: expected a table (or CircuitSpec), got {_kind(c)}")
    order = c.observable_order
    if order is not None and order not in ("cirq", "qiskit"):
        raise SpecError(f"{path}.observable_order: expected 'cirq' or 'qiskit', got {order!r}")
    if sum(x is not None for x in (c.family, c.file, c.circuit)) != 1:
        raise SpecError(f"{path}: give exactly one of `family`, `file` or (from Python) "
                        "`circuit`")
    if c.circuit is not None:
        return _check_object(c, path)
    observable = None if c.observable is None else _str(c.observable, f"{path}.observable")
    if observable is not None:  # its terms and weights now; its width when the circuit is built
        from .observables import parse_observable

        try:
            parsed = parse_observable(observable)
            if order == "qiskit":  # stored in mitprof's order
                observable = str(parsed.mirrored())
        except SpecError as exc:
            raise SpecError(f"{path}.observable: {exc}") from None
    if c.file is not None:
        for key in ("qubits", "depths", "params"):
            if getattr(c, key):
                raise SpecError(f"{path}.{key}: only for families (a file has fixed width "
                                "and depth)")
        text = _str(c.file, f"{path}.file")
        found = _find_file(text, base)
        if found is None:
            raise SpecError(f"{path}.file: no such circuit file: {text} (looked in {base} and "
                            "the shipped set)")
        try:
            digest = hashlib.sha256(found.read_bytes()).hexdigest()
        except OSError as exc:
            raise SpecError(f"{path}.file: cannot read {found}: {exc.strerror}") from None
        return CircuitSpec(file=text, observable=observable, resolved_file=str(found),
                           file_sha256=digest)
    family = _str(c.family, f"{path}.family").lower()
    defaults = family_params(family)
    if defaults is None:
        raise SpecError(f"{path}.family: unknown family {family!r}; valid: "
                        f"{', '.join(family_names())}")
    if not c.qubits:
        raise SpecError(f"{path}.qubits: required for a family (the widths to sweep)")
    qubits = _unique([_int(v, f"{path}.qubits[{i}]", 1) for i, v in
                      enumerate(_list(c.qubits, f"{path}.qubits", True))], f"{path}.qubits")
    has_depth = "depth" in defaults
    if c.depths and not has_depth:
        raise SpecError(f"{path}.depths: family {family!r} has no depth parameter; remove it")
    depths: tuple[int, ...] = ()
    if has_depth:
        raw = c.depths if c.depths else [defaults["depth"]]
        depths = _unique([_int(v, f"{path}.depths[{i}]", 1) for i, v in
                          enumerate(_list(raw, f"{path}.depths", True))], f"{path}.depths")
    params: list[tuple[str, int | float]] = []
    for key, value in (c.params.items() if isinstance(c.params, Mapping) else c.params):
        where = f"{path}.params.{key}"
        if key in ("n", "depth"):
            raise SpecError(f"{where}: set widths with `qubits` and depths with `depths`")
        if key not in defaults:
            others = [p for p in defaults if p not in ("n", "depth")]
            raise SpecError(f"{where}: unknown parameter for family {family!r}; valid: "
                            f"{', '.join(others) or 'none'}")
        if key == "seed":
            params.append((key, _int(value, where, 0, FAMILY_MAX_SEED)))
        elif isinstance(defaults[key], int):
            params.append((key, _int(value, where)))
        else:
            params.append((key, _float(value, where)))
    if "seed" in defaults and "seed" not in dict(params) and sweep_seed > FAMILY_MAX_SEED:
        raise SpecError(f"{path}.params.seed: family {family!r} takes seeds up to 2**32 - 1 "
                        f"and defaults to the sweep seed ({sweep_seed}); set params.seed")
    return CircuitSpec(family=family, qubits=qubits, depths=depths,
                       params=tuple(sorted(params)), observable=observable)


def _check_object(c: CircuitSpec, path: str) -> CircuitSpec:
    """A circuit object: lowered once here, identified by the hash of its canonical form,
    its observable converted to a string in mitprof's order."""
    for key in ("qubits", "depths", "params"):
        if getattr(c, key):
            raise SpecError(f"{path}.{key}: only for families (a circuit has fixed width "
                            "and depth)")
    from .circuits import canonical_text, resolve

    try:
        workload = resolve(c.circuit, c.observable, c.observable_order)
    except SpecError as exc:
        raise SpecError(f"{path}.circuit: {exc}") from None
    digest = hashlib.sha256(canonical_text(workload.circuit).encode()).hexdigest()
    kind = "qiskit" if type(c.circuit).__module__.startswith("qiskit") else "cirq"
    name = str(getattr(c.circuit, "name", "") or "")
    generated = not name or re.fullmatch(r"circuit-\d+", name) is not None  # Qiskit's default
    label = f"{kind}:{digest[:12]}" if generated else f"{name}@{digest[:12]}"
    return CircuitSpec(circuit=workload.circuit, observable=str(workload.observable),
                       circuit_sha256=digest, circuit_label=label)


def _find_file(text: str, base: Path) -> Path | None:
    path = Path(text).expanduser()
    candidates = [path] if path.is_absolute() else [base / path]
    from .circuits import QASM_DIR

    shipped = QASM_DIR / path.name
    candidates.append(shipped)
    for cand in candidates:
        if cand.is_file() and (cand != shipped or len(path.parts) == 1):  # bare names only
            return cand.resolve()
    return None


def _strategy_text(item: object, path: str) -> str:
    """A `[[strategies]]` table ({name, options}) or a spec string, as a spec string."""
    if isinstance(item, str):
        return _str(item, path)
    table = _table(item, path)
    _known_keys(table, STRATEGY_KEYS, path)
    if "name" not in table:
        raise SpecError(f"{path}.name: required")
    name = _str(table["name"], f"{path}.name")
    opts = _table(table.get("options", {}), f"{path}.options")
    parts = []
    for key, value in opts.items():
        where = f"{path}.options.{key}"
        if isinstance(value, list | tuple):
            items = [_float(v, f"{where}[{i}]") for i, v in enumerate(value)]
            text = "-".join(f"{v:g}" for v in items)
        elif isinstance(value, bool) or not isinstance(value, str | int | float):
            raise SpecError(f"{where}: expected a string, number or list of numbers, got "
                            f"{_kind(value)}")
        else:
            text = str(value)
        if not text or any(ch in text for ch in ",:="):
            raise SpecError(f"{where}: invalid value {value!r}")
        parts.append(f"{key}={text}")
    return name + (":" + ",".join(parts) if parts else "")


def _check_strategies(items: object) -> tuple[Any, ...]:
    """The typed strategy specs (canonical options), 'unmitigated' left out (always run)."""
    from .techniques import StrategySpec

    raw = _list(items, "strategies", scalar_ok=isinstance(items, str))
    specs: list[StrategySpec] = []
    labels = ["unmitigated"]
    for i, item in enumerate(raw):
        path = f"strategies[{i}]"
        if isinstance(item, StrategySpec):
            spec = item
        else:
            try:
                spec = StrategySpec.parse(_strategy_text(item, path))
            except SpecError as exc:
                msg = str(exc)
                raise SpecError(msg if msg.startswith(path) else f"{path}: {msg}") from None
        if spec.name == "unmitigated":
            continue
        if spec.label in labels:
            raise SpecError(f"strategies[{len(specs)}]: repeats the configuration {spec.label}")
        labels.append(spec.label)
        specs.append(spec)
    return tuple(specs)


def load_spec(source: str | Path | Mapping[str, Any] | SweepSpec) -> SweepSpec:
    """A validated SweepSpec from a TOML file, a mapping of its structure, or a SweepSpec."""
    if isinstance(source, SweepSpec):
        return source
    if isinstance(source, Mapping):
        return SweepSpec.from_dict(source)
    if not isinstance(source, str | PathLike):
        raise SpecError(f"spec: expected a TOML file, a mapping or a SweepSpec, got "
                        f"{_kind(source)} ({source!r})")
    path = Path(source)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError(f"{path}: no such spec file") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: is a directory, not a spec file") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise SpecError(f"{path}: invalid TOML: nested too deeply") from None
    try:
        sweep = data.setdefault("sweep", {})
        if isinstance(sweep, dict):
            sweep.setdefault("name", path.stem)
        return SweepSpec.from_dict(data, base_dir=path.resolve().parent)
    except SpecError as exc:
        raise SpecError(f"{path}: {exc}") from None
