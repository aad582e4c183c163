"""The fixture project's own code, imported by its notebooks (from the recorded commit)."""


def offset(values: list[float]) -> float:
    """Centre of the generated data."""
    return sum(values) / len(values)
