"""Compare two result stores point by point: did the cost of mitigation change?

    compare(A, B) -> Comparison      # A: the reference (e.g. main), B: the candidate

Points are paired on (circuit, width, depth, backend, noise level, shots, strategy
label); `ignore` drops fields from that key (e.g. compare two shot counts or two noise
levels). For every pair, B relative to A:

- the ratio of equal-precision multipliers M_B / M_A, M = N_mit Var_mit / (N_0 Var_0),
  with a bootstrap interval from the stored trial estimates (`trial_values`), all four
  samples (each store's mitigated and unmitigated trials) resampled independently;
- the change of |bias| (|mean - ideal| of B minus that of A), bootstrapped likewise;
- the ratio of wall-clock times (medians over the timed repeats). Only the median and its
  IQR are stored, not each repeat, so it has no interval and is never flagged.

Intervals are BCa bootstraps (`mitprof.stats`, the percentile interval where BCa is
undefined). A change is flagged when its interval, Bonferroni-corrected over every test
made (two per pair with trials: multiplier and bias), excludes no change; the 95%
intervals are reported too. A regression is a multiplier ratio whose corrected lower
bound exceeds 1 + threshold (the CLI exits with status 1, like `asv continuous`). Points
in only one store, or failed in one, are listed, not dropped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import MitprofError
from .seeds import derive_seed

KEY_FIELDS = ("circuit", "n_qubits", "depth", "backend", "noise_level", "shots", "strategy")
CORRECTION = "bonferroni"
CONFIDENCE = 0.95
MAX_RESAMPLES = 20000


@dataclass(frozen=True)
class Change:
    """One compared quantity: B relative to A (a ratio, or a difference for bias)."""

    metric: str  # multiplier_ratio | abs_bias_difference | wall_ratio
    a: float | None
    b: float | None
    estimate: float | None
    ci_low: float | None = None  # 95%
    ci_high: float | None = None
    adjusted_low: float | None = None  # Bonferroni-corrected
    adjusted_high: float | None = None
    null: float = 1.0  # the value meaning "no change"
    flagged: bool = False  # the corrected interval excludes `null`
    note: str | None = None


@dataclass(frozen=True)
class Pair:
    key: dict[str, Any]
    multiplier: Change
    bias: Change
    wall: Change
    regression: bool = False

    @property
    def label(self) -> str:
        return _label(self.key)


@dataclass(frozen=True)
class Unpaired:
    key: dict[str, Any]
    store: str  # "A" or "B": the store that has it
    reason: str  # only in A / failed in B ...


@dataclass
class Comparison:
    a: str
    b: str
    pairs: list[Pair]
    unpaired: list[Unpaired]
    threshold: float
    ignore: tuple[str, ...]
    tests: int  # interval tests the correction is over
    correction: str = CORRECTION
    confidence: float = CONFIDENCE
    notes: list[str] = field(default_factory=list)

    @property
    def adjusted_confidence(self) -> float:
        return 1 - (1 - self.confidence) / max(1, self.tests)

    @property
    def regressions(self) -> list[Pair]:
        return [p for p in self.pairs if p.regression]

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.multiplier.flagged or p.bias.flagged]

    def to_dict(self) -> dict[str, Any]:
        return _clean({
            "a": self.a, "b": self.b, "key": [k for k in KEY_FIELDS if k not in self.ignore],
            "ignored": list(self.ignore), "threshold": self.threshold,
            "correction": self.correction, "tests": self.tests,
            "confidence": self.confidence, "adjusted_confidence": self.adjusted_confidence,
            "regressions": len(self.regressions), "flagged": len(self.flagged),
            "pairs": [{"key": p.key, "multiplier": asdict(p.multiplier), "bias": asdict(p.bias),
                       "wall": asdict(p.wall), "regression": p.regression} for p in self.pairs],
            "unpaired": [asdict(u) for u in self.unpaired],
            "notes": self.notes,
        })

    def summary(self) -> str:
        return (f"{len(self.pairs)} paired, {len(self.unpaired)} unpaired; "
                f"{len(self.flagged)} changed (Bonferroni over {self.tests} tests, family-wise "
                f"{self.confidence:.0%}), {len(self.regressions)} multiplier regression"
                f"{'s' * (len(self.regressions) != 1)} beyond +{self.threshold:.0%}")

    def text(self) -> str:
        """A plain-text table, one line per pair, then the unpaired points."""
        lines = [f"A: {self.a}", f"B: {self.b}",
                 f"paired on {', '.join(k for k in KEY_FIELDS if k not in self.ignore)}"
                 + (f" (ignoring {', '.join(self.ignore)})" if self.ignore else ""), ""]
        head = ["point / strategy", "M_A", "M_B", "M_B/M_A 95% [corrected]", "|bias| B-A",
                "wall B/A", ""]
        rows = []
        for p in self.pairs:
            m, b, w = p.multiplier, p.bias, p.wall
            flags = []
            if p.regression:
                flags.append("REGRESSION")
            elif m.flagged:
                flags.append("M " + ("up" if (m.estimate or 1.0) > 1 else "down"))
            if b.flagged:
                flags.append("|bias| " + ("up" if (b.estimate or 0.0) > 0 else "down"))
            rows.append([p.label, _n(m.a), _n(m.b), _ratio(m), _diff(b),
                         "-" if w.estimate is None else _n(w.estimate) + "x", ", ".join(flags)])
        if rows:
            widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
            for row in [head, *rows]:
                lines.append("  ".join(c.ljust(wd) if i in (0, 6) else c.rjust(wd)
                                       for i, (c, wd) in enumerate(zip(row, widths, strict=True)))
                             .rstrip())
        else:
            lines.append("no points are in both stores")
        for u in self.unpaired:
            lines.append(f"unpaired ({u.reason}): {_label(u.key)}")
        lines.append("")
        lines.append(self.summary())
        lines.append("wall-clock: ratio of medians over the timed repeats; the store keeps no "
                     "per-repeat times, so no interval and no flag")
        lines.extend(self.notes)
        return "\n".join(lines)

    def html(self, title: str | None = None) -> str:
        """One self-contained HTML page in the report's style."""
        from .report.templating import environment

        return environment().get_template("compare.html").render(
            title=title or f"{Path(self.b).name} vs {Path(self.a).name}", c=self,
            version=_version(), rows=[_html_row(p) for p in self.pairs],
            unpaired=[{"label": _label(u.key), "reason": u.reason} for u in self.unpaired],
            key=", ".join(k for k in KEY_FIELDS if k not in self.ignore))


