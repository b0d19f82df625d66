"""Progress bars on stderr, shown only when stderr is a terminal (never in pipes, tests or
--json output): one helper, on tqdm, for profiles and sweeps."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO


def on_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed stream
        return False


def _size(stream: Any) -> tuple[int, int]:
    """The terminal's (columns, rows); a terminal that reports none (a bare pty reports
    0 x 0, and tqdm then draws nothing) gets 80 x 24."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return 80, 24
    return (size.columns if size.columns > 0 else 80), (size.lines if size.lines > 0 else 24)


class Progress:
    """`name [#####.....] 12/40 points, 1 failed, ETA 00:35`; `enabled=None`: on when
    `stream` (stderr by default) is a terminal."""

    def __init__(self, name: str, total: int, finished: int = 0, stream: TextIO | None = None,
                 enabled: bool | None = None, unit: str = "points") -> None:
        from tqdm import tqdm

        stream = stream if stream is not None else sys.stderr
        ncols, nrows = _size(stream)
        self.enabled = on_terminal(stream) if enabled is None else bool(enabled)
        self.failed = 0
        self.bar = tqdm(total=total, initial=finished, desc=name, unit=unit, file=stream,
                        disable=not self.enabled, ascii=".#", mininterval=0.2,
                        ncols=ncols, nrows=nrows,
                        bar_format="{desc} [{bar:24}] {n_fmt}/{total_fmt} {unit}{postfix}, "
                                   "ETA {remaining}")

    def describe(self, text: str) -> None:
        """What is running now (before the bar)."""
        self.bar.set_description_str(text, refresh=True)

    def update(self, failed: bool = False) -> None:
        if failed:
            self.failed += 1
            self.bar.set_postfix_str(f"{self.failed} failed", refresh=False)
        self.bar.update(1)

    def render(self) -> None:
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()
