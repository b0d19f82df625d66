"""The report's tables, as rows of already formatted strings (pure functions of a Dataset).

Every aggregate over points is a median over the finished points where the value
exists, and says how many points that is; intervals are the per-point 95% bootstrap
intervals of the statistics pass (summarised by the medians of their bounds).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from ..store import mitprof_version
from . import fmt
from .analysis import (
    PHASES,
    THEORY_KINDS,
    backends,
    colours,
    error_reduction,
    strategy_labels,
    theory_kind,
    value,
)
from .data import BASELINE, Dataset, PointRecord, interval, number

MAX_FAILURES = 200
MAX_POINT_ROWS = 300


def median(values: Sequence[float | None]) -> float | None:
    v = [x for x in values if x is not None]
    return float(statistics.median(v)) if v else None


def _pairs(ds: Dataset, label: str, backend: str | None = None
           ) -> list[tuple[PointRecord, Mapping[str, Any]]]:
    out = []
    for p in ds.done:
        if backend is not None and p.backend != backend:
            continue
        r = p.result(label)
        if r is not None:
            out.append((p, r))
    return out


# ---------------------------------------------------------------- headline


def headline(ds: Dataset) -> list[dict[str, Any]]:
    """One row per strategy and backend: the costs and gains of mitigation, medians over points."""
    labels = strategy_labels(ds)
    col = colours(labels)
    rows = []
    for label in labels:
        for b in backends(ds):
            pairs = _pairs(ds, label, b)
            if not pairs:
                continue
            rows.append(_headline_row(label, b, col[label], pairs))
    return rows


def _headline_row(label: str, backend: str, colour: str,
                  pairs: list[tuple[PointRecord, Mapping[str, Any]]]) -> dict[str, Any]:
    base = label == BASELINE
    ok = [(p, r) for p, r in pairs if number(r.get("value")) is not None]
    ivs = [iv for _, r in ok if (iv := interval(r.get("variance_multiplier"))) is not None]
    theory = [(value(r, "theory_multiplier"), theory_kind(r)) for _, r in ok]
    theory = [(t, kind) for t, kind in theory if t is not None]
    consistent: list[bool] = [r["consistent"] for _, r in ok
                              if isinstance(r.get("consistent"), bool)]
    be = [r.get("breakeven_shots") for _, r in ok]
    be_num = [v for x in be if (v := number(x)) is not None]
    be_cat = {k: sum(1 for x in be if x == k) for k in ("always", "never", "undetermined")}
    qpu = [value(r, "projected_qpu_seconds") for _, r in ok]
    qvc = [value(r, "qpu_vs_classical") for _, r in ok]
    row: dict[str, Any] = {
        "strategy": label, "backend": backend, "colour": colour, "baseline": base,
        "points": len(pairs), "failed": len(pairs) - len(ok),
        "raw": fmt.mult(median([value(r, "shot_multiplier") for _, r in ok])),
        "wall": fmt.mult(median([value(r, "wall_overhead") for _, r in ok])),
        "qpu": fmt.seconds(median(qpu)),
        "qpu_note": (f"{fmt.num(median(qvc))}\u00d7 classical"
                     if median(qvc) is not None else ""),
    }
    if base:
        row.update(m="1\u00d7", m_ci="by definition", m_range="", theory="", consistent="",
                   error="1\u00d7", breakeven="\u2014", breakeven_note="", error_value=1.0,
                   breakeven_points=0, breakeven_cats={})
        return row
    m = median([iv[0] for iv in ivs])
    row["m"] = fmt.mult(m)
    row["m_ci"] = (f"95% CI {fmt.num(median([iv[1] for iv in ivs]))}\u2013"
                   f"{fmt.num(median([iv[2] for iv in ivs]))}" if ivs else "no trials")
    row["m_range"] = (f"points {fmt.num(min(iv[0] for iv in ivs))}\u2013"
                      f"{fmt.num(max(iv[0] for iv in ivs))}" if len(ivs) > 1 else "")
    if theory:
        kinds = [kind for _, kind in theory]
        prefix = THEORY_KINDS[kinds[0]][0] if kinds[0] and len(set(kinds)) == 1 else ""
        row["theory"] = prefix + fmt.mult(median([t for t, _ in theory]))
        notes = []
        for kind, (_, words, _) in THEORY_KINDS.items():
            n = kinds.count(kind)
            if n:
                notes.append(words if n == len(kinds) else f"{n} of {len(kinds)} {words}")
        row["theory_note"] = "; ".join(notes)
    else:
        row["theory"] = "\u2014"
        reasons = " ".join(str(r.get("theory_reason") or "") for _, r in ok)
        if not ivs:
            row["theory_note"] = "needs trials"
        elif "exact output distributions" in reasons:
            row["theory_note"] = "needs exact distributions (beyond density-matrix size)"
        else:
            row["theory_note"] = "no closed form"
    row["consistent"] = (f"{sum(consistent)}/{len(consistent)} inside CI" if consistent else "")
    row["error"] = fmt.mult(median([error_reduction(p, r) for p, r in ok]))
    row["breakeven"] = fmt.shots(median(be_num)) if be_num else "\u2014"
    notes = [f"{n} {k}" for k, n in be_cat.items() if n]
    if be_num and len(be_num) < len(ok):
        notes.insert(0, f"at {len(be_num)} of {len(ok)} points")
    row["breakeven_note"] = "; ".join(notes)
    row["breakeven_points"] = len(be_num)
    row["breakeven_cats"] = be_cat
    row["error_value"] = median([error_reduction(p, r) for p, r in ok])
    return row


def summary_lines(ds: Dataset) -> list[dict[str, Any]]:
    """One sentence per strategy (first simulator), cheapest first: the total shots it needs
    to reach each point's default target (`mitprof.answer`: the unmitigated |bias|, or its
    RMSE where that bias is consistent with zero), median over the points, then the
    headline's costs in words. `shots`: that median (inf: not reached at most points)."""
    from ..answer import NO_STATISTICS, REACHES, count, rank

    bs = backends(ds)
    if not bs:
        return []
    need: dict[str, list[float]] = {}
    qpu: dict[str, list[float | None]] = {}
    for p in ds.done:
        base = p.baseline
        if p.backend != bs[0] or base is None:
            continue
        hardware = p.doc.get("hardware")
        answer = rank([base, *(r for r in p.results if r is not base)], None,
                      hardware if isinstance(hardware, Mapping) else None)
        for e in answer.entries:
            if e.status != NO_STATISTICS:
                need.setdefault(e.strategy, []).append(
                    e.shots_to_target if e.status == REACHES and e.shots_to_target is not None
                    else math.inf)
                qpu.setdefault(e.strategy, []).append(e.qpu_seconds_to_target)
    out: list[dict[str, Any]] = []
    for row in headline(ds):
        if row["backend"] != bs[0]:
            continue
        shots = need.get(row["strategy"], [])
        reached = [x for x in shots if math.isfinite(x)]
        mid = statistics.median(shots) if shots else None
        if row["baseline"] and (mid is None or not math.isfinite(mid)):
            continue  # never below its own bias at most points: nothing to rank
        parts = []
        if mid is not None and math.isfinite(mid):
            where = "" if len(reached) == len(shots) else \
                f" (reached at {len(reached)} of {_points(len(shots))})"
            seconds = median(qpu.get(row["strategy"], []))
            hw = "" if seconds is None else f", {fmt.seconds(seconds)} of projected QPU time"
            parts.append(f"reaches the target with {count(mid)} total shots{hw}{where}")
        elif shots:
            parts.append("does not reach the target" + (
                f" at most points ({len(reached)} of {len(shots)})" if reached else
                ": its bias is not below the unmitigated one"))
        if not row["baseline"]:
            parts.append(f"{row['raw']} the shots executed")
            if row["m"] != fmt.DASH:
                theory = (f", theory {row['theory']}"
                          if row.get("theory", fmt.DASH) != fmt.DASH else "")
                parts.append(f"{row['m']} the shots for equal precision ({row['m_ci']}{theory})")
            parts.append(f"{row['wall']} the wall-clock time")
            red = row["error_value"]
            if red is not None:
                parts.append(f"error {fmt.num(red)}\u00d7 smaller" if red >= 1 else
                             f"error {fmt.num(1 / red)}\u00d7 larger at the shots run")
            parts += _payoff(row)
        n = row["points"]
        out.append({"strategy": row["strategy"], "colour": row["colour"],
                    "shots": math.inf if mid is None else mid, "ranked": bool(shots),
                    "text": "; ".join(parts) + (f" (medians over {_points(n)} on "
                                                if n != 1 else " (one point, on ")
                            + f"{row['backend']})."})
    order = {s["strategy"]: k for k, s in enumerate(out)}
    out.sort(key=lambda s: (s["shots"], order[s["strategy"]]))
    return out


