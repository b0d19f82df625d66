"""Sweep specs: strict TOML loading with key paths, the Python API, the grid and point ids."""

from pathlib import Path

import pytest

from mitprof.errors import SpecError
from mitprof.spec import CircuitSpec, SweepSpec, load_spec

ROOT = Path(__file__).resolve().parent.parent

TINY = """
[sweep]
name = "tiny"
seed = 3
shots = [100, 200]
repeats = 1
trials = 0
backends = ["aer", "cirq"]
noise_levels = [0.01, 0.02]

[[circuits]]
family = "mirror"
qubits = [2, 3]
depths = [1, 2]

[[circuits]]
family = "ghz"
qubits = 2

[[strategies]]
name = "zne"
options = { factory = "linear", scale = [1, 3] }

[[strategies]]
name = "rem"
"""


def write(tmp_path, text, name="spec.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_specs_load_and_expand():
    quick = load_spec(ROOT / "circuits" / "quick.toml")
    full = load_spec(ROOT / "circuits" / "full.toml")
    from mitprof.sweep import demo_spec

    demo = demo_spec()
    utility = load_spec(ROOT / "circuits" / "utility.toml")
    projection = load_spec(ROOT / "circuits" / "projection.toml")
    assert utility.devices == ("brisbane",) and all(p.n_qubits == 127 for p in utility.points())
    for spec in (quick, full, demo, utility, projection):
        points = list(spec.points())
        assert len(points) == len(spec) > 0
        assert len({p.point_id for p in points}) == len(points)
        assert sorted(p.seq for p in points) == list(range(len(points)))
    assert quick.name == "quick" and len(quick) < len(full)
    # the demo: both simulators, 3 noise levels, 3 depths, the four strategy kinds
    assert set(demo.backends) == {"aer", "cirq"} and len(demo.noise_levels) == 3
    assert all(len(c.depths) == 3 for c in demo.circuits if c.family != "ghz")
    assert {label.split("[")[0] for label in demo.labels} == {"unmitigated", "zne", "pec", "rem"}


def test_a_device_sweep_on_stim_runs_its_points_pauli_twirled(tmp_path):
    from mitprof.report.data import load
    from mitprof.sweep import run_sweep

    spec = SweepSpec(circuits=[CircuitSpec(family="ghz", qubits=[3])], strategies=["rem"],
                     backends=("stim",), devices=("generic:n=5",), noise_scales=(1.0, 2.0),
                     shots=(100,), trials=0, repeats=1)
    points = list(spec.points())
    assert [p.noise_scale for p in points] == [1.0, 2.0]  # the device's noise scales
    assert all(p.device == "generic:n=5" for p in points)
    run_sweep(spec, tmp_path / "out", executor="serial")
    done = load(tmp_path / "out").done
    assert len(done) == 2
    for p in done:
        noise = p.doc["noise"]
        assert noise["model"] == "device" and noise["device"] == "generic:n=5"
        assert noise["noise_scale"] == p.noise_scale
        assert noise["approximation"].startswith("pauli_twirl")  # stim: Pauli-twirled


def test_grid_expansion_and_labels(tmp_path):
    spec = load_spec(write(tmp_path, TINY))
    # (mirror 2 widths x 2 depths + ghz 1) x 2 backends x 2 noise x 2 shots
    assert len(spec) == 5 * 2 * 2 * 2
    assert spec.labels == ("unmitigated", "zne[linear,1-3,global]", "rem[tensored]")
    points = list(spec.points())
    first = points[0]
    assert first.circuit == "mirror:n=2,depth=1,seed=3"  # seed defaults to the sweep seed
    assert (first.backend, first.noise_level, first.shots) == ("aer", 0.01, 100)
    ghz = [p for p in points if p.family == "ghz"]
    assert {p.circuit for p in ghz} == {"ghz:n=2"} and all(p.depth is None for p in ghz)
    order = list(spec.execution_order())
    assert sorted(p.point_id for p in order) == sorted(p.point_id for p in points)
    assert order[0].n_qubits == 3 and order[0].depth == 2 and order[0].shots == 200


def test_point_ids_are_stable_and_independent_of_order(tmp_path):
    spec = SweepSpec(circuits=[CircuitSpec(family="ghz", qubits=[2])], strategies=["zne"],
                     seed=3, shots=100, backends=["aer"], noise_levels=[0.01], repeats=1,
                     trials=0)
    point = next(spec.points())
    # pinned: a changed hash would orphan every stored result
    assert point.point_id == "bc180e61c762380d"
    from mitprof.sweep import point_seed

    assert point_seed(point) == 3205009495195926496
    a = load_spec(write(tmp_path, TINY))
    b = load_spec(write(tmp_path, TINY.replace('["aer", "cirq"]', '["cirq", "aer"]')
                        .replace("[0.01, 0.02]", "[0.02, 0.01]").replace("[2, 3]", "[3, 2]"),
                        "b.toml"))
    key = lambda p: (p.circuit, p.backend, p.noise_level, p.shots)  # noqa: E731
    assert {key(p): p.point_id for p in a.points()} == {key(p): p.point_id for p in b.points()}


def test_configuration_changes_the_id_but_not_the_physical_seed(tmp_path):
    a = next(load_spec(write(tmp_path, TINY)).points())
    more = TINY + '\n[[strategies]]\nname = "pec"\noptions = { samples = 10 }\n'
    b = next(load_spec(write(tmp_path, more, "b.toml")).points())
    reseeded = next(load_spec(write(tmp_path, TINY.replace("seed = 3", "seed = 4"),
                                    "c.toml")).points())
    assert a.point_id != b.point_id and a.seed_key == b.seed_key  # same seeds: comparable
    assert reseeded.point_id != a.point_id


def test_python_objects_equal_the_toml(tmp_path):
    from_toml = load_spec(write(tmp_path, TINY))
    direct = SweepSpec(
        name="tiny", seed=3, shots=[100, 200], repeats=1, trials=0, backends=["aer", "cirq"],
        noise_levels=[0.01, 0.02],
        circuits=[CircuitSpec(family="mirror", qubits=[2, 3], depths=[1, 2]),
                  {"family": "ghz", "qubits": 2}],
        strategies=["zne:factory=linear,scale=1-3", {"name": "rem"}])
    assert direct == from_toml
    assert [p.point_id for p in direct.points()] == [p.point_id for p in from_toml.points()]
    again = SweepSpec.from_dict(from_toml.to_dict())
    assert again == from_toml


def test_files_resolve_against_the_spec_and_the_shipped_set(tmp_path):
    (tmp_path / "sub").mkdir()
    qasm = (ROOT / "circuits" / "bell.qasm").read_text()
    (tmp_path / "sub" / "mine.qasm").write_text(qasm)
    text = ('[[circuits]]\nfile = "sub/mine.qasm"\n[[circuits]]\nfile = "ghz4.qasm"\n'
            'observable = "ZZII"\n')
    spec = load_spec(write(tmp_path, text))
    points = list(spec.points())
    assert [p.circuit for p in points] == ["sub/mine.qasm", "ghz4.qasm"]
    assert points[0].run_circuit == str((tmp_path / "sub" / "mine.qasm").resolve())
    assert points[1].observable == "ZZII" and points[0].n_qubits is None
    (tmp_path / "sub" / "mine.qasm").write_text(qasm + "\n// edited\n")
    assert next(load_spec(write(tmp_path, text)).points()).point_id != points[0].point_id


def test_every_backend_the_engine_knows_is_accepted():
    from mitprof.backends import backend_names

    names = backend_names()  # every registered backend and variant
    spec = SweepSpec(circuits=[CircuitSpec(family="ghz", qubits=[2])], backends=names)
    assert {p.backend for p in spec.points()} == set(names)


def test_every_built_in_family_is_accepted():
    from mitprof.families import FAMILIES

    for name, fam in FAMILIES.items():
        depths = [1, 2] if "depth" in fam.defaults else []
        spec = SweepSpec(circuits=[CircuitSpec(family=name, qubits=[2], depths=depths)],
                         strategies=["rem"])
        points = list(spec.points())
        assert len(points) == max(1, len(depths))
        assert points[0].circuit.startswith(f"{name}:n=2")


BAD = [
    ("[sweep]\nshotz = 1\n", "sweep.shotz: unknown key"),
    ("[sweep]\nshots = [100, 'x']\n", "sweep.shots[1]: expected an integer, got a string"),
    ("[sweep]\nshots = true\n", "sweep.shots[0]: expected an integer, got a boolean"),
    ("[sweep]\nshots = [100, 100]\n", "sweep.shots[1]: 100 is listed twice"),
    ("[sweep]\nnoise_levels = [0.01, 0.5]\n", "sweep.noise_levels[1]: must be < 0.333"),
    ("[sweep]\nbackends = ['aer', 'qpu']\n", "sweep.backends[1]: unknown backend 'qpu'"),
    ("[sweep]\nseed = -1\n", "sweep.seed: must be >= 0"),
    ("[sweep]\ntrials = 1\n", "sweep.trials: must be 0 (no statistics) or at least 2"),
    ("[sweep]\nhardware = 'ibm_q1'\n", "sweep.hardware: unknown hardware model"),
    ("[sweep]\nname = 3\n", "sweep.name: expected a string"),
    ("[sweeps]\n", "sweeps: unknown key"),
    ("CIRCUIT", "circuits[0].qubitz: unknown key"),
    ("[[circuits]]\nfamily = 'ghz'\nqubits = [2]\ndepths = [1]\n",
     "circuits[0].depths: family 'ghz' has no depth parameter"),
    ("[[circuits]]\nfamily = 'torus'\nqubits = [2]\n", "circuits[0].family: unknown family"),
    ("[[circuits]]\nfamily = 'mirror'\n", "circuits[0].qubits: required"),
    ("[[circuits]]\nfamily = 'mirror'\nqubits = [2]\nparams = { sead = 1 }\n",
     "circuits[0].params.sead: unknown parameter for family 'mirror'"),
    ("[[circuits]]\nfamily = 'ising'\nqubits = [2]\nparams = { J = 'x' }\n",
     "circuits[0].params.J: expected a number"),
    ("[[circuits]]\nfile = 'nowhere.qasm'\n", "circuits[0].file: no such circuit file"),
    ("[[circuits]]\nfile = 'bell.qasm'\nfamily = 'ghz'\n", "circuits[0]: give exactly one"),
    ("[[circuits]]\nfamily = 'ghz'\nqubits = [2]\n[[circuits]]\nfamily = 'ghz'\nqubits = 2\n",
     "circuits[1]: ghz:n=2 is also in circuits[0]"),
    ("[[circuits]]\nfamily = 'mirror'\nqubits = [2, 3]\ndepths = [1]\n[[circuits]]\n"
     "family = 'mirror'\nqubits = [3]\ndepths = [1, 2]\n",
     "circuits[1]: mirror:n=3,depth=1 is also in circuits[0]"),
    ("[[circuits]]\nfile = 'bell.qasm'\n[[circuits]]\nfile = './bell.qasm'\n",
     "circuits[1]: ./bell.qasm is also in circuits[0]"),
    ("STRAT[[strategies]]\nname = 'zne'\n[[strategies]]\nname = 'zne'\n"
     "options = { factory = 'richardson' }\n", "strategies[1]: repeats the configuration"),
    ("STRAT[[strategies]]\nname = 'zne'\noptions = { factroy = 'linear' }\n",
     "strategies[0]: strategy 'zne' has no option 'factroy'"),
    ("STRAT[[strategies]]\nname = 'zne'\noptions = { scale = true }\n",
     "strategies[0].options.scale: expected a string, number or list of numbers"),
    ("STRAT[[strategies]]\noptions = {}\n", "strategies[0].name: required"),
    ("[sweep\n", "invalid TOML"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_bad_specs_name_the_key_path(tmp_path, text, message):
    circuit = "[[circuits]]\nfamily = 'ghz'\nqubits = [2]\n"
    if text == "CIRCUIT":
        text = "[[circuits]]\nfamily = 'ghz'\nqubitz = [2]\n"
    elif text.startswith("STRAT"):
        text = circuit + text[len("STRAT"):]
    elif "[[circuits]]" not in text:
        text = text + circuit
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_missing_spec_file(tmp_path):
    with pytest.raises(SpecError, match="no such spec file"):
        load_spec(tmp_path / "nope.toml")
