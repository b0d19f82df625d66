"""Issue #17: the habits of Qiskit and Cirq users (observable order and objects, circuit
objects in sweeps, discoverable API), portability, and comparing two stores."""

import cirq
import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Pauli, SparsePauliOp, Statevector

import mitprof
from mitprof.circuits import resolve
from mitprof.errors import SpecError


def _qc() -> QuantumCircuit:
    """x on qubit 0 (<Z0> = -1), a rotation on qubit 1 entangled with qubit 2."""
    qc = QuantumCircuit(3)
    qc.x(0)
    qc.ry(0.3, 1)
    qc.cx(1, 2)
    return qc


def _qiskit_value(qc: QuantumCircuit, op) -> float:
    """Qiskit's own reading of an observable on the ideal state."""
    return float(np.real(Statevector(qc).expectation_value(SparsePauliOp(op))))


def _ideal(circuit, observable, **kw) -> float:
    return mitprof.profile(circuit, observable=observable, strategies=[], trials=0,
                           repeats=1, shots=20, **kw).ideal_value


# ---------------------------------------------------------------- the mirrored answer first


def test_a_bare_string_on_a_qiskit_circuit_is_refused_not_mirrored():
    qc = _qc()
    assert _qiskit_value(qc, "ZII") != pytest.approx(_qiskit_value(qc, "IIZ"))  # it matters
    with pytest.raises(SpecError) as info:
        _ideal(qc, "ZII")
    msg = str(info.value)
    assert "qubit 2" in msg and "qubit 0" in msg and "observable_order" in msg
    assert _ideal(qc, "ZII", observable_order="qiskit") == pytest.approx(
        _qiskit_value(qc, "ZII"))
    # the Cirq/Mitiq reading: character i is qubit i, i.e. Qiskit's mirrored label
    assert _ideal(qc, "ZII", observable_order="cirq") == pytest.approx(
        _qiskit_value(qc, "IIZ"))


def test_a_string_that_reads_the_same_both_ways_needs_no_order():
    qc = _qc()
    assert _ideal(qc, "0.5*ZIZ+0.25*XXX") == pytest.approx(
        _qiskit_value(qc, SparsePauliOp.from_list([("ZIZ", 0.5), ("XXX", 0.25)])))


def test_qiskit_observable_objects_use_qiskit_order():
    qc = _qc()
    op = SparsePauliOp.from_list([("ZII", 0.5), ("IZX", -0.25), ("IIZ", 1.0)])
    w = resolve(qc, op)
    assert str(w.observable) == str(resolve(qc, "0.5*IIZ-0.25*XZI+1*ZII",
                                            observable_order="cirq").observable)
    from mitprof.exact import compute

    assert compute(w).value == pytest.approx(_qiskit_value(qc, op))
    assert compute(resolve(qc, Pauli("-ZII"))).value == pytest.approx(
        -_qiskit_value(qc, "ZII"))
    with pytest.raises(SpecError, match="Hermitian"):
        resolve(qc, Pauli("iZII"))
    with pytest.raises(SpecError, match="2 qubits but the circuit has 3"):
        resolve(qc, SparsePauliOp("ZZ"))


def test_cirq_and_mitiq_observable_objects_use_their_qubits():
    a, b = cirq.NamedQubit("a"), cirq.NamedQubit("b")
    circuit = cirq.Circuit(cirq.X(b), cirq.H(a))
    ps = 0.5 * cirq.Z(b) + 2.0 * cirq.X(a) * cirq.Z(b)
    w = resolve(circuit, ps)
    sim = cirq.Simulator().simulate(circuit)
    expected = float(np.real(ps.expectation_from_state_vector(
        sim.final_state_vector, {q: i for i, q in enumerate(sorted(circuit.all_qubits()))})))
    from mitprof.exact import compute

    assert compute(w).value == pytest.approx(expected)
    assert compute(resolve(circuit, cirq.Z(b))).value == pytest.approx(-1.0)
    with pytest.raises(SpecError, match="not a qubit of the circuit"):
        resolve(circuit, cirq.Z(cirq.NamedQubit("c")))
    # Mitiq: LineQubit(i) is qubit i of a Qiskit circuit
    from mitiq import Observable, PauliString

    qc = _qc()
    obs = Observable(PauliString("Z", support=(0,)), PauliString("ZZ", coeff=0.5, support=(1, 2)))
    assert compute(resolve(qc, obs)).value == pytest.approx(
        _qiskit_value(qc, SparsePauliOp.from_list([("IIZ", 1.0), ("ZZI", 0.5)])))


