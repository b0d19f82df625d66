"""Profiles of executors that bring their own noise: a user's Aer-backed function,
Qiskit Runtime's SamplerV2 in local testing mode, and a loopback job service test double
(tests/jobservice.py) with queue latency, a per-job circuit limit, rejected submissions and
jobs failing mid-run."""

import json
import sqlite3

import cirq
import jobservice as js
import numpy as np
import pytest
from click.testing import CliRunner

import mitprof
from mitprof.backends import get_backend
from mitprof.backends.executor import BudgetExceeded, ExecutorBackend, ExecutorError
from mitprof.backends.executor_testing import counts_of as _counts
from mitprof.circuits import resolve
from mitprof.cli import main
from mitprof.errors import MitprofError, SpecError
from mitprof.sweep import run_sweep

SHOTS = 200


@pytest.fixture(scope="module")
def ibm():
    """The local-runtime backend and GHZ-2 routed onto fake Manila."""
    be = get_backend("ibm_runtime:fake_manila")
    workload, info = be.place(resolve("ghz:n=2"))
    return be, workload, tuple(info["layout"])


@pytest.fixture
def service(ibm):
    with js.JobService(max_circuits=3, queue_seconds=0.02) as svc:
        js.configure(svc.url, ibm[2])  # the client lays circuits out where routing did
        yield svc
    js.configure("", None)


def _circuits(workload):
    """The circuit and its 3x fold (what ZNE runs), measured."""
    c = workload.circuit
    m = cirq.Circuit(cirq.measure(*sorted(c.all_qubits())))
    return [c + m, c + cirq.inverse(c) + c + m]




def test_three_paths_give_identical_counts_and_profiles(ibm, service):
    be, workload, _ = ibm
    circuits = _circuits(workload)
    paths = [be, ExecutorBackend(js.aer_execute), ExecutorBackend(js.execute)]
    counts = []
    for b in paths:
        out = b.run(b.compile(circuits, workload.n_qubits, None), [SHOTS, SHOTS], 17)
        counts.append([_counts(x) for x in out.bits])
    assert counts[0] == counts[1] == counts[2]  # same device model, ISA circuits and seed
    assert sum(counts[0][0].values()) == SHOTS

    results = [mitprof.profile("ghz:n=2", strategies=["zne"], shots=SHOTS, trials=2, repeats=1,
                               seed=5, **kw)
               for kw in ({"backend": "ibm_runtime:fake_manila"}, {"executor": js.aer_execute},
                          {"executor": js.execute})]
    for r in results[1:]:  # seeded: every value and every trial equal, not only consistent
        for a, b in zip(results[0].results, r.results, strict=True):
            assert (a.value, a.trial_values) == (b.value, b.trial_values)
    local, aer, remote = results
    assert local.executor["mode"].startswith("local testing")
    assert local.routing["layout"] == list(ibm[2]) or tuple(local.routing["layout"]) == ibm[2]
    assert local.noise == {"model": "own", "source": "ibm_runtime:fake_manila"}
    assert local["zne"].theory_multiplier is None and "unknown" in local["zne"].theory_reason
    # latency split: the service reports queue and execution; the rest is client + network
    lat = remote["zne"].latency
    assert lat["batch_sizes"] == [3] and lat["execution_seconds"] is not None
    assert lat["reported_queue_seconds"] >= service.queue_seconds
    assert lat["queue_network_seconds"] == pytest.approx(
        lat["wall_seconds"] - lat["execution_seconds"])
    assert local["zne"].latency["execution_seconds"] is None  # local mode reports no spans
    assert aer["zne"].latency["execution_seconds"] is not None  # Aer's own time_taken


def test_batches_respect_the_limit_and_transient_failures_are_retried_with_backoff(
        ibm, service, monkeypatch):
    _, workload, _ = ibm
    monkeypatch.setattr(js.execute, "max_circuits", 2)
    monkeypatch.setattr(js.execute, "backoff_seconds", 0.05)
    be = ExecutorBackend(js.execute)
    circuits = _circuits(workload) * 2 + _circuits(workload)[:1]
    compiled = be.compile(circuits, workload.n_qubits, None)
    clean = be.run(compiled, [SHOTS] * 5, 3).bits
    assert [e["circuits"] for e in service.log] == [2, 2, 1]
    assert [c.circuits for c in be.take_calls()] == [2, 2, 1]

    service.log.clear()
    service.reject_next, service.fail_next_transient = 2, 1
    retried = be.run(compiled[:1], [SHOTS], 3).bits
    outcomes = [e["outcome"] for e in service.log]
    assert outcomes == ["busy", "busy", "accepted", "accepted"]  # 2 rejected, 1 failed mid-run
    (call,) = be.take_calls()
    assert call.attempts == 4
    gaps = np.diff([e["t"] for e in service.log[:3]])
    assert gaps[0] >= 0.05 and gaps[1] >= 0.10  # exponential backoff between attempts
    assert _counts(retried[0]) == _counts(clean[0])  # a retry changes nothing measured


