"""The ``nbops`` Papermill engine.

Papermill imports every registered engine when ``papermill`` itself is imported,
so this module must stay cheap and must not import nbops' heavier layers.
"""

from __future__ import annotations

from papermill.engines import NBClientEngine


class NbopsEngine(NBClientEngine):
    """Papermill's nbclient engine, with an immediate kernel shutdown.

    A kernel that ignores a graceful shutdown request stalls the task for
    seconds; the notebook has finished by then, so nothing is lost.
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("shutdown_kernel", "immediate")
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
