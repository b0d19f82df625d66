"""The quick spec's measured values (timing left out) equal the golden file's to 1e-12.

The golden file was written by the code before the architecture change and
re-written only by commits that change a value on purpose (they say so). To
re-write it: `mitprof run circuits/quick.toml --out /tmp/q && python tests/golden.py
/tmp/q tests/fixtures/quick_golden.json`. Points are keyed by their physical
configuration, so the test can run one timed repeat instead of the spec's three.
"""

import dataclasses
import json
from pathlib import Path

from golden import differences, store_values

from mitprof.spec import load_spec
from mitprof.sweep import run_sweep

HERE = Path(__file__).parent


def test_quick_spec_values_equal_the_golden_file(tmp_path):
    golden = json.loads((HERE / "fixtures" / "quick_golden.json").read_text())
    # one timed run per point instead of three: every timed run gives the same value
    spec = dataclasses.replace(load_spec(HERE.parent / "circuits" / "quick.toml"), repeats=1)
    summary = run_sweep(spec, out=tmp_path, workers=2, progress=False)
    assert summary.done == len(golden) == summary.total
    diff = differences(golden, store_values(tmp_path), rtol=1e-12)
    assert not diff, f"{len(diff)} values changed, e.g.\n" + "\n".join(diff[:20])
