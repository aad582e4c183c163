"""Equal models give byte-identical files; thread counts are pinned."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

from churn.deterministic import ZIP_EPOCH, fixed_threads, repack_skops

# Fits and saves a small model. Run once here and once in a fresh interpreter:
# memory addresses (which skops uses to name arrays) and the clock differ.
FIT_AND_SAVE = """
def fit_and_save(path):
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from churn import models
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = (X[:, 0] + rng.normal(size=400) > 0).astype(int)
    model = Pipeline([("s", StandardScaler()),
                      ("m", HistGradientBoostingClassifier(max_iter=10, random_state=0))])
    models.save(model.fit(X, y), path)
"""


def test_two_processes_write_byte_identical_model_files(tmp_path: Path) -> None:
    code = FIT_AND_SAVE + "\nimport sys\nfit_and_save(sys.argv[1])\n"
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "b.skops")], check=True, timeout=600)
    namespace: dict[str, object] = {}
    exec(FIT_AND_SAVE, namespace)
    namespace["fit_and_save"](tmp_path / "a.skops")  # type: ignore[operator]
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.skops") as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {ZIP_EPOCH}


def test_repacked_model_loads_and_predicts_exactly_as_before(tmp_path: Path) -> None:
    import skops.io
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = (X[:, 1] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    path = tmp_path / "m.skops"
    skops.io.dump(model, path)
    before = path.read_bytes()
    repack_skops(path)
    assert path.read_bytes() != before  # timestamps and id-based names are gone
    loaded = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    again = path.read_bytes()
    repack_skops(path)
    assert path.read_bytes() == again  # idempotent


def test_fixed_threads_pins_openmp_and_restores_it() -> None:
    from threadpoolctl import threadpool_info

    def openmp_threads() -> set[int]:
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"}

    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime)

    before = openmp_threads()
    with fixed_threads(1):
        assert openmp_threads() == {1}
    assert openmp_threads() == before