# ---------------------------------------------------------------- discoverable API


@pytest.fixture(scope="module")
def two_zne():
    return mitprof.profile("ghz:n=2", strategies=["zne", "zne:factory=linear", "rem"], trials=4,
                           repeats=1, shots=50, seed=3)


def test_a_missing_strategy_lists_the_labels_present(two_zne):
    labels = two_zne.labels()
    assert two_zne["rem"] is two_zne[labels[3]]  # a unique name is accepted
    with pytest.raises(KeyError) as info:
        two_zne["pec"]
    assert all(label in str(info.value) for label in labels)
    with pytest.raises(KeyError) as info:
        two_zne["zne"]  # two configurations share the name: ambiguous
    assert labels[1] in str(info.value) and labels[2] in str(info.value)
    assert two_zne[labels[2]].strategy == labels[2]


def test_dir_shows_the_lazily_loaded_api():
    names = dir(mitprof)
    assert set(mitprof._LAZY) <= set(names)
    for name in mitprof._LAZY:
        assert getattr(mitprof, name) is not None


def test_profile_help_lists_every_registered_family_and_backend():
    from click.testing import CliRunner

    from mitprof.backends import BACKENDS
    from mitprof.cli import main
    from mitprof.families import FAMILIES

    res = CliRunner().invoke(main, ["profile", "--help"], terminal_width=1000)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    for fam in FAMILIES.values():
        assert f"{fam.name}:" + ",".join(f"{k}={v}" for k, v in fam.defaults.items()) in text
    for name, cls in BACKENDS.items():
        assert name in text and all(v in text for v in cls.variants)
    assert "{" not in text  # every placeholder was filled


def test_intervals_are_described_as_what_the_code_does():
    from pathlib import Path

    from mitprof import stats

    root = Path(mitprof.__file__).parent
    texts = [(Path(__file__).resolve().parent.parent / "README.md").read_text(),
             (root / "report" / "templates" / "report.html").read_text()]
    # M: a studentized bootstrap of its logarithm (means and biases: BCa)
    assert "studentized bootstrap" in stats.__doc__ and "BCa" in stats.__doc__
    assert "studentized" in (stats.variance_multiplier.__doc__ or "")
    for text in texts:
        flat = " ".join(text.split())
        assert "percentile bootstrap" not in flat and "percentile-bootstrap" not in flat
        assert "studentized bootstrap" in flat


# ---------------------------------------------------------------- compare two stores


def _store(root, name, noise, shots, strategies):
    from mitprof.spec import CircuitSpec, SweepSpec

    spec = SweepSpec(circuits=(CircuitSpec(family="ghz", qubits=(4,), observable="ZZZZ"),),
                     strategies=strategies, name=name, seed=1, shots=(shots,), trials=250,
                     repeats=1, backends=("aer",), noise_levels=(noise,))
    out = root / name
    summary = mitprof.run_sweep(spec, out, executor="serial")
    assert summary.done == 1
    return out


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    return {"a": _store(root, "a", 0.05, 100, ("zne", "rem_tensored")),
            "shots2": _store(root, "shots2", 0.05, 200, ("zne",)),
            "noise2": _store(root, "noise2", 0.10, 100, ("rem_tensored",))}


def _stored(directory):
    from mitprof.store import Reader

    with Reader(directory) as reader:
        (point,) = list(reader.points())
    return {r["strategy"]: r for r in point["results"]}


def test_twice_the_shots_leaves_the_equal_precision_multiplier_unflagged(stores):
    c = mitprof.compare(stores["a"], stores["shots2"], ignore=["shots"])
    zne = next(p for p in c.pairs if p.key["strategy"].startswith("zne"))
    a, b = _stored(stores["a"]), _stored(stores["shots2"])
    # per estimate, the variance halves with twice the shots (each store's own trials) ...
    var_a = np.var([v for v in a[zne.key["strategy"]]["trial_values"] if v is not None], ddof=1)
    var_b = np.var([v for v in b[zne.key["strategy"]]["trial_values"] if v is not None], ddof=1)
    assert var_b < var_a
    # ... and the multiplier at equal precision does not move: no flag, no regression
    m = zne.multiplier
    assert m.adjusted_low <= 1.0 <= m.adjusted_high and not m.flagged
    assert m.ci_low <= 1.0 <= m.ci_high
    assert m.a == pytest.approx(a[zne.key["strategy"]]["variance_multiplier"]["estimate"])
    assert not c.regressions
    # the strategy only A ran is listed, not dropped
    assert [(u.key["strategy"], u.reason) for u in c.unpaired] == [
        ("rem_tensored[tensored]", "only in A")]
    assert c.correction == "bonferroni" and c.tests == 3  # baseline: bias; zne: M and bias


