class MitprofError(Exception):
    """A user-facing error: the CLI prints `error: <message>` and exits with status 2."""


class SpecError(MitprofError, ValueError):
    """Malformed or impossible input: circuits, observables, strategies, noise, specs."""


class CapacityError(MitprofError):
    """A request that is well-formed but too large for the chosen simulation method."""
