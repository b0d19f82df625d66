"""The Jinja environment of every page mitprof writes (report, compare, projection): one
place for the template loader and its escaping, strictness and whitespace rules."""

from __future__ import annotations

from typing import Any


def environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("mitprof.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)
