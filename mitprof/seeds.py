"""Stable seeds derived from labels: the same configuration always gets the same seed."""

from __future__ import annotations

import zlib

import numpy as np

from .errors import SpecError

# Every seed mitprof takes or derives: an integer in [0, 2**63 - 1] (derive_seed's range, so a
# stored point's engine seed can be given back to `profile`). Circuit generators that take
# numpy RandomState seeds (mirror, rb) have their own, narrower range: FAMILY_MAX_SEED.
MAX_SEED = 2**63 - 1
FAMILY_MAX_SEED = 2**32 - 1


def check_seed(value: object, where: str = "seed") -> int:
    """The seed rule of `profile` and of a sweep spec (one rule for both)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise SpecError(f"{where}: expected an integer, got {value!r}")
    if int(value) < 0:
        raise SpecError(f"{where}: must be >= 0, got {value}")
    if int(value) > MAX_SEED:
        raise SpecError(f"{where}: must be <= 2**63 - 1, got {value}")
    return int(value)


def derive_seed(*parts: object) -> int:
    """A stable 63-bit seed from any labels (never Python's salted hash)."""
    words = [zlib.crc32(str(p).encode()) for p in parts]
    return int(np.random.SeedSequence(words).generate_state(1, dtype=np.uint64)[0] >> 1)
