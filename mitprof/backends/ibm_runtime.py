"""`ibm_runtime:DEVICE`: Qiskit Runtime's SamplerV2 on a device, through IBM's own client.

`DEVICE` a fake backend (`fake_manila`, `sherbrooke`, ...: `mitprof.devices`) runs in
Qiskit Runtime's local testing mode: the real client code path, offline, on Aer with the
snapshot's noise. Any other name is looked up with a saved account
(`QiskitRuntimeService().backend(NAME)`) and runs on hardware. The circuit is routed onto
the device once (`devices.route`, no optimisation), and each executed circuit (folds and
all) is translated to the device's ISA at optimisation level 0, so no fold is cancelled.
Execution spans in the result's metadata, where the service reports them, are the
execution time; the rest of each call is queue and network.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ..errors import SpecError
from .executor import ExecutorBackend, Reported

if TYPE_CHECKING:
    from ..circuits import Workload


def to_isa(circuit: Any, backend: Any, layout: tuple[int, ...]) -> Any:
    """A routed circuit on its active qubits -> the device's ISA on physical `layout`,
    basis translation only (optimisation level 0 cancels nothing)."""
    from qiskit import transpile

    return transpile(circuit, backend=backend, initial_layout=list(layout),
                     optimization_level=0, seed_transpiler=1)


def _bit_array(pub_result: Any) -> Any:
    data = pub_result.data
    names = list(data.keys())
    if len(names) != 1:
        raise SpecError(f"expected one classical register in the sampler's result, got {names}")
    return getattr(data, names[0])


def execution_seconds(result: Any) -> float | None:
    """The service's execution spans (start of the first to stop of the last), where it
    reports them; local testing mode does not."""
    spans = (getattr(result, "metadata", None) or {}).get("execution", {}).get(
        "execution_spans")
    if spans is None or not len(spans):
        return None
    return float((spans.stop - spans.start).total_seconds())


class IBMRuntimeBackend(ExecutorBackend):
    def __init__(self, device: str) -> None:
        if not device:
            raise SpecError("ibm_runtime needs a device: ibm_runtime:fake_manila (local "
                            "testing mode) or ibm_runtime:DEVICE (a saved account)")
        from ..devices import FAKE_DEVICES, get_device

        self.device = device
        key = device.lower().removeprefix("fake").lstrip("_").removesuffix("v2")
        self.local = key in FAKE_DEVICES
        self.calibration = get_device(device) if self.local else None
        self._backend: Any = None
        self.layout: tuple[int, ...] = ()
        super().__init__(self._sample, label=f"ibm_runtime:{device}")
        self.name = self.label
        self.batched, self.cirq_input = True, False
        self.takes_shots = self.takes_seed = True
        self.max_circuits = None

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "kind": "ibm_runtime", "device": self.device,
                "mode": "local testing (fake backend, Aer)" if self.local else "service",
                "primitive": "SamplerV2", "layout": list(self.layout)}

    def backend(self) -> Any:
        from ..devices import FAKE_DEVICES

        if self._backend is None:
            if self.local:
                from qiskit_ibm_runtime import fake_provider

                key = self.device.lower().removeprefix("fake").lstrip("_").removesuffix("v2")
                self._backend = getattr(fake_provider, FAKE_DEVICES[key])()
            else:  # hardware: needs a saved account (documented, not tested offline)
                from qiskit_ibm_runtime import QiskitRuntimeService

                try:
                    self._backend = QiskitRuntimeService().backend(self.device)
                except Exception as exc:  # no saved account, unknown device, no network
                    raise SpecError(f"ibm_runtime:{self.device}: not a fake backend (known: "
                                    f"{', '.join(FAKE_DEVICES)}) and Qiskit Runtime cannot "
                                    f"provide it: {type(exc).__name__}: {exc}") from None
        return self._backend

    def place(self, workload: Workload) -> tuple[Workload, dict[str, Any] | None]:
        from ..devices import from_backend, route

        cal = self.calibration or from_backend(self.backend(), self.device)
        routed, info = route(workload, cal)
        self.layout = info.layout
        return routed, info.to_dict()

    def compile(self, circuits: list[Any], n_qubits: int, noise: Any) -> list[Any]:
        """Qiskit circuits translated to the device's ISA (timed as compilation)."""
        be = self.backend()
        layout = self.layout or tuple(range(n_qubits))
        return [(m, to_isa(qc, be, layout)) for m, qc in super().compile(circuits, n_qubits,
                                                                          noise)]

    def _sample(self, isa: list[Any], shots: int, seed: int) -> Reported:
        with warnings.catch_warnings():
            # SamplerV2 is deprecated in 0.50 in favour of a client-side sampler; it is
            # still the primitive hardware users call
            warnings.simplefilter("ignore", DeprecationWarning)
            from qiskit_ibm_runtime import SamplerV2

            be = self.backend()
            options: dict[str, Any] = {"default_shots": shots}
            if self.local:
                options["simulator"] = {"seed_simulator": seed}
            sampler = SamplerV2(mode=be, options=options)
            result = sampler.run(isa, shots=shots).result()
        return Reported([_bit_array(r) for r in result], execution_seconds(result),
                        metadata=dict(getattr(result, "metadata", {}) or {}))
