"""Cost projection (issue 15): regressors, weighted fits, refusal, held-out validation, CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import norm

from mitprof import theory
from mitprof.circuits import resolve
from mitprof.cli import main
from mitprof.noise import Noise
from mitprof.projection import (
    Observation,
    _log_linear,
    _zne_model,
    cone_error,
    fit,
    pec_load,
    readout_load,
)

Z999 = norm.ppf(1 - 0.001 / 2)  # a seeded draw outside it: a one-in-a-thousand event


def _observations(x: np.ndarray, ln_m: np.ndarray, sigma: float) -> list[Observation]:
    half = 1.959963984540054 * sigma
    return [Observation(f"c{i}", i + 2, None, float(xi), (math.exp(y), math.exp(y - half),
                                                          math.exp(y + half)))
            for i, (xi, y) in enumerate(zip(x, ln_m, strict=True))]


def test_regressors_of_a_ghz_chain():
    # H(0), CNOT(0,1), CNOT(1,2): each ZZ term's backward light cone holds every gate
    noise = Noise.from_level(0.01)
    w = resolve("ghz:n=3")
    assert cone_error(w, noise) == pytest.approx(noise.p1 + 2 * noise.p2, rel=1e-12)
    # two qubits per term, each with its confusion factor D = 1 - p01 - p10
    assert readout_load(w, noise) == pytest.approx(
        -4 * math.log(1 - noise.p01 - noise.p10), rel=1e-12)
    # a wider chain: the last term's cone holds the whole chain, the first one's too
    assert cone_error(resolve("ghz:n=6"), noise) > cone_error(w, noise)
    # PEC: n_t (gamma^2 - 1) over 2 terms, gamma the product of the gates' one-norms
    g2 = (theory.gamma_1q(noise.p1) * theory.gamma_2q_global(noise.p2) ** 2) ** 2
    assert pec_load("global")(w, noise) == pytest.approx(math.log(2 * (g2 - 1)), rel=1e-12)
    g2_local = (theory.gamma_1q(noise.p1) * theory.gamma_2q_local(noise.p2) ** 2) ** 2
    assert pec_load("local")(w, noise) == pytest.approx(math.log(2 * (g2_local - 1)),
                                                        rel=1e-12)


def test_weighted_fit_recovers_a_log_linear_model():
    rng = np.random.default_rng(15)
    theta, sigma = np.array([0.5, 20.0]), 0.2
    x = np.linspace(0.01, 0.1, 8)
    obs = _observations(x, theta[0] + theta[1] * x + rng.normal(0, sigma, x.size), sigma)
    f = fit(_log_linear("x", cone_error), obs)
    se = np.sqrt(np.diag(f.cov))
    assert np.all(np.abs(f.theta - theta) <= Z999 * se)
    assert f.consistent is True and f.dof == 6
    pred, why = f.predict(0.3)
    assert why is None and pred is not None
    truth = theta[0] + theta[1] * 0.3
    half = math.log(pred[2] / pred[0])  # the 95% half-width in ln M
    assert abs(math.log(pred[0]) - truth) <= half * Z999 / 1.959963984540054


def test_inconsistent_residuals_refuse_to_extrapolate():
    x = np.linspace(0.01, 0.2, 8)
    obs = _observations(x, 1 + 5 * x + 200 * x**2, 0.01)  # curved; intervals 1% wide
    f = fit(_log_linear("x", cone_error), obs)
    assert f.consistent is False
    pred, why = f.predict(0.5)
    assert pred is None and "inconsistent" in str(why)


def test_a_flat_regressor_gives_a_constant_model_that_does_not_extrapolate():
    obs = _observations(np.full(4, 0.1), np.log([3.0, 3.2, 2.9, 3.1]), 0.1)
    f = fit(_log_linear("x", cone_error), obs)
    assert f.constant
    assert f.predict(0.11)[0] is not None
    assert f.predict(0.5)[0] is None and "did not vary" in str(f.predict(0.5)[1])


def test_zne_model_limits_are_theorys():
    scales = [1.0, 2.0, 3.0]
    g = theory.richardson_coefficients(scales)
    model = _zne_model(scales, g)
    m = len(scales)
    # no decay: every sigma_i^2 / sigma_0^2 -> l_i; full decay: -> 1 (THEORY.md, ZNE)
    small = model.h(np.array([1e-9]), np.array([0.0, 1.0]))[0]
    large = model.h(np.array([50.0]), np.array([0.0, 1.0]))[0]
    assert math.exp(small) == pytest.approx(m * float(np.sum(g**2 * np.array(scales))),
                                            rel=1e-6)
    assert math.exp(large) == pytest.approx(m * float(np.sum(g**2)), rel=1e-9)


SPEC = """
[sweep]
name = "proj"
seed = 3
shots = 200
trials = 6
repeats = 1
backends = ["stim"]
noise_levels = [0.01]