def test_refused_and_failed_jobs_carry_the_services_message(ibm, service, monkeypatch):
    _, workload, _ = ibm
    monkeypatch.setattr(js.execute, "max_circuits", 4)  # more than the service accepts
    be = ExecutorBackend(js.execute)
    with pytest.raises(ExecutorError, match="at most 3 per job"):
        be.run(be.compile(_circuits(workload) * 2, workload.n_qubits, None), [SHOTS] * 4, 1)
    service.fail_when = (lambda cs: True, "qubit 2 lost its calibration; job aborted")
    with pytest.raises(ExecutorError, match="qubit 2 lost its calibration"):
        be.run(be.compile(_circuits(workload)[:1], workload.n_qubits, None), [SHOTS], 1)


def _points(store):
    conn = sqlite3.connect(store / "results.sqlite")
    rows = conn.execute("SELECT circuit, status, error, record FROM points").fetchall()
    conn.close()
    return {r[0]: r[1:] for r in rows}


def test_a_sweep_stores_a_permanent_failure_goes_on_and_resumes_without_rerunning(
        service, tmp_path):
    spec = {"sweep": {"name": "remote", "shots": [100], "trials": 0, "repeats": 1,
                      "backends": ["executor:jobservice:execute"]},
            "circuits": [{"family": "ghz", "qubits": [2, 3, 4]}],
            "strategies": [{"name": "zne"}]}
    js.configure(service.url, None)  # each width on the device's first qubits
    service.fail_when = (lambda cs: cs[0].num_clbits == 3, "device fault on qubit 2")
    first = run_sweep(spec, tmp_path, executor="serial", progress=False)
    assert (first.done, first.failed) == (2, 1)
    before = _points(tmp_path)
    failed = [c for c, (status, *_) in before.items() if status == "failed"]
    assert len(failed) == 1 and "ghz:n=3" in failed[0]
    assert "device fault on qubit 2" in before[failed[0]][1]
    record = json.loads(next(r for s, _, r in before.values() if s == "done"))
    assert record["executor"]["function"] == "jobservice:execute"

    service.fail_when, service.log[:] = None, []
    again = run_sweep(spec, tmp_path, executor="serial", progress=False, retry_failed=True)
    assert (again.ran, again.done, again.failed) == (1, 3, 0)
    assert {b for e in service.log for b in e["bits"]} == {3}  # only the failed point ran
    after = _points(tmp_path)
    for circuit, (status, _, rec) in before.items():
        if status == "done":
            assert after[circuit][2] == rec  # nothing finished was lost or rewritten


# ------------------------------------------------------------------ bad input, caps


def constant_counts(circuit, shots: int) -> dict:
    """All zeros: a valid but uninteresting executor that needs no simulator."""
    return {"0" * circuit.num_clbits: shots}


