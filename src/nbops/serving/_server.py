"""Start the scoring service under uvicorn, with the thread pools under control.

Scoring one record with default OpenMP threads makes the request wait for
worker threads that spin on a shared machine (up to a second at p99); the
service scores each request on one thread (``OMP_NUM_THREADS`` set before
scikit-learn is imported, plus :func:`threadpoolctl.threadpool_limits`) and
gets its concurrency from answering several requests at once instead.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger("nbops")

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads(threads: int = 1) -> None:
    """Cap native thread pools at ``threads`` (before and after the libraries load)."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)


def _check_port(host: str, port: int) -> None:
    """Fail with one sentence when ``host:port`` cannot be bound.

    Raises:
        ConfigError: the port is taken or the address is not local.
    """
    import socket

    from nbops.core import ConfigError

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror})",
                          "stop what uses that port or pass another --port "
                          "(--host must be an address of this machine)") from None


def serve(
    root: Path,
    ref: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_predictions: bool = True,
    max_body: int | None = None,
    flush_seconds: float = 1.0,
    rotate_seconds: float = 300.0,
    threads: int = 1,
    allow_hosts: tuple[str, ...] = (),
    remote_poll: float = 2.0,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Load ``ref`` from the registry at ``root`` and serve it until SIGTERM/SIGINT.

    Requests are answered when their ``Host`` names loopback, ``host`` or one of
    ``allow_hosts``.

    ``remote_poll``: with a team remote, seconds between reads of its registry (a
    promotion made on another clone is served within that, plus the new version's
    load); 0 never reads it.

    Raises:
        RegistryError: the reference does not resolve or its model cannot be loaded.
    """
    _check_port(host, port)  # before seconds of model loading are spent
    limit_threads(threads)
    import uvicorn

    from nbops.core import HostCheck
    from nbops.serving._app import DEFAULT_MAX_BODY, Service, ServiceConfig, build_app
    from nbops.serving._model_slot import ModelSlot
    from nbops.serving._prediction_log import PredictionLog, log_dir

    slot = ModelSlot(root, ref)
    log = None
    if log_predictions:
        log = PredictionLog(log_dir(root, slot.ref.name), flush_seconds=flush_seconds,
                            rotate_seconds=rotate_seconds)
    from nbops.core import Project
    from nbops.remote import configured_url, redact_url

    remote = configured_url(Project(Path(root)))
    interval = remote_poll if remote is not None else 0.0
    service = Service(slot, log, ServiceConfig(max_body=max_body or DEFAULT_MAX_BODY,
                                               remote_interval=interval,
                                               hosts=HostCheck(host, allow_hosts)))
    model = slot.current

    def ready() -> None:
        if on_ready is not None:
            on_ready(f"nbops serve-model: {model.label} ({ref}) on http://{host}:{port} "
                     f"- POST /predict, GET /healthz, GET /metrics; scored by "
                     f"{model.scorer} ({model.scorer_version})"
                     + ("" if log is None else f"; logging to {log.folder}")
                     + ("" if not interval else f"; following the registry on "
                        f"{redact_url(str(remote))} every {interval:g} s"))

    app = build_app(service, ready)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                            access_log=False, lifespan="on", loop="asyncio",
                            timeout_graceful_shutdown=10)
    uvicorn.Server(config).run()
