"""Number formatting for the report: significant figures, seconds, shot counts."""

from __future__ import annotations

import math

DASH = "\u2014"
_SUP = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077"
                     "\u2078\u2079")


def num(x: float | None, sig: int = 3) -> str:
    """3 significant figures; powers of ten as `1.2 × 10⁵` outside [1e-3, 1e5)."""
    if x is None or not math.isfinite(x):
        return DASH
    if x == 0:
        return "0"
    a = abs(x)
    if 1e-3 <= a < 1e5:
        digits = max(0, sig - 1 - int(math.floor(math.log10(a))))
        text = f"{x:,.{digits}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    exp = int(math.floor(math.log10(a)))
    mant = x / 10**exp
    if round(abs(mant), sig - 1) >= 10:
        mant, exp = mant / 10, exp + 1
    m = f"{mant:.{sig - 1}f}".rstrip("0").rstrip(".")
    return f"{m} \u00d7 10{str(exp).translate(_SUP)}"


def mult(x: float | None) -> str:
    """A multiplier: `7.1×`."""
    return DASH if x is None or not math.isfinite(x) else f"{num(x)}\u00d7"


def seconds(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return DASH
    a = abs(x)
    if a == 0:
        return "0 s"
    if a < 1e-3:
        return f"{num(x * 1e6)} \u00b5s"
    if a < 1:
        return f"{num(x * 1e3)} ms"
    if a < 120:
        return f"{num(x)} s"
    if a < 7200:
        return f"{num(x / 60)} min"
    if a < 172800:
        return f"{num(x / 3600)} h"
    return f"{num(x / 86400)} d"


def shots(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return DASH
    if x < 1e5:
        return f"{round(x):,}"
    return num(x, 2)


def noise(x: float | None) -> str:
    return DASH if x is None else f"{x:g}"