def noisy_counts(circuit, shots: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    m = circuit.num_clbits
    bits = (rng.random((shots, m)) < 0.1).astype(int)
    return mitprof_counts(bits)


def mitprof_counts(bits) -> dict:
    keys = ["".join(map(str, row[::-1])) for row in bits]
    return {k: keys.count(k) for k in set(keys)}


def raises(circuit, shots: int) -> dict:
    raise ValueError("the device is on fire")


def wrong_shape(circuit, shots: int) -> float:
    return 0.5


def too_wide(circuit, shots: int) -> dict:
    return {"0" * (circuit.num_clbits + 1): shots}


@pytest.mark.parametrize("fn, message", [
    (raises, "raised ValueError: the device is on fire"),
    (wrong_shape, "expected counts (a dict) or a MeasurementResult, got float"),
    (too_wide, "counts must map 2-bit strings"),
])
def test_a_bad_executor_is_one_error(fn, message):
    with pytest.raises(MitprofError) as info:
        mitprof.profile("ghz:n=2", executor=fn, strategies=[], trials=0, repeats=1, shots=50)
    assert message in str(info.value)


def test_bad_executor_settings_are_refused():
    def limited(circuit, shots: int) -> dict:
        return constant_counts(circuit, shots)

    for attr, bad, message in [("max_circuits", 0, "max_circuits must be a positive integer"),
                               ("max_retries", -1, "max_retries must be an integer >= 0"),
                               ("backoff_seconds", "soon", "backoff_seconds must be in")]:
        setattr(limited, attr, bad)
        with pytest.raises(SpecError, match=message):
            ExecutorBackend(limited)
        delattr(limited, attr)
    with pytest.raises(SpecError, match="either executor= or backend="):
        mitprof.profile("ghz:n=2", executor=limited, backend="cirq")


def test_bad_input_at_the_cli_and_in_specs():
    for args, message in [
        (["--backend", "executor:no_such_module:fn"], "cannot import no_such_module"),
        (["--backend", "executor:test_executors:nothing"], "has no nothing"),
        (["--backend", "executor:test_executors:raises", "-s", "zne"],
         "raised ValueError: the device is on fire"),
        (["--backend", "executor:test_executors:constant_counts", "--noise", "0.01"],
         "brings its own noise: noise does not apply"),
        (["--backend", "executor:test_executors:constant_counts", "-s", "pec"],
         "builds its circuits from a model of the noise"),
        (["--max-shots", "100"], "cap the statistics pass of an executor"),
    ]:
        out = CliRunner().invoke(main, ["profile", "ghz:n=2", "--trials", "0", "--repeats", "1",
                                        *args])
        assert out.exit_code == 2, (args, out.output)
        lines = out.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    # a successful run: the statistics pass's plan on stderr before it runs, then the table
    out = CliRunner().invoke(main, ["profile", "ghz:n=2", "--backend",
                                    "executor:test_executors:noisy_counts", "-s", "zne",
                                    "--shots", "50", "--trials", "3", "--repeats", "1",
                                    "--max-shots", "500"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("executor:test_executors:noisy_counts: statistics pass: 2 of 3 "
                                 "trials (estimated 400 shots")
    assert "run by its executor" in out.output
    spec = {"sweep": {"backends": ["executor:test_executors:constant_counts"],
                      "noise_levels": [0.01]}, "circuits": [{"family": "ghz"}]}
    with pytest.raises(SpecError, match="noise_levels does not apply"):
        mitprof.load_spec(spec)


def test_a_sweep_point_whose_executor_raises_is_stored_as_failed(tmp_path):
    spec = {"sweep": {"name": "bad", "shots": [50], "trials": 0, "repeats": 1,
                      "backends": ["executor:test_executors:raises"]},
            "circuits": [{"family": "ghz", "qubits": 2}], "strategies": [{"name": "zne"}]}
    summary = run_sweep(spec, tmp_path, executor="serial", progress=False)
    assert (summary.done, summary.failed) == (0, 1)
    ((status, error, _),) = _points(tmp_path).values()
    assert status == "failed" and "the device is on fire" in error


def test_the_statistics_pass_is_planned_and_capped():
    kw = {"executor": noisy_counts, "strategies": ["zne"], "shots": 100, "repeats": 1,
          "trials": 10}
    per_trial = 100 + 300  # unmitigated + three ZNE circuits, each 100 shots
    r = mitprof.profile("ghz:n=2", max_shots=5 * per_trial + 50, **kw)
    plan = r.statistics_plan
    assert (plan["trials_asked"], plan["trials_planned"], plan["capped"]) == (10, 5, True)
    assert plan["spent_shots"] == plan["estimated_shots"] == 5 * per_trial
    assert r["zne"].trials == 5 and r["zne"].variance_multiplier is not None
    # a cap below two trials: no statistics pass, nothing spent, the reason stored
    none = mitprof.profile("ghz:n=2", max_shots=per_trial, **kw)
    assert none.statistics_plan["trials_planned"] == 0
    assert "over the cap" in none["zne"].statistics_error and none["zne"].trials == 0
    # the per-call guard: a call that would go over the cap is not made
    be = ExecutorBackend(noisy_counts)
    w = resolve("ghz:n=2")
    compiled = be.compile(_circuits(w), w.n_qubits, None)
    be.shot_cap = 150
    with pytest.raises(BudgetExceeded):
        be.run(compiled, [100, 100], 1)
    assert be.spent_shots == 100 and len(be.take_calls()) == 1


def test_the_report_shows_simulated_beside_measured_cost():
    from mitprof.report import load, measured, render_report

    kw = {"strategies": ["zne"], "shots": 100, "repeats": 1, "trials": 0}
    sim = mitprof.profile("ghz:n=2", **kw)
    meas = mitprof.profile("ghz:n=2", executor=noisy_counts, **kw)
    rows = measured.rows(load([sim, meas]))
    assert [r["strategy"] for r in rows] == ["unmitigated", "zne[richardson,1-2-3,global]"]
    assert rows[1]["measured"] == "executor:test_executors:noisy_counts"
    assert rows[1]["circuits"] == "3 / 3" and rows[1]["calls"] == "3"
    assert rows[1]["value_pair"] == f"{sim['zne'].value:.3g} / {meas['zne'].value:.3g}"
    html = render_report([sim, meas])
    assert "Simulated cost vs measured cost" in html and rows[1]["value_pair"] in html
    assert "Simulated cost vs measured cost" not in render_report([sim])
    from mitprof.report import tables

    assert tables.noise_rows(load([meas])) == []  # no noise parameters to show: the device's


def test_a_sweep_caps_each_points_statistics_pass(tmp_path):
    spec = {"sweep": {"name": "capped", "shots": [100], "trials": 6, "repeats": 1,
                      "max_shots": 2 * 400, "backends": ["executor:test_executors:noisy_counts"]},
            "circuits": [{"family": "ghz", "qubits": 2}], "strategies": [{"name": "zne"}]}
    assert run_sweep(spec, tmp_path, executor="serial", progress=False).done == 1
    ((_, _, record),) = _points(tmp_path).values()
    plan = json.loads(record)["statistics_plan"]
    assert (plan["trials_planned"], plan["spent_shots"], plan["max_shots"]) == (2, 800, 800)
    with pytest.raises(SpecError, match="cap the statistics pass of executor backends"):
        mitprof.load_spec({"sweep": {"max_shots": 10}, "circuits": [{"family": "ghz"}]})


def test_a_real_device_needs_a_cap_before_its_statistics_pass():
    with pytest.raises(SpecError, match="give max_shots or max_seconds"):
        mitprof.profile("ghz:n=2", backend="ibm_runtime:ibm_nowhere", strategies=["zne"])


def test_the_time_cap_plans_from_the_timed_runs_and_stops_calls():
    from mitprof.measure import now
    from mitprof.measured import plan_statistics

    rows = [{"total_shots": 100, "wall_seconds": 0.5}, {"total_shots": 300, "wall_seconds": 1.0}]
    plan = plan_statistics(rows, [False, False], 10, None, 4.6)  # 1.5 s a trial
    assert (plan["trials_planned"], plan["estimated_shots"]) == (3, 1200)
    assert plan["estimated_seconds"] == pytest.approx(4.5)
    assert plan_statistics(rows, [False, True], 10, 250, None)["trials_planned"] == 2
    calls = []

    def counting(circuit, shots: int) -> dict:
        calls.append(circuit)
        return constant_counts(circuit, shots)

    be = ExecutorBackend(counting)
    w = resolve("ghz:n=2")
    be.time_cap_at = now() - 1  # the deadline has passed: the next call is not made
    with pytest.raises(BudgetExceeded, match="max-seconds"):
        be.run(be.compile(_circuits(w), w.n_qubits, None), [10, 10], 1)
    assert calls == []


def test_execution_spans_in_a_runtime_result_are_its_execution_time():
    from datetime import datetime, timedelta

    from qiskit.primitives import PrimitiveResult
    from qiskit_ibm_runtime.execution_span import ExecutionSpans, SliceSpan

    from mitprof.backends.ibm_runtime import execution_seconds

    t0 = datetime(2026, 1, 1, 12, 0, 0)
    def span(start, stop, pub):
        return SliceSpan(t0 + timedelta(seconds=start), t0 + timedelta(seconds=stop),
                         {pub: ((100,), slice(0, 100))})

    spans = ExecutionSpans([span(0, 1.5, 0), span(2, 2.25, 1)])
    result = PrimitiveResult([], metadata={"execution": {"execution_spans": spans}})
    assert execution_seconds(result) == pytest.approx(2.25)  # first start to last stop
    assert execution_seconds(PrimitiveResult([], metadata={"version": 2})) is None


def test_the_shipped_executor_conformance_test_passes_good_executors_and_catches_bit_order():
    from mitprof.testing import assert_executor_conforms

    assert_executor_conforms(js.aer_execute)

    def reversed_keys(circuit, shots: int) -> dict:  # counts read with clbit 0 leftmost
        counts = js.aer_execute([circuit], shots, 1).result[0]
        return {k[::-1]: v for k, v in counts.items()}

    with pytest.raises(AssertionError, match="bits in measurement order"):
        assert_executor_conforms(reversed_keys)
    with pytest.raises(AssertionError, match="should read mostly"):
        assert_executor_conforms(noisy_counts)  # ignores its circuit
