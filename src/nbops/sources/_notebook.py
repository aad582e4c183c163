"""The step's side: read the query's result in a notebook."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbops.core import ROOT_ENV, RUN_ENV, DataError
from nbops.sources._query import query_source
from nbops.sources._snapshot import take_snapshot

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger("nbops")


def read_query(query: Mapping[str, Any], root: Path | str | None = None) -> pd.DataFrame:
    """The result of a step's query source, as a DataFrame.

    In a build, the snapshot nbops took before any task ran (the query is not run
    again); outside one (a notebook opened by hand), the query is run now and the
    snapshot file written.

    Args:
        query: the parameter's mapping (``sql``, ``connection``, ``snapshot``…).
        root: the project folder (default: the build's, else the working folder).

    Raises:
        DataError: the mapping has no sql, or the build's snapshot is missing.
    """
    import pandas as pd

    base = Path(root or os.environ.get(ROOT_ENV) or os.getcwd())
    source = query_source("step", "query", query, base)
    if source is None:
        raise DataError("This step's query source has no sql", "set data.sql (or pass a "
                        "file instead)")
    path = source.snapshot_path()
    if not os.environ.get(RUN_ENV):
        take_snapshot(source)
    elif not path.is_file():
        raise DataError(f"The snapshot {source.snapshot} of this build is missing",
                        "build with `ploomber build` (nbops takes the snapshot when the "
                        "pipeline renders)")
    return pd.read_parquet(path)
