"""DDD, LRE, CDR and their compositions with REM through a sweep and the report."""

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
