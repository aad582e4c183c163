"""Model cards: what a registered model is, how well it does and for whom, what it is not for.

The numbers are measured in the build (:func:`evaluate_for_card`, called by the
evaluate step, written with :func:`write_evaluation`); :class:`CardStep`, a
post-close step, assembles them with the run record and the team's
``model_card.yaml`` into the run's ``card`` section; :func:`card_markdown`
and :func:`card_diff` turn cards into Markdown (``nbops card``). The report
site renders the same section as a page per version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.cards._diff import card_diff, diff_markdown
    from nbops.cards._document import build_card, record_written_part
    from nbops.cards._evaluation import evaluate_for_card
    from nbops.cards._evaluation_file import read_evaluation, write_evaluation
    from nbops.cards._markdown import card_markdown, front_matter
    from nbops.cards._step import CardStep

__all__ = [
    "CardStep", "build_card", "card_diff", "card_markdown",
    "diff_markdown", "evaluate_for_card", "front_matter", "read_evaluation", "record_written_part",
    "write_evaluation",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_evaluation": ("evaluate_for_card",),
        "_evaluation_file": ("read_evaluation", "write_evaluation"),
        "_diff": ("card_diff", "diff_markdown"),
        "_document": ("build_card", "record_written_part"),
        "_markdown": ("card_markdown", "front_matter"),
        "_step": ("CardStep",),
    })
