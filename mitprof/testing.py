"""Conformance tests shipped with mitprof: run them on any technique or backend you
register (`mitprof.techniques.register`, `mitprof.backends.register`), on any noise
model you pass to `profile(noise=...)` and on any executor you pass to
`profile(executor=...)`."""

from .backends.executor_testing import assert_executor_conforms
from .backends.testing import assert_backend_conforms
from .noise.testing import assert_noise_model_conforms
from .techniques.testing import assert_technique_conforms

__all__ = ["assert_backend_conforms", "assert_executor_conforms", "assert_noise_model_conforms",
           "assert_technique_conforms"]
