"""JSON Schemas of the card's files and manifest section (``card_evaluation``, ``card.section``)."""