def test_doubled_noise_grows_the_multiplier_as_theory_says_and_is_flagged(stores):
    c = mitprof.compare(stores["a"], stores["noise2"], ignore=["noise_level"], threshold=0.1)
    a, b = _stored(stores["a"]), _stored(stores["noise2"])
    rem = next(p for p in c.pairs if p.key["strategy"].startswith("rem_tensored"))
    theory = (b[rem.key["strategy"]]["theory_multiplier"]
              / a[rem.key["strategy"]]["theory_multiplier"])
    assert theory > 2  # readout error (p, 2p) on four Z-measured qubits: prod 1/(1-3p)^2
    m = rem.multiplier
    assert m.adjusted_low <= theory <= m.adjusted_high  # the measured ratio agrees with theory
    assert m.flagged and rem.regression and m.adjusted_low > 1.1
    assert rem in c.regressions


def test_compare_cli_exit_status_json_and_html(stores, tmp_path):
    import json

    from click.testing import CliRunner

    from mitprof.cli import main

    runner = CliRunner()
    ok = runner.invoke(main, ["compare", str(stores["a"]), str(stores["shots2"]),
                              "--ignore", "shots"])
    assert ok.exit_code == 0, ok.output
    assert "only in A" in ok.stdout and "Bonferroni" in ok.stdout
    page = tmp_path / "cmp.html"
    bad = runner.invoke(main, ["compare", str(stores["a"]), str(stores["noise2"]), "--ignore",
                               "noise_level", "--json", "--html", str(page)])
    assert bad.exit_code == 1, bad.output
    doc = json.loads(bad.stdout)
    assert doc["regressions"] >= 1 and doc["correction"] == "bonferroni"
    html = page.read_text()
    assert "<script" not in html and "Content-Security-Policy" in html
    assert "regression" in html and "rem_tensored[tensored]" in html
    # unpaired without --ignore: every point of each store is listed, none dropped
    none = runner.invoke(main, ["compare", str(stores["a"]), str(stores["noise2"]), "--json"])
    assert none.exit_code == 0
    doc = json.loads(none.stdout)
    assert not doc["pairs"] and len(doc["unpaired"]) == 3 + 2
    assert runner.invoke(main, ["compare", str(stores["a"]), str(tmp_path / "none")]
                         ).exit_code == 2


def test_one_profile_as_a_dataframe_has_the_columns_of_a_sweep_export(stores):
    r = mitprof.profile("ghz:n=4", observable="ZZZZ", noise=0.05, shots=100,
                        strategies=["zne", "rem_tensored"], trials=4, repeats=1, seed=2)
    df = r.to_dataframe()
    sweep = mitprof.load_results(stores["a"])
    assert list(df.columns) == list(sweep.columns)
    assert list(df["strategy"]) == r.labels() == list(sweep["strategy"])
    assert list(df["value"]) == [x.value for x in r.results]
    assert set(df["status"]) == {"ok"} and set(df["noise_level"]) == {r.noise["p2"]}
    assert list(df["variance_multiplier.estimate"]) == [
        x.variance_multiplier["estimate"] for x in r.results]


# ---------------------------------------------------------------- a portable store lock