# ---------------------------------------------------------------- loading


def _entries(directory: str | Path, ignore: Sequence[str]) -> dict[tuple[Any, ...], Any]:
    """key -> (status, result, baseline result, ideal value, key dict), for every point and
    strategy of the store's current plan (a failed point: each of its strategies)."""
    from .store import Reader

    out: dict[tuple[Any, ...], Any] = {}
    with Reader(directory) as reader:
        for point in reader.points():
            rec = point["record"] or {}
            results = point["results"] if point["status"] == "done" else []
            rows = results or [{"strategy": label} for label in point["labels"]]
            status = "done" if results else "failed"
            for res in rows:
                key = {k: point[k] for k in KEY_FIELDS if k != "strategy"}
                key["strategy"] = res.get("strategy")
                kept = {k: v for k, v in key.items() if k not in ignore}
                t = tuple(kept.items())
                if t in out:
                    raise MitprofError(
                        f"{directory}: more than one point matches {_label(kept)} once "
                        f"{', '.join(ignore)} {'is' if len(ignore) == 1 else 'are'} ignored; "
                        "ignore fewer fields")
                out[t] = (status, res, results[0] if results else None,
                          rec.get("ideal_value"), kept)
        problem = reader.problem()
    if problem is not None:
        raise MitprofError(f"{directory}: {problem}")
    return out


def _trials(res: Mapping[str, Any] | None) -> np.ndarray:
    vals = (res or {}).get("trial_values") or []
    return np.asarray([v for v in vals if v is not None], dtype=float)


# ---------------------------------------------------------------- the comparison


