"""Device sweeps (issue 12): the `devices` and `noise_scales` axes of a spec, stored per point
with the device, its snapshot and the routing figures, exported, and bad input refused."""

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from mitprof.cli import main
from mitprof.errors import SpecError
from mitprof.export import rows
from mitprof.report import load, render_report
from mitprof.report.devices import device_view
from mitprof.spec import SweepSpec
from mitprof.store import Reader
from mitprof.sweep import profile_kwargs, run_sweep

DEVICE = "generic:n=4,p2=0.02"


def spec(**sweep):
    base = {"name": "dev", "shots": 100, "repeats": 1, "trials": 0, **sweep}
    return SweepSpec.from_dict({"sweep": base,
                                "circuits": [{"family": "ghz", "qubits": [2, 3]}],
                                "strategies": [{"name": "rem"}]})


def test_devices_and_scales_are_a_noise_axis_next_to_the_levels():
    plain = spec(noise_levels=[0.01, 0.02])
    both = spec(noise_levels=[0.01, 0.02], devices=[DEVICE, "generic:n=3"],
                noise_scales=[1, 2.5])
    assert len(plain) == 2 * 2 and len(both) == 2 * (2 + 2 * 2)
    points = list(both.points())
    assert len(points) == len(both) == len({p.point_id for p in points})
    assert [both.point_at(p.seq) for p in points] == points
    assert sorted(p.seq for p in both.execution_order()) == list(range(len(both)))
    # adding devices leaves the depolarizing points (and so their stored results) as they were
    assert {p.point_id for p in plain.points()} <= {p.point_id for p in points}
    dev = [p for p in points if p.device is not None]
    assert {(p.device, p.noise_scale) for p in dev} == {
        (d, s) for d in (DEVICE, "generic:n=3") for s in (1.0, 2.5)}
    assert all(p.noise_level is None for p in dev)
    kwargs = profile_kwargs(dev[0], {"trials": None})
    assert "noise" not in kwargs and kwargs["device"] == dev[0].device
    # devices alone: no depolarizing level is added
    alone = spec(devices=[DEVICE])
    assert alone.noise_levels == () and alone.noise_scales == (1.0,) and len(alone) == 2
    assert alone.to_dict()["sweep"]["devices"] == [DEVICE]
    assert "devices" not in plain.to_dict()["sweep"]


@pytest.mark.parametrize("sweep, message", [
    ({"devices": ["nowhere"]}, "sweep.devices[0]: unknown device 'nowhere'; known: sherbrooke"),
    ({"noise_scales": [2]}, "sweep.noise_scales: scales a device's noise; give sweep.devices"),
    ({"devices": [DEVICE], "noise_scales": [0]}, "sweep.noise_scales[0]: must be > 0"),
    ({"devices": [DEVICE], "noise_scales": [-1.5]}, "sweep.noise_scales[0]: must be > 0"),
    ({"devices": [DEVICE, DEVICE]}, "sweep.devices[1]: 'generic:n=4,p2=0.02' is listed twice"),
    ({"devices": ["generic:n=2"]}, "circuits[0].qubits: 3 qubits do not fit device generic:n=2"),
])
def test_bad_device_axes_are_refused_with_their_path(sweep, message):
    with pytest.raises(SpecError) as err:
        spec(**sweep)
    assert message in str(err.value)


def test_bad_device_spec_is_one_error_line_and_nothing_written(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[sweep]\ndevices = ["nowhere"]\n[[circuits]]\nfamily = "ghz"\nqubits = [2]\n')
    res = CliRunner().invoke(main, ["run", str(bad), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "unknown device" in lines[0]
    assert not (tmp_path / "out").exists()


def test_a_device_sweep_stores_and_exports_device_snapshot_and_routing(tmp_path):
    s = SweepSpec.from_dict({
        "sweep": {"name": "dev", "shots": 100, "repeats": 1, "trials": 0,
                  "devices": [DEVICE], "noise_scales": [1, 2]},
        "circuits": [{"family": "qaoa", "qubits": [3], "depths": [1]}],
        "strategies": [{"name": "rem"}]})
    summary = run_sweep(s, tmp_path, executor="serial", progress=False)
    assert summary.done == 2 and summary.failed == 0
    with Reader(tmp_path) as r:
        stored = list(r.points())
    assert [(p["device"], p["noise_scale"], p["noise_level"]) for p in stored] == [
        (DEVICE, 1.0, None), (DEVICE, 2.0, None)]
    out = list(rows(tmp_path))
    assert {(r["device"], r["noise_scale"]) for r in out} == {(DEVICE, 1.0), (DEVICE, 2.0)}
    for r in out:
        routing = r["routing"]
        # qaoa:n=3 is a ring: a line needs SWAPs, 3 CX each
        assert routing["swaps"] > 0
        assert routing["two_qubit_after"] == routing["two_qubit_before"] + 3 * routing["swaps"]
        # the SWAPs' noise is part of the unmitigated error, not all of it
        assert 0 < routing["swap_error_share"] < 1
        assert abs(routing["noisy_value_without_swap_noise"] - r["ideal_value"]) < abs(
            r["noisy_value_exact"] - r["ideal_value"])
        assert r["noise"]["device"] == DEVICE and "snapshot" in r["noise"]
        assert r["noise"]["noise_scale"] == r["noise_scale"]
    res = CliRunner().invoke(main, ["export", str(tmp_path), "-o", str(tmp_path / "x.csv")])
    assert res.exit_code == 0, res.output
    with open(tmp_path / "x.csv") as fh:
        table = list(csv.DictReader(fh))
    assert {row["routing.swaps"] for row in table} == {str(out[0]["routing"]["swaps"])}
    assert {row["device"] for row in table} == {DEVICE}
    # the report's device view: one column per noise setting, the routing overhead
    view = device_view(load(tmp_path))
    assert view is not None
    assert view["settings"] == [f"{DEVICE} \u00d71", f"{DEVICE} \u00d72"]
    assert [r["strategy"] for r in view["rows"]] == ["rem[tensored]"]
    (route,) = view["routing"]
    swaps = out[0]["routing"]["swaps"]
    assert route["swaps"] == str(swaps) and route["snapshot"] == "synthetic"
    assert route["two_qubit"] == f"{out[0]['routing']['two_qubit_before']} \u2192 " \
                                 f"{out[0]['routing']['two_qubit_before'] + 3 * swaps}"
    html = render_report(tmp_path)
    assert "Routing overhead" in html and "No device points" not in html


def test_a_store_without_device_points_has_no_device_view():
    # (the report then says so in one line: tests/test_report.py)
    assert device_view(load(Path(__file__).parent / "fixtures" / "report_store")) is None
