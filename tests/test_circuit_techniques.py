"""DDD, LRE, CDR and their compositions with REM through a sweep and the report; bad
options are one error line."""

import pytest
from click.testing import CliRunner

from mitprof.cli import main
from mitprof.store import Reader

SPEC = """
[sweep]
name = "newtech"
seed = 1
shots = 200
repeats = 1
trials = 4
backends = ["aer"]
noise_levels = [0.01]

[[circuits]]
family = "ising"
qubits = [3]
depths = [1]

[[strategies]]
name = "ddd"
options = { rule = "xyxy" }

[[strategies]]
name = "lre"
options = { chunks = "2" }

[[strategies]]
name = "cdr"
options = { train = "4", replace = "uniform" }

[[strategies]]
name = "rem+cdr"
options = { train = "4", replace = "uniform" }

[[strategies]]
name = "rem+lre"
options = { chunks = "2" }
"""


def test_sweep_and_report_carry_every_new_technique(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["run", str(spec), "--out", str(out), "--executor",
                                    "serial"])
    assert res.exit_code == 0, res.output
    assert "1 done, 0 failed" in res.output
    with Reader(out) as reader:
        labels = {r["strategy"] for p in reader.points() for r in p["results"]}
    expected = {"ddd[xyxy]", "lre[d2,m1,2,random]",
                "cdr[4,0.1,1,uniform,uniform]", "rem[tensored]+cdr[4,0.1,1,uniform,uniform]",
                "rem[tensored]+lre[d2,m1,2,random]"}
    assert expected <= labels, labels
    res = CliRunner().invoke(main, ["report", str(out)])
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text()
    for label in expected:
        assert label in html
    assert "classical_training" in html  # the phase figure's legend


@pytest.mark.parametrize("strategy,says", [
    ("ddd:rule=zz", "unknown DDD rule 'zz'"),
    ("lre:degree=0", "lre degree=0 must be >= 1"),
    ("lre:fold=identity", "unknown lre fold"),
    ("cdr:fraction=2", "cdr fraction=2.0 must be in (0.0, 1.0]"),
    ("cdr:scale=1-3,train=2", "cdr needs train >= 3"),
    ("rem+cdr:rule=xx", "has no option 'rule'"),
])
def test_bad_options_are_one_error_line(strategy, says):
    res = CliRunner().invoke(main, ["profile", "ising:n=2,depth=1", "-s", strategy,
                                    "--trials", "0", "--repeats", "1"])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines
