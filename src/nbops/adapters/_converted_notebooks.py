"""The executed notebook of a task whose notebook product Ploomber converts.

Ploomber's ``NotebookRunner`` executes every notebook to ``<product>.ipynb``,
renames that file to the product's name (``report.html``, ``report.md``,
``report.pdf``…) and then has nbconvert overwrite it in the product's format
(``NotebookRunner.run`` then ``NotebookConverter.convert``). After the task the
executed notebook is gone; only the converted file is left.

:func:`keep_executed_notebooks` (called by ``on_render``) puts a
:class:`KeepingConverter` in front of such a task's converter: it copies the
executed notebook aside just before the conversion, so the ledger can store it
and the reports can render it like any ``.ipynb`` product. A failed task never
reaches its conversion: Ploomber leaves the partially executed notebook at
``<product>.ipynb``, which :func:`executed_notebook` returns when that file was
written during this build.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path
from typing import Any


class KeepingConverter:
    """A Ploomber ``NotebookConverter`` that keeps a copy of the executed notebook first.

    Plain attributes only: Ploomber's parallel executor pickles tasks.
    """

    def __init__(self, converter: Any, copy_to: Path) -> None:
        self.converter = converter
        self.copy_to = str(copy_to)
        self.since = time.time()

    def convert(self) -> None:
        """Copy the executed notebook (still ``.ipynb`` JSON at this point), then convert.

        A copy that cannot be written (a Dask worker without the project folder)
        only leaves the run without this notebook: the task itself goes on.
        """
        try:
            Path(self.copy_to).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(str(self.converter._path_to_output), self.copy_to)
        except OSError:
            pass
        self.converter.convert()

    def __getattr__(self, name: str) -> Any:
        if name == "converter":  # unpickling looks attributes up before __init__ ran
            raise AttributeError(name)
        return getattr(self.converter, name)


def notebook_product(task: Any) -> Path | None:
    """The product file Ploomber renames the executed notebook to (before conversion)."""
    if type(task).__name__ != "NotebookRunner":
        return None
    from ploomber.products import MetaProduct

    product = task.product
    if not isinstance(product, MetaProduct):
        return Path(str(product))
    key = task.nb_product_key
    if isinstance(key, str):
        return Path(str(product[key]))
    paths = [Path(str(product[k])) for k in key]
    return next((p for p in paths if p.suffix == ".ipynb"), paths[-1])


def is_converted(task: Any) -> bool:
    """Whether the task's notebook product is not the ``.ipynb`` itself."""
    path = notebook_product(task)
    return path is not None and path.suffix != ".ipynb"


def copy_name(task_name: str) -> str:
    """The file name of a task's kept notebook (any task name is a safe file name)."""
    return hashlib.sha256(task_name.encode("utf-8")).hexdigest()[:20] + ".ipynb"


def keep_executed_notebooks(dag: Any, folder: Path) -> None:
    """Have every converted notebook task of ``dag`` keep its executed notebook in ``folder``.

    Copies left by an earlier build are removed first, so a kept notebook is
    always this build's. Idempotent (a task already wrapped is left alone).
    """
    for name in dag:
        task = dag[name]
        if not is_converted(task):
            continue
        copy_to = Path(folder) / copy_name(str(name))
        copy_to.unlink(missing_ok=True)
        converters = getattr(task, "_converter", None)
        if isinstance(converters, list):
            if converters and not any(isinstance(c, KeepingConverter) for c in converters):
                converters[0] = KeepingConverter(converters[0], copy_to)
        elif converters is not None and not isinstance(converters, KeepingConverter):
            task._converter = KeepingConverter(converters, copy_to)


def executed_notebook(task: Any, status: str) -> Path | None:
    """The file holding the task's executed notebook as JSON, if it has one now.

    An ``.ipynb`` product is its own executed notebook. A converted one has the
    copy its :class:`KeepingConverter` kept (executed tasks), or Ploomber's
    partially executed ``<product>.ipynb`` written during this build (failed tasks).
    """
    path = notebook_product(task)
    if path is None:
        return None
    path = Path(path).absolute()
    if path.suffix == ".ipynb":
        return path
    converters = getattr(task, "_converter", None)
    keeper = next((c for c in (converters if isinstance(converters, list) else [converters])
                   if isinstance(c, KeepingConverter)), None)
    if keeper is None:
        return None
    if status == "executed":
        kept = Path(keeper.copy_to)
        return kept if kept.is_file() else None
    if status == "failed":
        partial = path.with_suffix(".ipynb")
        if partial.is_file() and partial.stat().st_mtime >= keeper.since:
            return partial
    return None
