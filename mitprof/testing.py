"""Conformance tests shipped with mitprof: run them on any technique or backend you
register (`mitprof.techniques.register`, `mitprof.backends.register`) and on any noise
model you pass to `profile(noise=...)`."""

from .backends.testing import assert_backend_conforms
from .noise.testing import assert_noise_model_conforms
from .techniques.testing import assert_technique_conforms

__all__ = ["assert_backend_conforms", "assert_noise_model_conforms", "assert_technique_conforms"]
