"""The utility case in one table (the report's section 7 table, as text): per point and
strategy, the shots and projected QPU time to reach the spec's target error against the
exact classical (stabilizer) time of the same number.

    mitprof run circuits/utility.toml --out reports/utility
    python benchmarks/utility_summary.py reports/utility
"""

from __future__ import annotations

import sys

from mitprof.report.data import interval, load
from mitprof.report.versus_classical import rows


def main(directory: str) -> None:
    ds = load(directory)
    # a device point's noise setting is its scale (versus_classical.rows does the same)
    m_of = {(p.circuit, p.noise_level if p.device is None else p.noise_scale, r.get("strategy")):
            interval(r.get("variance_multiplier")) for p in ds.done for r in p.results}
    for v in rows(ds):
        m = m_of.get((v["circuit"], v["noise_level"], v["strategy"]))
        ms = "-" if m is None else f"{m[0]:.3g} ({m[1]:.3g}-{m[2]:.3g})"
        ge = ">= " if v["bound"] else ""
        qpu = (f"{ge}{v['qpu_seconds']:.3g} s = {ge}{v['ratio']:.3g}x classical "
               f"({v['classical_seconds']:.3g} s): {v['verdict']}"
               if v["qpu_seconds"] is not None else v["how"])
        print(f"{v['circuit']} scale {v['noise_level']:g} {v['strategy']:30s} M = {ms:26s} "
              f"QPU to target: {qpu}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reports/utility")
