"""The application layer: use-cases that span features, one function each.

``nbops.cli`` and ``nbops.hooks`` parse, call one of these and print; the features
(registry, monitoring, reproduce, reports, sweeps, sync, runs…) never import this
package (``lint-imports`` enforces it). A use-case that needs two features lives
here, as DVC keeps its operations in ``dvc/repo/`` and its commands thin:

* :func:`check_champion`: ``nbops monitor`` (drift check, optional retrain);
* :func:`retrain_champion`: retrain under the policy, judge the retrain's *own* run
  (found by its tag, never "the newest run"), promote only a winner;
* :func:`reproduce_and_publish`: ``nbops reproduce`` and the reproduction page;
* :func:`collect_garbage_and_refresh`, :func:`pull_and_refresh` and
  :func:`refresh_site`: keep the report site true after ``nbops gc``, ``nbops pull``
  and a promotion;
* :func:`sweep`: plan or resume a sweep, run it, register its best trial;
* :func:`score_file`: ``nbops predict`` (verify the model, prepare the rows, score them);
* :func:`promote_alias` and :func:`roll_back_alias`: ``nbops promote`` / ``rollback``
  and the lab panel's buttons (card requirement, card record, site refresh).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.app._aliases import AliasMove, promote_alias, roll_back_alias
    from nbops.app._monitor import (
        MonitorOutcome,
        MonitorRequest,
        check_champion,
        monitoring_settings,
    )
    from nbops.app._pages import collect_garbage_and_refresh, pull_and_refresh, refresh_site
    from nbops.app._predict import ScoredFile, score_file
    from nbops.app._reproduce import PublishedReproduction, registry_state, reproduce_and_publish
    from nbops.app._retrain import RETRAIN_TAG, RetrainRequest, own_run, retrain_champion
    from nbops.app._sweep import SweepOptions, SweepOutcome, objective_of, sweep

__all__ = [
    "AliasMove", "MonitorOutcome", "MonitorRequest", "PublishedReproduction", "RETRAIN_TAG",
    "RetrainRequest", "ScoredFile", "SweepOptions", "SweepOutcome", "check_champion",
    "collect_garbage_and_refresh", "monitoring_settings", "objective_of", "own_run",
    "promote_alias", "pull_and_refresh", "refresh_site", "registry_state", "reproduce_and_publish",
    "retrain_champion", "roll_back_alias", "score_file", "sweep",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_aliases": ("AliasMove", "promote_alias", "roll_back_alias"),
        "_monitor": ("MonitorOutcome", "MonitorRequest", "check_champion",
                     "monitoring_settings"),
        "_pages": ("collect_garbage_and_refresh", "pull_and_refresh", "refresh_site"),
        "_predict": ("ScoredFile", "score_file"),
        "_reproduce": ("PublishedReproduction", "registry_state", "reproduce_and_publish"),
        "_retrain": ("RETRAIN_TAG", "RetrainRequest", "own_run", "retrain_champion"),
        "_sweep": ("SweepOptions", "SweepOutcome", "objective_of", "sweep"),
    })
