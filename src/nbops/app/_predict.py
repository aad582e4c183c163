"""Score a file with a registered model: ``nbops predict``.

The registry resolves and verifies the model (with the types the project trusts, from
the command's one read of env.yaml), validation prepares the raw rows as the model's
data was prepared, and the registry scores and writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nbops.core import RegistryError


@dataclass
class ScoredFile:
    """What :func:`score_file` wrote: the version that scored, the rows, and warnings."""

    label: str
    rows: int
    output: Path
    warnings: list[str] = field(default_factory=list)


def score_file(root: Path, ref: str, input_path: Path, output: Path,
               threshold: float = 0.5) -> ScoredFile:
    """Score ``input_path`` with ``ref`` into ``output`` (``score`` and ``prediction`` added).

    Raises:
        RegistryError: the output would overwrite the input, the version is unknown, or
            its model file fails verification.
        NbopsError: the input cannot be read or prepared (one sentence).
    """
    from nbops.core import ProjectSettings, of_version
    from nbops.registry import (
        load_verified,
        parse_ref,
        predict_table,
        read_input_table,
        read_registry,
        resolve_version,
        trusted_types_of,
        write_scored_table,
    )
    from nbops.validation import clean_raw

    if output.resolve() == input_path.resolve():
        raise RegistryError("the output would overwrite the input file",
                            "give -o a different path")
    parsed = parse_ref(ref)
    record = resolve_version(read_registry(root), parsed)
    table = read_input_table(input_path)
    label = f"{parsed.name}:{record['version']}"
    settings = ProjectSettings.of_project(root, mapping_required=False)  # the command's one read
    model = load_verified(root, record, label, policy=trusted_types_of(root, settings))
    prepared = clean_raw(table, of_version(record))
    scored, warnings = predict_table(model, prepared, record["feature_schema"], threshold)
    scored = table.assign(score=scored["score"], prediction=scored["prediction"])
    write_scored_table(scored, output)
    return ScoredFile(label, len(scored), output, list(warnings))