def _points(n: int) -> str:
    return f"{n} point{'s' * (n != 1)}"


def _payoff(row: Mapping[str, Any]) -> list[str]:
    """Where mitigation pays off, in words, counting points only where they differ."""
    cats, nb, n = row["breakeven_cats"], row["breakeven_points"], row["points"]

    def at(k: int) -> str:
        return "" if k == n else f" at {k} of {_points(n)}"

    parts = []
    if nb:
        parts.append(f"pays off above {row['breakeven']} total shots{at(nb)}")
    if cats["always"]:
        parts.append(f"pays off at any budget{at(cats['always'])}")
    if cats["never"]:
        parts.append(f"never pays off{at(cats['never'])}")
    if cats["undetermined"]:
        parts.append(f"pay-off undetermined{at(cats['undetermined'])} (bias difference not "
                     "resolved)")
    return parts


# ---------------------------------------------------------------- checks and failures


def checks(ds: Dataset) -> list[dict[str, str]]:
    """What the reader must know before trusting the numbers: red flags first."""
    out = []
    floor = [(p, r) for p in ds.done for r in p.results if r.get("floor_violated")]
    for p, r in floor:
        out.append({"level": "error", "text": f"{r.get('strategy')} at {p.circuit} "
                    f"({p.backend}, noise {fmt.noise(p.noise_level)}) measured a multiplier "
                    f"below the unbiased floor {fmt.num(number(r.get('floor')))}: this cannot "
                    "be right."})
    cons = [r.get("consistent") for p in ds.done for r in p.results
            if isinstance(r.get("consistent"), bool)]
    if cons:
        bad = cons.count(False)
        n = len(cons)
        # a 95% interval misses the truth 5% of the time: flag only more misses than that
        # (beyond two binomial standard deviations)
        too_many = bad > 0.05 * n + 2 * (0.05 * 0.95 * n) ** 0.5
        out.append({"level": "warn" if too_many else "ok", "text":
                    f"Theory inside the measured 95% interval at {len(cons) - bad} of "
                    f"{len(cons)} (point, strategy) pairs"
                    + (f"; {bad} outside (about {round(0.05 * len(cons))} expected by "
                       "chance alone)." if bad else ".")})
    no_value = [(p, r) for p in ds.done for r in p.results if number(r.get("value")) is None]
    if no_value:
        out.append({"level": "warn", "text": f"{len(no_value)} strategy runs gave no value "
                    "(listed under Failures)."})
    ft = sum(int(number(r.get("failed_trials")) or 0) for p in ds.done for r in p.results)
    if ft:
        out.append({"level": "warn", "text": f"{ft} statistics trials failed and were "
                    "left out of the intervals."})
    if not any(interval(r.get("variance_multiplier")) for p in ds.done for r in p.results):
        if ds.done:
            out.append({"level": "warn", "text": "No statistics pass (trials = 0): equal-"
                        "precision multipliers, intervals, RMSE and break-even budgets are "
                        "not available; raw multipliers and timings are."})
    return out


