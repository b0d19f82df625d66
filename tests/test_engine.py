import math

import pytest

from mitprof import profile
from mitprof.errors import SpecError


@pytest.fixture(scope="module")
def result():
    return profile("ghz:n=3", strategies=["zne", "pec:samples=20", "rem"], noise=0.02,
                   shots=500, seed=3, repeats=1, trials=30, hardware="ibm_eagle",
                   target_error=0.05, budgets=[10**6])


def test_profile_reports_every_strategy_with_baseline_first(result):
    labels = [r.strategy for r in result.results]
    assert labels[0] == "unmitigated"
    assert labels[1:] == ["zne[richardson,1-2-3,global]", "pec[global,20]", "rem[tensored]"]


def test_derived_fields_are_consistent(result):
    base = result.results[0]
    assert base.shot_multiplier == 1.0 and base.wall_overhead == 1.0
    for r in result.results:
        assert r.abs_error == pytest.approx(abs(r.value - result.ideal_value))
        assert r.shot_multiplier == pytest.approx(r.total_shots / base.total_shots)
        assert r.wall_overhead == pytest.approx(r.wall_seconds / base.wall_seconds)
        assert r.classical_ratio == pytest.approx(r.wall_seconds / result.classical_seconds)
        assert r.wall_seconds == pytest.approx(sum(r.phase_seconds.values()), rel=1e-6)
    assert result["zne"].total_shots == 3 * 500
    assert result["pec"].total_shots == 20 * 500
    assert result["rem"].calibration_shots == 2 * 500
    assert result["rem"].total_shots == 3 * 500


def test_ideal_and_noisy_values_are_computed(result):
    # GHZ's neighbouring-ZZ mean is +1 by construction; noise must pull it down
    assert result.ideal_value == pytest.approx(1.0)
    assert result.classical_method == "stabilizer"
    assert 0.0 < result.noisy_value_exact < result.ideal_value


def test_to_dict_is_json_ready(result):
    import json

    d = json.loads(json.dumps(result.to_dict()))
    assert {"ideal_value", "noisy_value_exact", "classical_seconds", "results"} <= set(d)
    for r in d["results"]:
        for key in ("strategy", "value", "abs_error", "n_circuits", "total_shots",
                    "shot_multiplier", "wall_seconds", "phase_seconds", "wall_overhead",
                    "classical_ratio"):
            assert key in r
    assert d["results"][2]["details"]["gamma"] > 1


def test_table_and_repr_name_every_strategy(result):
    text = result.table()
    for r in result.results:
        assert r.strategy in text
    assert "ProfileResult" in repr(result)


def test_same_seed_same_estimates_on_each_backend():
    for backend in ("aer", "cirq"):
        a = profile("ghz:n=2", backend=backend, strategies=["zne", "rem"], shots=300, seed=9,
                    repeats=1, trials=5)
        b = profile("ghz:n=2", backend=backend, strategies=["zne", "rem"], shots=300, seed=9,
                    repeats=1, trials=5)
        assert [r.value for r in a.results] == [r.value for r in b.results]
        assert [r.variance_multiplier for r in a.results] == [
            r.variance_multiplier for r in b.results]
        assert all(math.isfinite(r.value) for r in a.results)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"shots": 0}, "shots"), ({"noise": 1.2}, "noise"), ({"observable": "ZZZZ"}, "acts on 4"),
    ({"backend": "qpu"}, "unknown backend"), ({"strategies": ["magic"]}, "unknown strategy"),
    ({"trials": 1}, "trials"), ({"hardware": "qpu9"}, "hardware"), ({"target_error": -1}, "target"),
    ({"budgets": [0]}, "budget"),
])
def test_bad_input_raises_spec_errors(kwargs, fragment):
    with pytest.raises(SpecError, match=fragment):
        profile("ghz:n=3", **{"repeats": 1, **kwargs})


def test_statistics_fields_have_the_promised_shapes(result):
    for r in result.results:
        assert set(r.variance_multiplier) == {"estimate", "ci_low", "ci_high"}
        assert r.variance_multiplier["ci_low"] <= r.variance_multiplier["estimate"] <= \
            r.variance_multiplier["ci_high"]
        assert set(r.bias) == {"estimate", "ci_low", "ci_high"}
        assert r.rmse >= abs(r.bias["estimate"]) - 1e-12  # rmse^2 = bias^2 + variance
        assert r.trials == 30
        assert r.projected_qpu_seconds > 2.0  # at least the job overhead of the preset
        assert set(r.rmse_at_budget) == {str(r.total_shots), str(10**6)}
    zne = result["zne"]
    assert zne.theory_multiplier > 1 and zne.theory_multiplier_optimal_split is not None
    assert zne.consistent in (True, False)
    # PEC runs 20 circuits per estimate: its projected QPU time exceeds the baseline's
    assert result["pec"].projected_qpu_seconds > result.results[0].projected_qpu_seconds
    assert "M = " in zne.summary(0.1) and "theory" in zne.summary(0.1)