[[circuits]]
family = "ghz"
qubits = [3, 4, 5, 7]

[[strategies]]
name = "pec"
options = { samples = 8 }

[[strategies]]
name = "rem_tensored"
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("proj")
    (root / "spec.toml").write_text(SPEC)
    res = CliRunner().invoke(main, ["run", str(root / "spec.toml"), "--out",
                                    str(root / "out"), "--executor", "serial"])
    assert res.exit_code == 0, res.output
    return root / "out"


def test_project_cli_validates_on_held_out_points_and_writes_its_page(store, tmp_path):
    out_json, out_html = tmp_path / "p.json", tmp_path / "p.html"
    res = CliRunner().invoke(main, ["project", str(store), "--to", "width=20,50",
                                    "--fit-max-width", "5", "--json", str(out_json),
                                    "--html", str(out_html)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out_json.read_text())
    # the 7-qubit point is held out for both techniques, and compared with its prediction
    assert {k: v["held_out"] for k, v in doc["coverage"].items()} == {"pec": 1,
                                                                       "rem_tensored": 1}
    held = [r for r in doc["rows"] if r["role"] == "held-out"]
    assert all(r["measured"] and (r["predicted"] or r["reason"]) for r in held)
    projected = {(r["technique"], r["width"]) for r in doc["rows"] if r["role"] == "projected"}
    assert projected == {(t, n) for t in ("pec", "rem_tensored") for n in (20, 50)}
    page = out_html.read_text()
    assert "<svg" in page and "held-out coverage" in page.lower()
    assert "held-out coverage" in res.output


@pytest.mark.parametrize("args, message", [
    (["--to", "depth=4"], "expected width=N"),
    (["--to", "width=0"], "not a positive integer"),
    (["--device", "nowhere"], "unknown device"),
    (["--target-error", "-1"], "target error must be"),
    (["--hardware", "nowhere"], "unknown hardware model"),
])
def test_project_bad_input_is_one_error_line(store, tmp_path, args, message):
    out = tmp_path / "p.json"
    proc = subprocess.run([sys.executable, "-m", "mitprof.cli", "project", str(store), *args,
                           "--json", str(out)], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ")
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr
    assert not out.exists()


def test_stores_pool_and_a_point_in_both_counts_once(store):
    import mitprof

    one = mitprof.project(store, widths="width=20", fit_max_width=5).to_dict()
    both = mitprof.project([store, store], widths="width=20", fit_max_width=5).to_dict()
    assert both == one


def test_projection_under_a_device_and_a_target_wider_than_it(store):
    import mitprof

    pytest.importorskip("qiskit_ibm_runtime")
    proj = mitprof.project(store, widths=[20, 200], fit_max_width=5, device="brisbane")
    rows = {(r.technique, r.width): r for r in proj.rows if r.role == "projected"}
    assert rows[("pec", 20)].predicted is not None and math.isfinite(rows[("pec", 20)].x)
    wide = rows[("pec", 200)]
    assert wide.predicted is None and "device brisbane has 127" in str(wide.reason)
    assert any("device brisbane" in n for n in proj.notes)
    # QPU seconds on the device's own durations (the store has no hardware model)
    c = rows[("pec", 20)].cost
    assert c is not None and c["hardware"] == "ibm_eagle on the device's durations"
    assert c["qpu_seconds"]["estimate"] > 2.0 + c["shots"]["estimate"] * 250e-6


def test_versus_classical_rows_give_time_to_target_and_a_verdict():
    from dataclasses import replace

    from mitprof.report.data import from_profiles
    from mitprof.report.versus_classical import rows

    doc = {"circuit": "ghz:n=3", "backend": "stim", "n_qubits": 3, "classical_seconds": 0.5,
           "hardware": {"t_job": 2.0},
           "results": [
               {"strategy": "zne", "projected_qpu_seconds": 3.0, "total_shots": 3000,
                "shots_for_error": 1e6},
               {"strategy": "pec", "projected_qpu_seconds": 4.0, "total_shots": 1000,
                "details": {"gamma": 100.0}},
               {"strategy": "rem", "projected_qpu_seconds": 2.5, "total_shots": 1000,
                "shots_for_error": "unreachable"}]}
    ds = replace(from_profiles([doc]), spec={"sweep": {"target_error": 0.01}})
    by = {v["strategy"]: v for v in rows(ds)}
    assert by["zne"]["qpu_seconds"] == pytest.approx(2.0 + (3.0 - 2.0) / 3000 * 1e6)
    assert by["zne"]["verdict"] == "costs more than classical" and not by["zne"]["bound"]
    assert by["pec"]["shots"] == pytest.approx((100.0**2 - 1) / 0.01**2) and by["pec"]["bound"]
    assert by["rem"]["qpu_seconds"] is None and "unreachable" in by["rem"]["how"]


def _lagrange_at_zero(scales):
    return [math.prod(lj / (lj - li) for j, lj in enumerate(scales) if j != i)
            for i, li in enumerate(scales)]


def test_cost_formulas_bias_shots_and_qpu_seconds():
    from mitprof import projection_cost as pc
    from mitprof.hardware import get_model

    scales, f_gate, f_read = [1.0, 2.0, 3.0], 0.9, 0.95
    b, label = pc.bias("zne", {"factory": "richardson", "scale_factors": scales}, 2.0,
                       f_gate, f_read)
    extrapolated = f_read * sum(g * f_gate**s for g, s in zip(_lagrange_at_zero(scales),
                                                                scales, strict=True))
    assert b == pytest.approx(2.0 * (1 - extrapolated), rel=1e-12) and "approximate" in label
    assert pc.bias("pec", {}, 2.0, f_gate, f_read)[0] == pytest.approx(2.0 * (1 - f_read))
    assert pc.bias("zne", {"factory": "exp"}, 1.0, f_gate, f_read)[0] is None
    # N = M sigma0^2 / (e^2 - b^2); ln N's half-widths: M's and sigma0^2's in quadrature
    m, sigma0, target, bias = (10.0, 5.0, 20.0), (0.5, 0.1), 0.1, 0.06
    n, why = pc.shots(m, sigma0, target, bias)
    assert why is None and n is not None
    n0 = 10.0 * 0.5 / (target**2 - bias**2)
    ext = 1.959963984540054 * 0.1
    assert n == pytest.approx((n0, n0 * math.exp(-math.sqrt(math.log(2) ** 2 + ext**2)),
                               n0 * math.exp(math.sqrt(math.log(2) ** 2 + ext**2))), rel=1e-12)
    assert pc.shots(m, sigma0, 0.05, bias)[0] is None
    hw = get_model({"t_1q": 1e-7, "t_2q": 5e-7, "t_measure": 1e-6, "t_rep": 1e-4,
                    "t_circuit": 0.5, "t_job": 2.0})
    w = resolve("ghz:n=3")  # H, CNOT, CNOT: three layers
    gates = 1e-7 + 2 * 5e-7
    t = pc.qpu_seconds(n, w.circuit, 3, hw, scales, 3)
    assert t == pytest.approx(tuple(2.0 + 3 * 0.5 + k * (1e-4 + 2.0 * gates + 1e-6)
                                    for k in n), rel=1e-12)


def test_projected_rows_carry_bias_shots_and_qpu_seconds(store):
    import mitprof
    from mitprof.hardware import circuit_duration, get_model
    from mitprof.report.data import load

    proj = mitprof.project(store, widths=[20], fit_max_width=5, target_error=0.2,
                           hardware="ibm_heron")
    rows = {r.technique: r for r in proj.rows if r.role == "projected"}
    noise, w = Noise.from_level(0.01), resolve("ghz:n=20")  # the store's noise
    # ghz chain: the term Z_i Z_i+1's light cone holds H and the CNOTs 0..i+1 (CNOT(i+1,
    # i+2) touches qubit i+1 after CNOT(i,i+1)): i + 2 of them, n - 1 for the last term
    n = 20
    cnots = (sum(i + 2 for i in range(n - 2)) + n - 1) / (n - 1)
    gate_decay = math.exp(-(noise.p1 + noise.p2 * cnots))
    read_decay = (1 - noise.p01 - noise.p10) ** 2
    s2 = sorted((p.n_qubits, r["sigma2_per_shot"]) for p in load(store).done
                for r in p.results if r["name"] == "unmitigated")
    slope, icpt = np.polyfit(np.log([n for n, _ in s2]), np.log([s for _, s in s2]), 1)
    sigma0_2 = math.exp(icpt + slope * math.log(20))
    hw = get_model("ibm_heron")
    for technique, bias in (("pec", 1 - read_decay), ("rem_tensored", 1 - gate_decay)):
        row = rows[technique]
        c = row.cost
        assert c is not None and row.predicted is not None
        assert c["bias"] == pytest.approx(bias, rel=1e-9)
        assert c["unmitigated_bias"] == pytest.approx(1 - gate_decay * read_decay, rel=1e-9)
        shots = row.predicted[0] * sigma0_2 / (0.2**2 - bias**2)
        assert c["shots"]["estimate"] == pytest.approx(shots, rel=1e-9)
        assert c["shots"]["ci_low"] < shots < c["shots"]["ci_high"]
        per_shot = hw.t_rep + circuit_duration(w.circuit, hw)
        assert c["qpu_seconds"]["estimate"] == pytest.approx(hw.t_job + shots * per_shot,
                                                             rel=1e-9)
    # the default target is the unmitigated bias there
    default = mitprof.project(store, widths=[20], fit_max_width=5)
    c = next(r.cost for r in default.rows if r.role == "projected")
    assert c is not None and c["target_error"] == pytest.approx(1 - gate_decay * read_decay)
    # held-out points compare the projected bias with the measured one
    assert set(proj.bias_coverage()) == {"pec", "rem_tensored"}


def test_report_has_a_projection_section_or_says_why_not(store, monkeypatch):
    from mitprof.report import projection_section, render_report

    # widths 3-7 only: nothing wider than 10 to hold out
    assert "Not projected: the store" in render_report(store)
    monkeypatch.setattr(projection_section, "FIT_MAX_WIDTH", 5)  # 7 is held out
    page = render_report(store)
    section = page[page.index('<h3 id="projection">'):]  # inside the width section
    section = section[:section.index("</section>")]
    assert "<svg" in section and "ghz:n=127" in section and "QPU" in section
    assert "pec</td><td class=\"n\">" in section and "Not projected" not in section


def test_the_store_s_target_error_and_hardware_model_are_used(store):
    from dataclasses import replace

    import mitprof
    from mitprof.hardware import PRESETS
    from mitprof.projection_cost import hardware_of
    from mitprof.report.data import load

    ds = replace(load(store), spec={"sweep": {"target_error": 0.3}})
    c = next(r.cost for r in mitprof.project(ds, widths=[20], fit_max_width=5).rows
             if r.role == "projected")
    assert c is not None and c["target_error"] == 0.3
    assert c["target_source"] == "the store's sweep target" and c["hardware"] == "ibm_eagle"
    assert hardware_of({"hardware": PRESETS["ibm_heron"].to_dict()}, None) == PRESETS["ibm_heron"]
    custom = hardware_of({"hardware": {"name": "custom", "t_2q": 1e-6, "t_rep": 1e-4}}, None)
    assert custom is not None and (custom.t_2q, custom.t_rep, custom.t_1q) == (1e-6, 1e-4, 0.0)
    assert hardware_of({}, None) is None