def compare(a: str | Path, b: str | Path, *, threshold: float = 0.1,
            ignore: Iterable[str] = (), seed: int = 0,
            confidence: float = CONFIDENCE) -> Comparison:
    """Compare store B against store A (directories of results.sqlite); see the module doc.

    `threshold`: a multiplier ratio whose corrected lower bound exceeds 1 + threshold is a
    regression. `ignore`: key fields not to pair on (any of KEY_FIELDS but strategy).
    """
    ignore = tuple(dict.fromkeys(ignore))
    bad = [k for k in ignore if k not in KEY_FIELDS or k == "strategy"]
    if bad:
        raise MitprofError(f"cannot ignore {', '.join(bad)}; valid: "
                           f"{', '.join(k for k in KEY_FIELDS if k != 'strategy')}")
    if not threshold >= 0:
        raise MitprofError(f"threshold must be >= 0, got {threshold!r}")
    ea, eb = _entries(a, ignore), _entries(b, ignore)
    unpaired: list[Unpaired] = []
    both = []
    for key, entry in ea.items():
        if key not in eb:
            unpaired.append(Unpaired(entry[4], "A", "only in A"))
        elif entry[0] != "done" or eb[key][0] != "done":
            which = " and ".join(s for s, e in (("A", entry), ("B", eb[key])) if e[0] != "done")
            unpaired.append(Unpaired(entry[4], "A", f"failed in {which}"))
        else:
            both.append((key, entry, eb[key]))
    unpaired += [Unpaired(e[4], "B", "only in B") for k, e in eb.items() if k not in ea]
    testable = [(k, x, y) for k, x, y in both if _testable(x) and _testable(y)]
    n_tests = sum(1 if _is_baseline(x) else 2 for _, x, _ in testable)
    adj = 1 - (1 - confidence) / max(1, n_tests)
    resamples = int(min(MAX_RESAMPLES, max(2000, math.ceil(20 / (1 - adj)))))
    pairs = []
    for key, x, y in both:
        s = derive_seed(seed, *key)
        ok = _testable(x) and _testable(y)
        m = _multiplier(x, y, s, confidence, adj, resamples) if ok else _untested(
            "multiplier_ratio", "no trial values stored in both stores (trials = 0?)")
        bias = _bias(x, y, s, confidence, adj, resamples) if ok else _untested(
            "abs_bias_difference", "no trial values stored in both stores")
        wall = _wall(x, y)
        regression = (m.adjusted_low is not None and m.adjusted_low > 1 + threshold)
        pairs.append(Pair(x[4], m, bias, wall, regression))
    notes = [f"multiplier and bias intervals: BCa bootstrap ({resamples} resamples), "
             f"Bonferroni-corrected to {adj:.4%} each over {n_tests} tests"] if n_tests else []
    return Comparison(str(a), str(b), pairs, unpaired, threshold, ignore, n_tests,
                      confidence=confidence, notes=notes)


def _is_baseline(entry: Any) -> bool:
    res = entry[1]
    return bool(res.get("strategy") == "unmitigated" or res.get("name") == "unmitigated")


def _testable(entry: Any) -> bool:
    return len(_trials(entry[1])) >= 2 and len(_trials(entry[2])) >= 2


def _untested(metric: str, note: str) -> Change:
    return Change(metric, None, None, None, note=note)


def _multiplier(x: Any, y: Any, seed: int, confidence: float, adj: float,
                resamples: int) -> Change:
    from .stats import _bootstrap

    if _is_baseline(x):
        return Change("multiplier_ratio", 1.0, 1.0, 1.0, note="the baseline: 1 by definition")
    ax, a0, bx, b0 = _trials(x[1]), _trials(x[2]), _trials(y[1]), _trials(y[2])
    sa = x[1]["total_shots"] / x[2]["total_shots"]
    sb = y[1]["total_shots"] / y[2]["total_shots"]

    def var(z: np.ndarray, axis: int) -> np.ndarray:
        return np.asarray(np.var(z, axis=axis, ddof=1))

    def ratio(p: np.ndarray, q: np.ndarray, r: np.ndarray, t: np.ndarray,
              axis: int = -1) -> np.ndarray:
        return np.asarray((sb * var(r, axis) / var(t, axis))
                          / (sa * var(p, axis) / var(q, axis)))

    samples = (ax, a0, bx, b0)
    lo, hi = _bootstrap(samples, ratio, seed, confidence)
    alo, ahi = _bootstrap(samples, ratio, seed, adj, resamples)
    ma = float(sa * var(ax, 0) / var(a0, 0))
    mb = float(sb * var(bx, 0) / var(b0, 0))
    return Change("multiplier_ratio", ma, mb, mb / ma, lo, hi, alo, ahi, 1.0,
                  flagged=not alo <= 1.0 <= ahi)


