"""The one switch that turns the speed machinery off: ``NBOPS_RUNTIME=plain``.

With it set, a build starts each kernel as a new interpreter when its notebook
is about to run (no fork server, no zygote, no kernel started ahead, no fork
server handed over by a trial server), the registry measures the model in the
build process (no measuring helper), a sweep runs each trial as a plain child
process (no trial server), and the ``nbops_lazy_grammar.pth`` start-up hook
does nothing. What a build records does not change, only how long it takes:
use it to rule the machinery out when something looks wrong, or on a platform
where forking misbehaves. Unset, or ``NBOPS_RUNTIME=fast``, is the default.

Read on every use, not at import, so a test or a parent process can flip it
for the processes it starts.
"""

from __future__ import annotations

import os

from nbops.core import ConfigError

RUNTIME_ENV = "NBOPS_RUNTIME"
_MODES = ("fast", "plain")


def speedups_off() -> bool:
    """Whether ``NBOPS_RUNTIME=plain`` turns the speed machinery off in this process.

    Raises:
        ConfigError: the variable holds something other than ``fast`` or ``plain``.
    """
    mode = os.environ.get(RUNTIME_ENV, "").strip().lower() or "fast"
    if mode not in _MODES:
        raise ConfigError(
            f"{RUNTIME_ENV} is {os.environ[RUNTIME_ENV]!r}, which is neither 'fast' nor 'plain'",
            f"set {RUNTIME_ENV}=plain to run without fork servers, trial servers and helpers, "
            f"or unset it",
        )
    return mode == "plain"