def failures(ds: Dataset, limit: int = MAX_FAILURES) -> tuple[list[dict[str, str]], int]:
    """Failed points, then strategies that gave no value; (rows, how many left out)."""
    rows = []
    for p in ds.failed:
        rows.append({"circuit": p.circuit, "backend": p.backend,
                     "noise": fmt.noise(p.noise_level), "shots": fmt.shots(p.shots),
                     "what": "point", "error": p.error or "failed"})
    for p in ds.done:
        for r in p.results:
            raw = r.get("details")
            details: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
            err = None
            if number(r.get("value")) is None:
                err = str(details.get("error") or "no value")
            elif r.get("statistics_error"):
                err = f"statistics: {r.get('statistics_error')}"
            if err:
                rows.append({"circuit": p.circuit, "backend": p.backend,
                             "noise": fmt.noise(p.noise_level), "shots": fmt.shots(p.shots),
                             "what": str(r.get("strategy")), "error": err})
    return rows[:limit], max(0, len(rows) - limit)


# ---------------------------------------------------------------- Aer vs Cirq


def agreement(ds: Dataset) -> dict[str, Any]:
    """Points that ran on both simulators, matched by circuit, noise level and shots."""
    by_key: dict[tuple[Any, ...], dict[str, PointRecord]] = {}
    for p in ds.done:
        by_key.setdefault((p.circuit, p.noise_key, p.shots), {})[p.backend] = p
    pairs = [(d["aer"], d["cirq"]) for d in by_key.values() if "aer" in d and "cirq" in d]
    if not pairs:
        return {"pairs": 0, "rows": []}
    exact = [abs(a - c) for pa, pc in pairs
             if (a := number(pa.doc.get("noisy_value_exact"))) is not None
             and (c := number(pc.doc.get("noisy_value_exact"))) is not None]
    rows = []
    labels = strategy_labels(ds)
    col = colours(labels)
    for label in labels:
        z, m_ratio, w_ratio, n = [], [], [], 0
        for pa, pc in pairs:
            ra, rc = pa.result(label), pc.result(label)
            if ra is None or rc is None:
                continue
            n += 1
            va, vc = value(ra, "value"), value(rc, "value")
            sa, sc = _sd(ra), _sd(rc)
            if va is not None and vc is not None and sa is not None and sc is not None \
                    and sa + sc > 0:
                z.append(abs(va - vc) / (sa * sa + sc * sc) ** 0.5)
            ia = interval(ra.get("variance_multiplier"))
            ic = interval(rc.get("variance_multiplier"))
            if label != BASELINE and ia and ic and ic[0] > 0:
                m_ratio.append(ia[0] / ic[0])
            wa, wc = value(ra, "wall_seconds"), value(rc, "wall_seconds")
            if wa and wc:
                w_ratio.append(wc / wa)
        if not n:
            continue
        rows.append({
            "strategy": label, "colour": col[label], "pairs": n,
            "within": (f"{sum(x <= 2 for x in z)}/{len(z)}" if z else fmt.DASH),
            "z": fmt.num(median(z)) if z else fmt.DASH,
            "m_ratio": fmt.num(median(m_ratio)) if m_ratio else fmt.DASH,
            "wall_ratio": fmt.mult(median(w_ratio)) if w_ratio else fmt.DASH,
        })
    return {"pairs": len(pairs), "rows": rows,
            "exact_max": fmt.num(max(exact), 2) if exact else fmt.DASH,
            "exact_ok": bool(exact) and max(exact) < 1e-6}


