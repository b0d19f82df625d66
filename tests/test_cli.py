"""Every CLI command, and one bad-input case per kind: one `error:` line, exit 2."""

import json
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from mitprof.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_help_is_fast_and_lists_commands():
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "mitprof.cli", "--help"], capture_output=True,
                         text=True, check=True)
    elapsed = time.perf_counter() - t0
    assert "profile" in out.stdout and "list" in out.stdout
    # not a performance assertion: heavy imports would take many seconds, not fractions
    assert elapsed < 5
    heavy = subprocess.run([sys.executable, "-c", "import mitprof.cli, sys; "
                            "print(any(m in sys.modules for m in ('mitiq','qiskit','cirq')))"],
                           capture_output=True, text=True, check=True)
    assert heavy.stdout.strip() == "False"


def test_listing_imports_no_simulator_stack():
    """`mitprof list` reads the registries without Cirq, Qiskit or Mitiq (they cost seconds);
    devices are left out: their calibration snapshots are read through qiskit-ibm-runtime."""
    code = ("import sys\n"
            "from mitprof.cli import main\n"
            "for what in ('circuits', 'strategies', 'backends', 'hardware'):\n"
            "    main(['list', what], standalone_mode=False)\n"
            "print(sorted(m for m in ('cirq', 'qiskit', 'qiskit_aer', 'mitiq', 'stim')"
            " if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    # each listing printed (one line from each), and the stack stayed out
    for first in ("ghz:n=", "pec  ", "aer  ", "ibm_eagle  "):
        assert any(line.startswith(first) for line in out), first
    assert out[-1] == "[]", out[-1]


def test_device_listing_is_cached_and_then_needs_no_runtime_import(tmp_path):
    """The first `mitprof list devices` reads the snapshots (through qiskit-ibm-runtime) and
    caches their summaries; the next prints the same lines without importing it."""
    import os

    code = ("import sys\n"
            "from mitprof.cli import main\n"
            "main(['list', 'devices'], standalone_mode=False)\n"
            "print('qiskit_ibm_runtime' in sys.modules)\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    first, second = (subprocess.run([sys.executable, "-c", code], capture_output=True,
                                    text=True, check=True, env=env).stdout.splitlines()
                     for _ in range(2))
    assert first[-1] == "True" and second[-1] == "False"
    assert first[:-1] == second[:-1] and any(x.startswith("sherbrooke  ") for x in second)
    assert (tmp_path / "mitprof" / "device_summaries.json").exists()


def test_profile_json_is_one_document_with_the_promised_keys():
    res = run("profile", "ghz:n=2", "--strategy", "zne", "--strategy", "rem", "--shots", "200",
              "--repeats", "1", "--trials", "20", "--hardware", "ibm_heron", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert [r["strategy"] for r in doc["results"]] == [
        "unmitigated", "zne[richardson,1-2-3,global]", "rem[tensored]"]
    assert doc["results"][1]["total_shots"] == 600
    zne = doc["results"][1]
    assert set(zne["variance_multiplier"]) == {"estimate", "ci_low", "ci_high"}
    assert isinstance(zne["theory_multiplier"], float) and zne["projected_qpu_seconds"] > 0


def test_profile_table_on_a_qasm_file_with_cirq():
    res = run("profile", "bell.qasm", "--backend", "cirq", "--strategy", "rem", "--shots", "200",
              "--repeats", "1", "--readout", "0.02,0.05", "--p1", "0.001", "--trials", "20")
    assert res.exit_code == 0, res.output
    assert "rem[tensored]" in res.stdout and "ideal" in res.stdout
    # two measurement bases (ZZ, XX) + two calibration circuits; Bell sits at the simplex
    # edge, so the REM theory is reported as approximate
    answer = next(ln for ln in res.stdout.splitlines() if ln.split()[1:2] == ["rem[tensored]"])
    timed = [ln for ln in res.stdout.splitlines() if ln.startswith("rem[tensored] ")][-1]
    assert " ~" in answer and timed.split()[1] == "4"


@pytest.mark.parametrize("what, expect", [("circuits", "mirror"), ("strategies", "zne"),
                                          ("backends", "cirq"), ("hardware", "ibm_heron")])
def test_list(what, expect):
    res = run("list", what)
    assert res.exit_code == 0 and expect in res.stdout


@pytest.mark.parametrize("args", [
    ["profile", "nosuch:n=2"],
    ["profile", "missing.qasm"],
    ["profile", "ghz:n=2", "--noise", "1.5"],
    ["profile", "ghz:n=2", "--shots", "0"],
    ["profile", "ghz:n=2", "--observable", "ZZZ"],
    ["profile", "ghz:n=2", "--backend", "qpu"],
    ["profile", "ghz:n=2", "--strategy", "zne:factory=cubic"],
    ["profile", "ghz:n=13", "--backend", "cirq"],
    ["profile", "ising:n=3,depth=1", "--backend", "stim"],
    ["profile", "ghz:n=2", "--trials", "1"],
    ["profile", "ghz:n=2", "--hardware", "ibm_q1"],
])
def test_bad_input_gives_one_error_line_and_status_2(args):
    extra = [] if "--trials" in args else ["--trials", "0"]
    res = run(*args, "--repeats", "1", *extra)
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert res.stdout == ""


def test_too_large_says_how_much_memory_and_what_would_work():
    res = run("profile", "ghz:n=13", "--backend", "cirq", "--trials", "0")
    assert "GiB" in res.stderr and "stabilizer" in res.stderr


def test_a_real_process_prints_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "mitprof.cli", "profile", "ghz:n=2",
                           "--observable", "ZZZ"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_malformed_qasm_error_names_file_and_line(tmp_path):
    bad = tmp_path / "broken.qasm"
    bad.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncx q[0] q[1];\n')
    res = run("profile", str(bad))
    assert res.exit_code == 2
    assert "broken.qasm, line 4" in res.stderr


@pytest.mark.parametrize("value", ["abc", "0", "-0.1", "nan", "inf"])
def test_a_bad_target_error_is_one_error_line(value):
    res = run("profile", "ghz:n=2", "--target-error", value, "--repeats", "1", "--trials", "0")
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "target error" in lines[0]
    assert res.stdout == ""


def test_progress_goes_to_a_terminal_but_never_into_json(monkeypatch):
    import mitprof.progress

    monkeypatch.setattr(mitprof.progress, "on_terminal", lambda stream: True)
    args = ["profile", "ghz:n=2", "-s", "rem", "--shots", "100", "--repeats", "1",
            "--trials", "4"]
    text, doc = run(*args), run(*args, "--json")
    assert "4/4 passes" in text.stderr and "Answer" in text.stdout
    assert doc.stderr == "" and json.loads(doc.stdout)["answer"]["ranking"]


def test_without_trials_there_is_no_ranking_and_it_says_so():
    res = run("profile", "ghz:n=2", "-s", "zne", "--shots", "200", "--repeats", "1",
              "--trials", "0")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert any(ln.startswith("No ranking: no statistics pass") for ln in lines)
    single = lines.index(next(ln for ln in lines if ln.startswith("one run (no trials")))
    assert [ln.split()[0] for ln in lines[single + 1:single + 3]] == [
        "unmitigated", "zne[richardson,1-2-3,global]"]