def _bias(x: Any, y: Any, seed: int, confidence: float, adj: float, resamples: int) -> Change:
    from .stats import _bootstrap

    ia, ib = x[3], y[3]
    if ia is None or ib is None:
        return _untested("abs_bias_difference", "no ideal value stored")
    av, bv = _trials(x[1]), _trials(y[1])

    def diff(p: np.ndarray, q: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.asarray(np.abs(np.mean(q, axis=axis) - ib) - np.abs(np.mean(p, axis=axis) - ia))

    lo, hi = _bootstrap((av, bv), diff, seed + 1, confidence)
    alo, ahi = _bootstrap((av, bv), diff, seed + 1, adj, resamples)
    ba, bb = abs(float(av.mean()) - ia), abs(float(bv.mean()) - ib)
    return Change("abs_bias_difference", ba, bb, bb - ba, lo, hi, alo, ahi, 0.0,
                  flagged=not alo <= 0.0 <= ahi)


def _wall(x: Any, y: Any) -> Change:
    wa, wb = x[1].get("wall_seconds"), y[1].get("wall_seconds")
    est = wb / wa if wa and wb is not None else None
    return Change("wall_ratio", wa, wb, est, note="ratio of medians over the timed repeats; "
                  "no per-repeat times are stored, so no interval")


# ---------------------------------------------------------------- formatting


def _label(key: Mapping[str, Any]) -> str:
    parts = [str(key.get("circuit"))]
    for k, fmt in (("n_qubits", "n={}"), ("depth", "depth={}"), ("backend", "{}"),
                   ("noise_level", "p={}"), ("shots", "shots={}")):
        if key.get(k) is not None:
            parts.append(fmt.format(key[k]))
    return " ".join(parts) + f" / {key.get('strategy')}"


def _n(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 or x == 0 else f"{x:.2e}"


def _ratio(c: Change) -> str:
    if c.estimate is None:
        return "-"
    if c.ci_low is None:
        return f"{_n(c.estimate)}"
    return (f"{_n(c.estimate)} ({_n(c.ci_low)}-{_n(c.ci_high)}) "
            f"[{_n(c.adjusted_low)}-{_n(c.adjusted_high)}]")


def _diff(c: Change) -> str:
    if c.estimate is None:
        return "-"
    return f"{c.estimate:+.3g} ({c.ci_low:+.3g}..{c.ci_high:+.3g})"


def _html_row(p: Pair) -> dict[str, Any]:
    m, b, w = p.multiplier, p.bias, p.wall
    level = "error" if p.regression else ("warn" if (m.flagged or b.flagged) else "")
    return {"label": p.label, "ma": _n(m.a), "mb": _n(m.b), "ratio": _n(m.estimate),
            "ci": "" if m.ci_low is None else f"95%: {_n(m.ci_low)}–{_n(m.ci_high)}",
            "adj": "" if m.adjusted_low is None else
            f"corrected: {_n(m.adjusted_low)}–{_n(m.adjusted_high)}",
            "bias": "—" if b.estimate is None else f"{b.estimate:+.3g}",
            "bias_ci": "" if b.ci_low is None else f"95%: {b.ci_low:+.3g} to {b.ci_high:+.3g}",
            "wall": "—" if w.estimate is None else f"{_n(w.estimate)}×",
            "flag": ("regression" if p.regression else "changed" if level else ""),
            "level": level}


def _version() -> str:
    from . import __version__

    return __version__


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(c: Comparison) -> str:
    return json.dumps(c.to_dict(), indent=2)