def test_pec_shots_per_sample_optimum_follows_the_per_circuit_cost():
    kwargs = dict(observable="ZZ", strategies=["pec:samples=30"], shots=100, repeats=1,
                  trials=20)
    costly = profile("bell.qasm", hardware={"t_1q": 5e-8, "t_2q": 3e-7, "t_measure": 1e-6,
                                            "t_circuit": 0.02, "t_job": 1.0}, **kwargs)
    free = profile("bell.qasm", hardware="ibm_eagle", **kwargs)
    assert costly["pec"].pec_shots_per_sample_optimal["shots_per_sample"] > 1
    assert free["pec"].pec_shots_per_sample_optimal["shots_per_sample"] == 1


def test_every_interval_can_be_recomputed_from_the_stored_trials(result):
    """The result keeps each trial's raw estimate: the stored intervals follow from them."""
    import json

    from mitprof import stats
    from mitprof.seeds import derive_seed

    stored = json.loads(json.dumps(result.to_dict()))  # what the store keeps
    rows = stored["results"]
    base = [v for v in rows[0]["trial_values"] if v is not None]
    for row in rows:
        vals = [v for v in row["trial_values"] if v is not None]
        assert len(row["trial_values"]) == 30 and len(vals) == row["trials"]
        seed = derive_seed(stored["seed"], row["strategy"], "bootstrap")
        vm = stats.variance_multiplier(vals, row["total_shots"], base,
                                       rows[0]["total_shots"], seed)
        assert vm.to_dict() == row["variance_multiplier"]
        bias = stats.mean_interval(vals, seed, shift=stored["ideal_value"])
        assert bias.to_dict() == row["bias"]


# ---------------------------------------------------------------- the answer first


def test_the_answer_ranks_by_the_shots_each_strategy_needs_for_the_target(result):
    """The ranking (and the table's order) follows the engine's own shots_for_error, computed
    from the trials; strategies that cannot reach the target come after."""
    answer = result.answer()
    assert answer.target.error == 0.05 and answer.target.source == "as given"
    need = {r.strategy: r.shots_for_error for r in result.results}
    reach = sorted((n, s) for s, n in need.items() if isinstance(n, float))
    assert reach, need  # the fixture has strategies that reach 0.05
    got = [e.strategy for e in answer.entries]
    assert got[:len(reach)] == [s for _, s in reach]
    assert {e.strategy for e in answer.entries[len(reach):]} == {
        s for s, n in need.items() if n == "unreachable"}
    for e in answer.entries[:len(reach)]:
        assert e.shots_to_target == pytest.approx(need[e.strategy], rel=1e-9)
        assert e.qpu_seconds_to_target > result.hardware["t_job"]
    for e in answer.entries[len(reach):]:  # out of reach: resolved only if the interval says so
        b = result[e.strategy].bias
        beyond = b["ci_low"] > 0.05 or b["ci_high"] < -0.05
        assert e.status == ("unreachable" if beyond else "unresolved"), (e, b)
    text = result.table()
    rows = [line.split()[1] for line in text.splitlines()
            if line[:4].strip() in {"-", *map(str, range(1, 9))}]
    assert rows == got
    assert text.index("Answer") < text.index("timed run")  # the answer first
    assert " gain " not in text and all(len(line) <= 100 for line in text.splitlines())
    assert answer.sentence.startswith(f"{got[0]} is cheapest" if got[0] != "unmitigated"
                                      else "unmitigated is enough")


def test_the_default_target_is_the_unmitigated_bias(result):
    from dataclasses import replace

    from mitprof import stats

    base = result.results[0]
    vals = [v for v in base.trial_values if v is not None]
    model = stats.ErrorModel.from_trials(vals, result.ideal_value, base.total_shots)
    assert base.bias["ci_low"] > 0 or base.bias["ci_high"] < 0  # noise 0.02: resolved
    answer = replace(result, target_error=None).answer()
    assert answer.target.error == pytest.approx(model.bias2 ** 0.5, rel=1e-9)
    # no number of unmitigated shots gets below its own bias
    assert [e.status for e in answer.entries if e.strategy == "unmitigated"] == ["unreachable"]
    for e in answer.entries:
        if e.status == "reaches":
            r = result[e.strategy]
            mit = stats.ErrorModel.from_trials([v for v in r.trial_values if v is not None],
                                               result.ideal_value, r.total_shots)
            assert e.shots_to_target == pytest.approx(mit.shots_for(answer.target.error),
                                                      rel=1e-9)


def test_progress_shows_only_on_a_terminal(monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for stream, shown in ((Terminal(), True), (io.StringIO(), False)):
        monkeypatch.setattr(sys, "stderr", stream)
        profile("ghz:n=2", strategies=["rem"], shots=100, repeats=1, trials=4, progress=None)
        out = stream.getvalue()
        assert ("4/4 passes" in out and "rem[tensored]: 4 trials" in out) == shown, out
    quiet = Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    profile("ghz:n=2", strategies=["rem"], shots=100, repeats=1, trials=4)  # API default
    assert quiet.getvalue() == ""
