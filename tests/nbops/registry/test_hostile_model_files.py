"""The hostile skops corpus (hostile_models.py) never runs at predict nor in the model server.

The attacker rewrites the registry record of the champion (its hash, its
``trusted_types``) and its seal, as someone who can write the project's files or
the bucket could: loading must refuse every file, run none of the payloads, and
say so in one sentence. A control test proves the payloads are live.
"""

from __future__ import annotations

import inspect
import json
import time
import warnings
from importlib import import_module
from pathlib import Path

import pytest
import skops.io as sio
from hostile_models import ROUTES, Route, build
from registry_helpers import GATES

from nbops.core._errors import RegistryError
from nbops.registry import _artifacts as artifacts
from nbops.registry import _registry_file as registry_file
from nbops.registry import _seal as seal
from nbops.registry._config import parse_registry_config
from nbops.registry._promotion import gate_and_promote

CONFIG = parse_registry_config({"model": "churn"})
LIVE = [r for r in ROUTES if r.live]


@pytest.fixture
def champion(project, make_run):
    gate_and_promote(project, make_run(), CONFIG, GATES)
    return registry_file.registry_path(project)


def _forge(project: Path, registry: Path, route: Route, folder: Path) -> Path:
    """Point the champion at ``route``'s file, trusting its types; re-seal. Returns the marker."""
    evil, marker = build(route, folder)
    digest = artifacts.store_of(project).put_file(evil).digest
    types = sorted(sio.get_untrusted_types(file=evil))
    data = json.loads(registry.read_text())
    data["models"]["churn"]["versions"][0]["artifact"].update(hash=digest, trusted_types=types)
    text = json.dumps(data, indent=2).encode()
    registry.write_bytes(text)
    seal.write(registry, text, None)
    return marker


@pytest.mark.parametrize("route", LIVE, ids=[r.name for r in LIVE])
def test_control_each_payload_runs_when_loaded_trusting_its_own_types(route, tmp_path):
    evil, marker = build(route, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sio.load(evil, trusted=sio.get_untrusted_types(file=evil))
        except Exception:  # noqa: BLE001 - some payloads fail after they ran; the marker says
            pass
    deadline = time.monotonic() + 10  # subprocess.Popen returns before its child ran
    while not any(marker.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(marker.iterdir()), f"{route.name} is not a live payload"


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_predict_and_the_model_server_refuse_every_hostile_file(route, project, champion,
                                                                 tmp_path, capsys):
    from nbops.cli.main import main
    from nbops.registry import parse_ref, read_registry, resolve_version
    from nbops.serving._model_slot import load as server_load

    marker = _forge(project, champion, route, tmp_path / "evil")
    rows = tmp_path / "rows.csv"
    rows.write_text("tenure,charges,plan\n1.0,20.0,basic\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "churn@champion", str(rows), "-o", str(tmp_path / "out.csv"),
              "--project", str(project)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert "refusing to load churn:1" in err and "registry.trusted_types" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    ref = parse_ref("churn@champion")
    record = resolve_version(read_registry(project), ref)
    with pytest.raises(RegistryError, match="refusing to load churn:1"):
        server_load(project, ref, record)
    assert not any(marker.iterdir()), f"the {route.name} payload ran"
    assert not (tmp_path / "out.csv").exists()


def test_env_yaml_trusts_exact_names_only(project, champion, tmp_path):
    """A project may trust its own function by its exact name; never a prefix of names."""
    route = next(r for r in ROUTES if r.name == "numpy_runstring")
    marker = _forge(project, champion, route, tmp_path / "evil")
    env = project / "env.yaml"
    env.write_text("registry:\n  model: churn\n  trusted_modules: [numpy.]\n")
    with pytest.raises(Exception, match="trusted_modules.*no longer"):
        parse_registry_config({"trusted_modules": ["numpy."]})
    with pytest.raises(RegistryError, match="trusted_modules"):
        artifacts.load_verified(project, _champion_record(project), "churn:1")
    env.write_text("registry:\n  model: churn\n  trusted_types: [numpy.testing.]\n")
    with pytest.raises(RegistryError, match="not an exact type name"):
        artifacts.load_verified(project, _champion_record(project), "churn:1")
    assert not any(marker.iterdir())


def _champion_record(project: Path) -> dict:
    from nbops.registry import parse_ref, read_registry, resolve_version

    return resolve_version(read_registry(project), parse_ref("churn@champion"))


def test_the_defaults_are_exact_classes_none_a_function(tmp_path):
    assert artifacts.DEFAULT_TRUSTED_TYPES
    for name in artifacts.DEFAULT_TRUSTED_TYPES:
        module, _, attr = name.rpartition(".")
        obj = getattr(import_module(module), attr)
        assert inspect.isclass(obj), f"{name} is not a class"
    hostile = {t for r in ROUTES
               for t in sio.get_untrusted_types(file=build(r, tmp_path / r.name)[0])}
    assert not hostile & set(artifacts.DEFAULT_TRUSTED_TYPES)


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_the_reference_projects_own_loader_refuses_every_hostile_file(route, tmp_path):
    """churn.models.load (the evaluate notebook's) trusts exact names too, not prefixes."""
    from churn import models

    evil, marker = build(route, tmp_path)
    with pytest.raises(RegistryError, match="contains unexpected types"):
        models.load(evil)
    assert not any(marker.iterdir()), f"the {route.name} payload ran"
