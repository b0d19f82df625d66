class MitprofError(Exception):
    """A user-facing error: the CLI prints `error: <message>` and exits with status 2."""


class SpecError(MitprofError, ValueError):
    """Malformed or impossible input: circuits, observables, strategies, noise, specs."""


class CapacityError(MitprofError):
    """A request that is well-formed but too large for the chosen simulation method."""


MAX_MESSAGE = 400  # characters of an error message shown on one line


def shorten(message: str, limit: int = MAX_MESSAGE) -> str:
    """One line of at most about `limit` characters: its start and its end (which often
    says what is wrong), and how much of the middle was cut."""
    text = " ".join(message.split())
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    return f"{text[:head]} [... {len(text) - limit} characters cut ...] {text[-tail:]}"