def _sd(r: Mapping[str, Any]) -> float | None:
    """Standard error of one estimate: sqrt(sigma^2 per shot / total shots)."""
    s2, n = value(r, "sigma2_per_shot"), value(r, "total_shots")
    return (s2 / n) ** 0.5 if s2 is not None and n else None


# ---------------------------------------------------------------- per point


def point_rows(ds: Dataset, limit: int = MAX_POINT_ROWS) -> tuple[list[dict[str, Any]], int]:
    rows = []
    col = colours(strategy_labels(ds))
    for p in ds.done[:limit]:
        ideal = number(p.doc.get("ideal_value"))
        for i, r in enumerate(p.results):
            iv = interval(r.get("variance_multiplier"))
            t = value(r, "theory_multiplier")
            kind = theory_kind(r)
            le = THEORY_KINDS[kind][0] if kind else ""
            be = r.get("breakeven_shots")
            rows.append({
                "first": i == 0, "span": len(p.results), "circuit": p.circuit,
                "backend": p.backend, "noise": fmt.noise(p.noise_level),
                "ideal": fmt.num(ideal), "strategy": str(r.get("strategy")),
                "colour": col.get(str(r.get("strategy")), "#777"),
                "value": fmt.num(value(r, "value")), "error": fmt.num(value(r, "abs_error")),
                "rmse": fmt.num(value(r, "rmse")),
                "shots": fmt.shots(value(r, "total_shots")),
                "m": (f"{fmt.num(iv[0])} ({fmt.num(iv[1])}\u2013{fmt.num(iv[2])})"
                      if iv else fmt.DASH),
                "theory": le + fmt.num(t) if t is not None else fmt.DASH,
                "wall": fmt.seconds(value(r, "wall_seconds")),
                "breakeven": (fmt.shots(number(be)) if number(be) is not None
                              else str(be) if isinstance(be, str) else fmt.DASH),
            })
    return rows, max(0, len(ds.done) - limit)


# ---------------------------------------------------------------- methodology facts


def noise_rows(ds: Dataset) -> list[dict[str, str]]:
    seen: dict[tuple[Any, ...], dict[str, str]] = {}
    for p in ds.done:
        n = p.doc.get("noise")
        if not isinstance(n, Mapping) or n.get("model") == "own":  # an executor's: unknown
            continue
        key = tuple(number(n.get(k)) for k in ("p2", "p1", "p01", "p10"))
        seen.setdefault(key, {k: fmt.num(number(n.get(k)), 4) for k in
                              ("p2", "p1", "p01", "p10", "aer_lambda_1q", "aer_lambda_2q")})
    return [seen[k] for k in sorted(seen, key=lambda t: tuple(x or 0.0 for x in t))]


