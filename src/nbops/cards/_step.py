"""The card's post-close step: write the run's ``card`` section after the registry step.

Runs after :class:`nbops.registry.RegistryStep` (so the card names the version
registered, the gates and the champion it replaced) and before the reports
(which render the section as the version's card page). A run that measured no
card evaluation (no ``card_evaluation.json`` product) gets no card.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from nbops.cards._document import build_card
from nbops.contracts import CARD

if TYPE_CHECKING:
    from nbops.runs import OpenContext, RunContext

logger = logging.getLogger("nbops")


class CardStep:
    """Assemble the model card from the closing run's record (nothing is measured here)."""

    name = "card"

    def prepare(self, ctx: OpenContext) -> None:
        """Nothing to get ready: the numbers were measured by the evaluate step."""

    def run(self, ctx: RunContext) -> None:
        """Write the ``card`` section of a run that measured a card evaluation."""
        if ctx.status not in ("succeeded", "gated"):
            return
        card = build_card(ctx.project.root, ctx.manifest, ctx.store)
        if card is None:
            logger.info("nbops card: run %s measured no card evaluation, no card", ctx.run_id)
            return
        ctx.update(CARD, card)

    def close(self) -> None:
        """Nothing to stop."""
