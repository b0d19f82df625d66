"""Write files completely or not at all: a temporary file in the same directory,
renamed over the target. Readers never see half a file; a failure leaves the old one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TextIO, TypeVar

from .errors import MitprofError

T = TypeVar("T")


def check_target(target: Path) -> Path:
    """The target's directory, after refusing targets that cannot be written."""
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise MitprofError(f"{target}: is a directory")
    if not parent.is_dir():
        raise MitprofError(f"{target}: no such directory: {parent}")
    return parent


def write_atomically(target: Path, write: Callable[[TextIO], T], newline: str | None = None) -> T:
    parent = check_target(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=parent)
    except OSError as exc:
        raise MitprofError(f"{target}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            result = write(fh)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would surprise whoever shares the file
        os.replace(tmp, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    return result