def hardware_models(ds: Dataset) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for p in ds.done:
        hw = p.doc.get("hardware")
        if not isinstance(hw, Mapping):
            continue
        name = str(hw.get("name") or "custom")
        if name in seen:
            continue
        params = []
        for key, text in (("t_1q", "1q gate"), ("t_2q", "2q gate"), ("t_measure", "measure"),
                          ("t_rep", "repetition delay"), ("t_circuit", "per circuit"),
                          ("t_job", "per job")):
            v = number(hw.get(key))
            if v is not None and (v or key in ("t_circuit",)):
                params.append(f"{text} {fmt.seconds(v)}")
        seen[name] = {"name": name, "kind": str(hw.get("kind") or ""),
                      "params": ", ".join(params), "source": str(hw.get("source") or "")}
    return list(seen.values())


def run_settings(ds: Dataset) -> list[tuple[str, str]]:
    """Trials, repeats, seeds, shots: from the spec when there is one, else from points."""
    sweep = (ds.spec or {}).get("sweep") if isinstance(ds.spec, Mapping) else None
    sweep = sweep if isinstance(sweep, Mapping) else {}
    docs = [p.doc for p in ds.done]

    def distinct(key: str) -> str:
        vals = sorted({str(d.get(key)) for d in docs if d.get(key) is not None})
        return ", ".join(vals) if vals else fmt.DASH

    out = [("Sweep seed", str(sweep["seed"]) if "seed" in sweep else fmt.DASH),
           ("Trials per point (statistics pass)", distinct("trials")),
           ("Timed repeats per point (after one warm-up)", distinct("repeats")),
           ("Shots per circuit", ", ".join(str(s) for s in sweep.get("shots", []))
            or distinct("shots")),
           ("Backends", ", ".join(sweep.get("backends", [])) or ", ".join(backends(ds))),
           ("Noise levels p\u2082", ", ".join(f"{x:g}" for x in sweep.get("noise_levels", []))
            or fmt.DASH)]
    labels = [x for x in strategy_labels(ds) if x != BASELINE]
    out.append(("Strategies", ", ".join(labels) or fmt.DASH))
    return out


def environment(ds: Dataset) -> list[tuple[str, str]]:
    runs = list(ds.runs)
    env: Mapping[str, Any] = runs[-1].get("environment", {}) if runs else {}
    if not env and ds.done:
        env = ds.done[0].doc.get("environment") or {}
    out: list[tuple[str, str]] = []
    pkgs = env.get("packages") if isinstance(env.get("packages"), Mapping) else {}
    if env.get("python"):
        out.append(("Python", str(env["python"])))
    if pkgs:
        out.append(("Packages", ", ".join(f"{k} {v}" for k, v in pkgs.items() if v)))
    versions = Counter(mitprof_version(p.doc) for p in ds.points if p.doc)
    known = set(versions) - {None}
    if known and (not pkgs or known != {pkgs.get("mitprof")}):  # not all the version above
        out.append(("Points by mitprof version", ", ".join(
            f"{v or 'not recorded'}: {n}" for v, n in versions.items())))
    if env.get("platform"):
        out.append(("Platform", str(env["platform"])))
    if env.get("cpu") or env.get("cpu_count"):
        out.append(("CPU", f"{env.get('cpu') or '?'}, {env.get('cpu_count') or '?'} cores"))
    for i, r in enumerate(runs):
        threads = r.get("threads_per_worker")
        out.append((f"Run {i + 1}" if len(runs) > 1 else "Run",
                    f"{r.get('runner')}, {r.get('workers')} worker"
                    f"{'s' * (r.get('workers') != 1)}"
                    f"{f' × {threads} simulator thread' if threads else ''}; "
                    f"{r.get('started_at')} \u2192 {r.get('finished_at') or 'not finished'} "
                    f"({r.get('state')}); {r.get('points_run')} of "
                    f"{r.get('points_total')} points run"))
    if ds.created_at:
        out.append(("Store created", str(ds.created_at)))
    out.append(("Source", ds.source))
    return out


def phase_medians(ds: Dataset) -> list[dict[str, Any]]:
    """Median seconds of each phase per strategy and backend (for the phase figure)."""
    rows = []
    for label in strategy_labels(ds):
        for b in backends(ds):
            pairs = _pairs(ds, label, b)
            if not pairs:
                continue
            ph = {k: median([number((r.get("phase_seconds") or {}).get(k))
                             if isinstance(r.get("phase_seconds"), Mapping) else None
                             for _, r in pairs]) or 0.0 for k in PHASES}
            rows.append({"strategy": label, "backend": b, "phases": ph,
                         "wall": median([value(r, "wall_seconds") for _, r in pairs]),
                         "n": len(pairs)})
    return rows