def test_the_store_imports_without_fcntl():
    import subprocess
    import sys

    code = ("import sys; sys.modules['fcntl'] = None; import mitprof.store, mitprof.export, "
            "mitprof.sweep; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_the_lock_excludes_a_second_holder_on_posix(tmp_path):
    import os

    from mitprof.store import try_lock

    path = tmp_path / "results.lock"
    first = os.open(path, os.O_RDWR | os.O_CREAT)
    second = os.open(path, os.O_RDWR)
    try:
        assert try_lock(first) and not try_lock(second)
    finally:
        os.close(first)
    assert try_lock(second)  # closing the holder's file released it
    os.close(second)


def test_the_windows_lock_path_with_a_stand_in_msvcrt(tmp_path, monkeypatch):
    """msvcrt semantics: a byte range locked through one handle refuses every other."""
    import os
    import sys
    import types

    from mitprof import store

    held: dict[int, int] = {}  # locked offset -> fd

    def locking(fd, mode, nbytes):
        at = os.lseek(fd, 0, os.SEEK_CUR)
        if mode == fake.LK_UNLCK:
            held.pop(at, None)
        elif held.setdefault(at, fd) != fd:
            raise OSError(13, "locked")

    fake = types.SimpleNamespace(LK_NBLCK=2, LK_UNLCK=0, locking=locking)
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.setattr(store, "_WINDOWS", True)
    lock = store.WriterLock(tmp_path)
    lock.acquire()
    try:
        assert (tmp_path / store.LOCK_NAME).read_text().split()[0] == str(os.getpid())
        assert held and min(held) > 64  # the pid stays readable: the lock is far past it
        assert store._probe_locked(lock.path)  # another handle cannot take it
        with pytest.raises(mitprof.MitprofError, match="another sweep"):
            store.WriterLock(tmp_path).acquire()
    finally:
        lock.release()
        held.clear()  # the OS releases a closed handle's locks
    assert not store._probe_locked(lock.path) and not held


# ---------------------------------------------------------------- a script without a guard


SCRIPT = """
import mitprof
from mitprof.spec import CircuitSpec, SweepSpec

spec = SweepSpec(circuits=(CircuitSpec(family="ghz", qubits=(2,)),), strategies=("rem",),
                 trials=0, repeats=1, shots=20)
mitprof.run_sweep(spec, {out!r}, workers=1)
"""


def test_a_script_without_a_main_guard_is_named_as_the_cause(tmp_path):
    import os
    import subprocess
    import sys

    script = tmp_path / "sweep_script.py"
    script.write_text(SCRIPT.format(out=str(tmp_path / "out")))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("mitprof.errors.MitprofError: worker processes died while starting")
    assert str(script) in last and 'if __name__ == "__main__":' in last
    assert "worker process died while running this point" not in out.stderr


def test_the_guard_check_reads_the_main_script(tmp_path, monkeypatch):
    import sys
    import types

    from mitprof.runners import unguarded_main

    guarded, bare = tmp_path / "guarded.py", tmp_path / "bare.py"
    body = SCRIPT.format(out="x")
    guarded.write_text("import mitprof\n\nif __name__ == '__main__':\n    pass\n")
    bare.write_text(body)
    for path, expected in ((guarded, None), (bare, str(bare))):
        monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace(__file__=str(path)))
        assert unguarded_main() == expected
    monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace())  # a notebook
    assert unguarded_main() is None


# ---------------------------------------------------------------- circuit objects in sweeps


def test_sweeps_take_circuit_objects_identified_by_content(tmp_path):
    from mitprof.spec import CircuitSpec, SweepSpec
    from mitprof.store import Reader

    op = SparsePauliOp.from_list([("ZII", 1.0)])  # Qiskit's order: Z on qubit 2
    a, b = CircuitSpec(circuit=_qc(), observable=op), CircuitSpec(circuit=_qc(), observable=op)
    assert a.circuit_label is None  # validated inside the spec
    q = cirq.LineQubit.range(2)
    bell = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(q[0], q[1]))

    def spec(*circuits):
        return SweepSpec(circuits=circuits, strategies=("rem",), trials=0, repeats=1,
                         shots=20)

    ids_a = [p.point_id for p in spec(a).points()]
    assert ids_a == [p.point_id for p in spec(b).points()]  # same content, same point
    other = _qc()
    other.h(2)
    assert [p.point_id for p in spec(CircuitSpec(circuit=other, observable=op)).points()
            ] != ids_a
    with pytest.raises(SpecError, match=r"circuits\[0\].*is also in circuits\[1\]|"
                                        r"circuits\[1\].*also in circuits\[0\]"):
        spec(a, b)
    with pytest.raises(SpecError, match=r"circuits\[0\].circuit: observable 'ZII' is ambig"):
        spec(CircuitSpec(circuit=_qc(), observable="ZII"))
    full = spec(a, CircuitSpec(circuit=bell))
    summary = mitprof.run_sweep(full, tmp_path / "objects", executor="serial")
    assert summary.done == 2
    with Reader(tmp_path / "objects") as reader:
        ideal = {p["circuit"]: p["record"]["ideal_value"] for p in reader.points()}
    (label_qc,) = [k for k in ideal if k.startswith("qiskit:")]
    assert ideal[label_qc] == pytest.approx(_qiskit_value(_qc(), op))
    (label_bell,) = [k for k in ideal if k.startswith("cirq:")]
    assert ideal[label_bell] == pytest.approx(1.0)  # <ZZ> on a Bell state
    again = mitprof.run_sweep(spec(b, CircuitSpec(circuit=bell.copy())), tmp_path / "objects",
                              executor="serial")
    assert again.ran == 0  # rebuilt objects are the same points: resumed, nothing re-run
