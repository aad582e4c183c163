"""A registered version may name no run (``run_id: null`` in models.json): the features
that follow a version to its run say so instead of failing on the missing id.

Typing the registry (``nbops.contracts.ModelVersion``) showed each place that passed the
possibly-null ``run_id`` on as a run reference; with a run on disk, resolving ``None``
raised AttributeError.
"""

from pathlib import Path

import pytest

from nbops.core import ContentStore, NbopsError, Project, hash_bytes, new_run_id
from nbops.registry import _operations as operations
from nbops.registry._operations import Actor

MODEL = b"a model registered by hand"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    ContentStore(tmp_path / ".nbops" / "store").put_bytes(MODEL)
    record = {
        "run_id": None,
        "artifact": {"hash": hash_bytes(MODEL), "size": len(MODEL), "format": "skops",
                     "trusted_types": []},
        "metrics": {"roc_auc": 0.7},
        "training_data": {"hash": "blake3:" + "ab" * 32, "size": 1},
        "test_data": None,
        "feature_schema": {"features": [{"name": "x", "dtype": "float"}]},
    }
    assert operations.register_version(tmp_path, "churn", record) == (1, True)
    operations.promote(tmp_path, "churn", 1, reason="by hand", actor=Actor(command=("t",)))
    project = Project(tmp_path)
    (project.runs_dir / new_run_id()).mkdir(parents=True)  # another run of the project
    return project


def test_the_champions_columns_are_unknown_without_its_run(project: Project) -> None:
    from nbops.hooks import _champion_columns

    assert _champion_columns(project, {"model": "churn"}, "customers") is None


def test_a_promotion_says_the_version_has_no_card_to_update(project: Project) -> None:
    from nbops.app._aliases import _record_card

    assert _record_card(project.root, "churn", 1) == [
        "churn:1 has no card to update: it was registered outside a run"]


def test_the_card_of_a_version_without_a_run_is_refused_in_one_sentence(
        project: Project) -> None:
    from nbops.cli._cards import card_of

    with pytest.raises(NbopsError, match="churn:1 has no model card: it was registered "
                                         "outside a run"):
        card_of(project.root, "churn:1")
