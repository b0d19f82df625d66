"""A remote QPU job service test double (a test fixture, not a product feature).

`JobService` is an HTTP job service on 127.0.0.1 (random port, stdlib http.server) that
runs circuits on Aer under a device's model (a Qiskit fake backend's `run`: the same
simulation Qiskit Runtime's local mode runs), with the failure modes of real services:
queue latency, a maximum of circuits per job (413), rejected submissions (503, "busy"),
and jobs that fail mid-run (retryable or not, with the service's message).

`execute` is a client for it in the shape of a user's batched Mitiq executor: it
translates circuits to the device's ISA, submits a job, polls it, and returns counts
with the service's own queue and execution times; a busy service or a retryable
failure raises `TransientError` (mitprof retries with backoff), anything else a
RuntimeError with the service's message. Point it at a service with `configure`.
"""

from __future__ import annotations

import base64
import functools
import io
import itertools
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mitprof.backends.executor import Reported, TransientError

URL_ENV = "MITPROF_TEST_SERVICE"


@functools.cache
def fake_backend(name: str = "manila") -> Any:
    from qiskit_ibm_runtime import fake_provider

    from mitprof.devices import FAKE_DEVICES

    return getattr(fake_provider, FAKE_DEVICES[name])()


def _dump(circuits: list[Any]) -> str:
    from qiskit import qpy

    buf = io.BytesIO()
    qpy.dump(circuits, buf)
    return base64.b64encode(buf.getvalue()).decode()


def _load(text: str) -> list[Any]:
    from qiskit import qpy

    return list(qpy.load(io.BytesIO(base64.b64decode(text))))


class JobService:
    def __init__(self, device: str = "manila", max_circuits: int = 3,
                 queue_seconds: float = 0.02) -> None:
        self.backend = fake_backend(device)
        self.max_circuits, self.queue_seconds = max_circuits, queue_seconds
        self.reject_next = 0  # submissions answered 503 "busy" (transient)
        self.fail_next_transient = 0  # jobs failing mid-run, retryable
        # a job whose circuits satisfy this fails mid-run for good, with this message
        self.fail_when: tuple[Callable[[list[Any]], bool], str] | None = None
        self.log: list[dict[str, Any]] = []  # every submission: time, circuits, outcome
        self.jobs: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()  # one device: jobs run one at a time
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _send(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self._send(*service.submit(body))

            def do_GET(self) -> None:
                job = service.jobs.get(self.path.rsplit("/", 1)[-1])
                if job is None:
                    self._send(404, {"error": "no such job"})
                else:
                    with service._lock:
                        self._send(200, {k: v for k, v in job.items() if k != "circuits"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> JobService:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def submit(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        circuits = _load(body["circuits"])
        entry = {"t": time.perf_counter(), "circuits": len(circuits),
                 "bits": [c.num_clbits for c in circuits]}
        with self._lock:
            self.log.append(entry)
            if self.reject_next > 0:
                self.reject_next -= 1
                entry["outcome"] = "busy"
                return 503, {"error": "service busy: retry later"}
            if len(circuits) > self.max_circuits:
                entry["outcome"] = "too many circuits"
                return 413, {"error": f"job has {len(circuits)} circuits; the service accepts "
                                      f"at most {self.max_circuits} per job"}
            job_id = f"job-{next(self._ids)}"
            entry["outcome"], entry["job"] = "accepted", job_id
            self.jobs[job_id] = {"status": "queued", "submitted": time.perf_counter()}
        threading.Thread(target=self._run, args=(job_id, circuits, body), daemon=True).start()
        return 200, {"job_id": job_id}

    def _run(self, job_id: str, circuits: list[Any], body: dict[str, Any]) -> None:
        time.sleep(self.queue_seconds)
        with self._run_lock:
            job = self.jobs[job_id]
            started = time.perf_counter()
            with self._lock:
                job.update(status="running", queue_seconds=started - job["submitted"])
                transient = self.fail_next_transient > 0
                self.fail_next_transient -= transient
            fail = self.fail_when is not None and self.fail_when[0](circuits)
            if transient or fail:
                half = self.backend.run(circuits[:1], shots=body["shots"],
                                        seed_simulator=body["seed"]).result()  # ran, then broke
                message = ("device recalibration interrupted the job after "
                           f"{len(half.results)} of {len(circuits)} circuits" if transient
                           else self.fail_when[1])  # type: ignore[index]
                with self._lock:
                    job.update(status="failed", error=message, retryable=transient)
                return
            result = self.backend.run(circuits, shots=body["shots"],
                                      seed_simulator=body["seed"], memory=True).result()
            with self._lock:
                job.update(status="done", execution_seconds=time.perf_counter() - started,
                           counts=[result.get_counts(i) for i in range(len(circuits))])


# ------------------------------------------------------------------ the client (executor)

CLIENT: dict[str, Any] = {"layout": None, "poll": 0.005}


def configure(url: str, layout: tuple[int, ...] | None = None) -> None:
    os.environ[URL_ENV] = url
    CLIENT["layout"] = layout


def _request(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def to_device(circuits: list[Any]) -> list[Any]:
    """The client's translation to the device's ISA (the layout `configure` set, else the
    first qubits)."""
    from mitprof.backends.ibm_runtime import to_isa

    backend = fake_backend()
    return [to_isa(c, backend, CLIENT["layout"] or tuple(range(c.num_qubits)))
            for c in circuits]


def execute(circuits: list[Any], shots: int, seed: int) -> list[dict[str, int]]:
    base = os.environ[URL_ENV]
    code, body = _request(f"{base}/jobs", {"circuits": _dump(to_device(circuits)),
                                           "shots": shots, "seed": seed})
    if code == 503:
        raise TransientError(body["error"])
    if code != 200:
        raise RuntimeError(f"service refused the job ({code}): {body['error']}")
    while True:
        _, job = _request(f"{base}/jobs/{body['job_id']}")
        if job["status"] == "done":
            return Reported(job["counts"], job["execution_seconds"],  # type: ignore[return-value]
                            job["queue_seconds"])
        if job["status"] == "failed":
            if job["retryable"]:
                raise TransientError(job["error"])
            raise RuntimeError(f"job {body['job_id']} failed: {job['error']}")
        time.sleep(CLIENT["poll"])


execute.max_circuits = 3  # type: ignore[attr-defined]  # the service's documented limit
execute.backoff_seconds = 0.02  # type: ignore[attr-defined]


def aer_execute(circuits: list[Any], shots: int, seed: int) -> list[dict[str, int]]:
    """A user's own Aer-backed executor on the same device model (no service between)."""
    result = fake_backend().run(to_device(circuits), shots=shots, seed_simulator=seed,
                                memory=True).result()
    return Reported([result.get_counts(i) for i in range(len(circuits))],  # type: ignore
                    execution_seconds=float(result.time_taken))
