"""Every on-disk format is versioned: the current version round-trips, a newer one is refused
in one sentence, an older (or unversioned) one is upgraded in memory and never rewritten.

The documents are built from each format's own JSON Schema (the smallest valid one), so a
format added to ``FORMATS`` is covered without writing a sample by hand.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from nbops.contracts import (
    CARD,
    FORMATS,
    GATES,
    MANIFEST_FILE,
    MONITORING,
    REGISTRY_FILE,
    SECTIONS,
    Format,
)
from nbops.core import IntegrityError, NbopsError
from nbops.core._schema import load_schema

EXAMPLES = {  # a value matching each pattern the shipped schemas use
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$": "2026-12-07T21:00:00Z",
    r"^\d{4}-\d{2}-\d{2}T": "2026-12-07T21:00:00+00:00",
    r"^[0-9]{8}T[0-9]{12}Z-[a-z2-7]{6}$": "20261207T210000000000Z-abcdef",
    r"^[0-9a-f]{16}$": "0123456789abcdef",
    r"^[0-9a-f]{64}$": "0" * 64,
    r"^blake3:[0-9a-f]{64}$": "blake3:" + "0" * 64,
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$": "churn",
    r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$": "churn",
}


def smallest(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """The smallest document ``schema`` accepts (required keys only, first choices)."""
    if "$ref" in schema:
        return smallest(root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return smallest(schema["anyOf"][0], root)
    kinds = schema.get("type", "object")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    kind = next((k for k in kinds if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {key: smallest(props.get(key, {}), root) for key in schema.get("required", [])}
    if kind == "array":
        return [smallest(schema.get("items", {}), root)
                for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        if "pattern" in schema:
            return EXAMPLES[schema["pattern"]]
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    return {"boolean": False, "null": None}[kind]


def sample(fmt: Format[Any]) -> dict[str, Any]:
    """A valid document of ``fmt`` at its current version."""
    if fmt.schema is None:  # checked by hand by its reader: its version is what we test
        return {"schema_version": fmt.version}
    schema = load_schema(fmt.schema, fmt.schema_package)
    document: dict[str, Any] = smallest(schema, schema)
    assert fmt.errors(document) == [], fmt.errors(document)
    return document


ALL = sorted(FORMATS.values(), key=lambda f: f.name)
SECTION_FORMATS = [section.format for section in SECTIONS]
NEWER = re.compile(r"^[^\n]* has schema_version (\d+), newer than the [\w ]+ version (\d+) "
                   r"this nbops reads\. Fix: upgrade nbops [^\n]*$")


@pytest.mark.parametrize("fmt", ALL + SECTION_FORMATS, ids=lambda f: f.name)
def test_the_current_version_round_trips(fmt: Format[Any], tmp_path: Path) -> None:
    document = sample(fmt)
    path = tmp_path / "file.json"
    fmt.write(path, document)
    assert fmt.read(path) == document
    assert fmt.load(document, path) is document  # nothing to upgrade: no copy


@pytest.mark.parametrize("fmt", [f for f in ALL + SECTION_FORMATS if f.versioned],
                         ids=lambda f: f.name)
def test_a_newer_version_is_refused_in_one_sentence(fmt: Format[Any], tmp_path: Path) -> None:
    path = tmp_path / "file.json"
    path.write_text(json.dumps({**sample(fmt), "schema_version": fmt.version + 1}))
    with pytest.raises(fmt.error) as raised:
        fmt.read(path)
    message = str(raised.value)
    assert message.startswith(f"{path} has schema_version {fmt.version + 1}, newer than the "
                              f"{fmt.name} version {fmt.version}")
    assert NEWER.match(message), message


@pytest.mark.parametrize("fmt", [f for f in ALL + SECTION_FORMATS if f.versioned],
                         ids=lambda f: f.name)
def test_a_file_with_no_version_is_the_oldest_and_is_not_rewritten(
    fmt: Format[Any], tmp_path: Path,
) -> None:
    document = sample(fmt)
    del document["schema_version"]
    path = tmp_path / "file.json"
    raw = json.dumps(document).encode()
    path.write_bytes(raw)
    assert fmt.read(path) == {**document, "schema_version": fmt.version}
    assert path.read_bytes() == raw


def test_an_unversioned_section_is_read_as_its_only_version() -> None:
    assert [s.name for s in SECTIONS if not s.versioned] == ["gates", "registry",
                                                              "reproductions"]
    gates = sample(GATES.format)
    assert "schema_version" not in gates
    assert GATES.format.upgrade(gates, "gates") is gates


# The mechanism, on a format with history (no shipped format has changed incompatibly yet).

def _thing_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Format[dict[str, Any]]:
    package = tmp_path / "thing_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "thing.schema.json").write_text(json.dumps({
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "required": ["schema_version", "owner", "tags"], "additionalProperties": False,
        "properties": {"schema_version": {"const": 3}, "owner": {"type": "object"},
                       "tags": {"type": "array"}}}))
    monkeypatch.syspath_prepend(str(tmp_path))

    def v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:  # "user" renamed "owner"
        doc["owner"] = doc.pop("user")
        return doc

    def v2_to_v3(doc: dict[str, Any]) -> dict[str, Any]:  # the owner became an object
        doc["owner"] = {"name": doc["owner"]}
        doc.setdefault("tags", [])
        return doc

    return Format("thing", "thing.json", "thing", "thing_pkg", version=3,
                  upgraders=MappingProxyType({1: v1_to_v2, 2: v2_to_v3}))


def test_upgraders_apply_in_order_from_the_file_s_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    thing = _thing_format(tmp_path, monkeypatch)
    current = {"schema_version": 3, "owner": {"name": "ana"}, "tags": []}
    for old in ({"schema_version": 1, "user": "ana"}, {"user": "ana"},
                {"schema_version": 2, "owner": "ana"}):
        path = tmp_path / "thing.json"
        raw = json.dumps(old).encode()
        path.write_bytes(raw)
        assert thing.read(path) == current
        assert path.read_bytes() == raw  # an in-memory view: the file is never rewritten
    document = {"schema_version": 1, "user": "ana"}
    assert thing.load(document, "it") == current
    assert document == {"schema_version": 1, "user": "ana"}  # upgraded on a copy
    with pytest.raises(IntegrityError, match="it has schema_version 4, newer than the thing "
                                             "version 3 this nbops reads"):
        thing.load({"schema_version": 4}, "it")


def test_a_version_without_its_upgrader_is_refused_when_declared() -> None:
    with pytest.raises(ValueError, match="no upgrader from version 2"):
        Format("thing", "thing.json", None, version=3,
               upgraders=MappingProxyType({1: lambda doc: doc}))


# The real readers go through their format.

def _sealed_manifest(tmp_path: Path, document: dict[str, Any]) -> Path:
    from nbops.core import hash_bytes

    run = tmp_path / "20261207T210000000000Z-abcdef"
    run.mkdir()
    raw = json.dumps(document).encode()
    (run / "manifest.json").write_bytes(raw)
    (run / "seal.json").write_text(json.dumps({"schema_version": 1,
                                               "manifest_hash": hash_bytes(raw)}))
    return run / "manifest.json"


def test_a_manifest_from_a_newer_nbops_is_refused_by_the_sealed_read(tmp_path: Path) -> None:
    from nbops.contracts import read_sealed_manifest

    path = _sealed_manifest(tmp_path, {**sample(MANIFEST_FILE), "schema_version": 2})
    with pytest.raises(IntegrityError) as raised:
        read_sealed_manifest(path)
    assert str(raised.value).startswith(f"Manifest {path} has schema_version 2, newer than "
                                        "the manifest version 1 this nbops reads. Fix: "
                                        "upgrade nbops")


def test_an_unversioned_manifest_is_upgraded_in_memory_and_its_seal_still_holds(
    tmp_path: Path,
) -> None:
    from nbops.contracts import check_seal, read_sealed_manifest

    document = sample(MANIFEST_FILE)
    del document["schema_version"]
    path = _sealed_manifest(tmp_path, document)
    raw = path.read_bytes()
    assert read_sealed_manifest(path)["schema_version"] == 1
    assert path.read_bytes() == raw
    assert check_seal(path) is None


def test_a_seal_from_a_newer_nbops_is_refused(tmp_path: Path) -> None:
    from nbops.contracts import check_seal

    path = _sealed_manifest(tmp_path, sample(MANIFEST_FILE))
    seal = json.loads((path.parent / "seal.json").read_text())
    (path.parent / "seal.json").write_text(json.dumps({**seal, "schema_version": 2}))
    with pytest.raises(IntegrityError, match=r"seal\.json has schema_version 2, newer than "
                                             "the seal version 1"):
        check_seal(path)


@pytest.mark.parametrize("section", [CARD, MONITORING], ids=lambda s: s.name)
def test_a_section_from_a_newer_nbops_is_refused(section: Any) -> None:
    manifest: Any = {**sample(MANIFEST_FILE), "run_id": "r1"}
    value = sample(section.format)
    manifest[section.name] = value
    assert section.read(manifest) == value
    manifest[section.name] = {**value, "schema_version": 2}
    with pytest.raises(IntegrityError, match=f"the {section.name} section of run r1 has "
                                             "schema_version 2, newer than"):
        section.read(manifest)


def test_formats_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        MANIFEST_FILE.version = 2  # type: ignore[misc]


def test_a_registry_from_a_newer_nbops_is_refused_by_its_reader(tmp_path: Path) -> None:
    from nbops.registry._registry_file import validate

    with pytest.raises(NbopsError) as raised:
        validate({**sample(REGISTRY_FILE), "schema_version": 2}, "models.json")
    assert NEWER.match(str(raised.value)), str(raised.value)
    assert validate({"models": {}}) == {"schema_version": 1, "models": {}}


def _newer(fmt: Format[Any]) -> dict[str, Any]:
    return {**sample(fmt), "schema_version": fmt.version + 1}


def _read_pins(tmp_path: Path) -> object:
    from nbops.core import Project
    from nbops.runs._gc import read_pins

    project = Project(tmp_path)
    project.pins_path.parent.mkdir(parents=True, exist_ok=True)
    project.pins_path.write_text(json.dumps(_newer(FORMATS["pins"])))
    return read_pins(project)


def _read_sweep(tmp_path: Path) -> object:
    from nbops.core import Project
    from nbops.sweeps import _sweep_record

    project = Project(tmp_path)
    path = _sweep_record.record_path(project, "s1")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(_newer(FORMATS["sweep"])))
    return _sweep_record.read(project, "s1")


def _check_monitor_report(tmp_path: Path) -> object:
    from nbops.monitoring._report import check_report

    return check_report(_newer(FORMATS["monitor_report"]), "monitor_report.json")


def _decode_task_result(tmp_path: Path) -> object:
    from nbops.orchestration._remote_state import _decoded

    return _decoded(json.dumps(_newer(FORMATS["task_result"])).encode(), "tasks/a.json")


def _read_feature_schema(tmp_path: Path) -> object:
    from nbops.validation._schema_file import read_feature_schema

    path = tmp_path / "feature_schema.json"
    path.write_text(json.dumps(_newer(FORMATS["feature_schema"])))
    return read_feature_schema(path)


def _read_data_schema(tmp_path: Path) -> object:
    from nbops.validation._schema_file import read_data_schema

    path = tmp_path / "data_schema.json"
    path.write_text(json.dumps(_newer(FORMATS["data_schema"])))
    return read_data_schema(path)


def _read_reproduction(tmp_path: Path) -> object:
    from nbops.reproduce._reproduction_record import read_record

    path = tmp_path / "r.json"
    path.write_text(json.dumps(_newer(FORMATS["reproduction"])))
    return read_record(path)


def _read_card_evaluation(tmp_path: Path) -> object:
    from nbops.cards._evaluation_file import read_evaluation

    return read_evaluation(json.dumps(_newer(FORMATS["card_evaluation"])).encode())


@pytest.mark.parametrize("read", [_read_pins, _read_sweep, _check_monitor_report,
                                  _decode_task_result, _read_feature_schema, _read_data_schema,
                                  _read_reproduction, _read_card_evaluation],
                         ids=lambda f: f.__name__.strip("_"))
def test_each_wired_reader_refuses_a_newer_file_in_one_sentence(read: Any,
                                                               tmp_path: Path) -> None:
    with pytest.raises(NbopsError) as raised:
        read(tmp_path)
    assert NEWER.match(str(raised.value)), str(raised.value)


def test_a_signature_from_a_newer_nbops_is_refused_as_newer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nbops.core import hash_bytes
    from nbops.remote._run_signature import RunDigests, SignatureRefused, check_run_signature

    monkeypatch.setenv("NBOPS_REMOTE_KEY", "format-test-key-" + "k" * 32)
    digests = RunDigests("20261207T210000000000Z-abcdef", hash_bytes(b"m"), hash_bytes(b"s"),
                         hash_bytes(b"c"))
    newer = json.dumps(_newer(FORMATS["run_signature"])).encode()
    with pytest.raises(SignatureRefused) as raised:  # a pull refuses the run, a push re-signs
        check_run_signature("file:///tmp/nbops-format-test-bucket", digests, newer)
    assert NEWER.match(str(raised.value)), str(raised.value)


@pytest.mark.parametrize("name, field", [("manifest.json", "manifest_hash"),
                                         ("contents.json", "contents_hash")])
def test_a_pull_refuses_a_run_a_newer_nbops_pushed(tmp_path: Path, name: str,
                                                   field: str) -> None:
    from nbops.core import Project, hash_bytes, new_run_id
    from nbops.runs._persist import save_manifest
    from nbops.sync import pull_runs, push_runs

    projects = []
    for side in ("here", "there"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "pipeline.yaml").write_text("tasks: []\n")
        projects.append(Project(tmp_path / side))
    here, there = projects
    run_id = new_run_id()
    save_manifest(here, {**sample(MANIFEST_FILE), "run_id": run_id, "status": "succeeded"})
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    assert push_runs(here, all_runs=True, url=f"file://{bucket}").pushed == [run_id]
    # What a later nbops would push: the same run in a newer format, indexed and unsigned.
    remote_file = bucket / "runs" / run_id / name
    newer = json.dumps({**json.loads(remote_file.read_bytes()), "schema_version": 2}).encode()
    remote_file.write_bytes(newer)
    (bucket / "runs" / run_id / "signature.json").unlink(missing_ok=True)
    index = json.loads((bucket / "runs" / "index.json").read_text())
    index["runs"][run_id][field] = hash_bytes(newer)
    (bucket / "runs" / "index.json").write_text(json.dumps(index))
    result = pull_runs(there, all_runs=True, url=f"file://{bucket}")
    assert list(result.refused) == [run_id]
    message = str(result.refused[run_id])
    assert message.startswith(f"Run {run_id} on remote {result.remote}: its {name} has "
                              "schema_version 2, newer than the"), message
    assert NEWER.match(message), message
    assert not there.run_dir(run_id).exists()


# Files written by the first nbops that wrote each format, read by this one.

FIXTURES = Path(__file__).parent / "fixtures"


def test_a_manifest_written_by_the_first_ledger_is_read_unchanged(tmp_path: Path) -> None:
    """``fixtures/<run>/`` is what ``ploomber build`` wrote with nbops at 37ae0f9 (the commit
    that introduced the manifest) for a one-task pipeline: later changes only added keys."""
    from nbops.contracts import read_sealed_manifest, seal_state

    run = next(p for p in FIXTURES.iterdir() if p.is_dir())
    folder = tmp_path / run.name
    folder.mkdir()
    for name in ("manifest.json", "seal.json"):
        (folder / name).write_bytes((run / name).read_bytes())
    raw = (folder / "manifest.json").read_bytes()
    manifest = read_sealed_manifest(folder / "manifest.json")
    assert manifest == json.loads(raw)
    assert (manifest["schema_version"], manifest["status"], manifest["run_id"]) == (
        1, "succeeded", run.name)
    assert seal_state(folder / "manifest.json").kind == "ok"
    assert (folder / "manifest.json").read_bytes() == raw


def test_a_registry_written_by_the_first_registry_is_read_unchanged(tmp_path: Path) -> None:
    """``fixtures/models-0424578.json``: two versions registered and promoted by nbops at
    0424578 (the commit that introduced models.json), before registries were sealed."""
    from nbops.core import Project
    from nbops.registry import _registry_file as registry_file

    path = registry_file.registry_path(tmp_path)
    path.parent.mkdir(parents=True)
    raw = (FIXTURES / "models-0424578.json").read_bytes()
    path.write_bytes(raw)
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    registry = registry_file.read(Project(tmp_path).root)
    assert registry == json.loads(raw)
    assert registry["models"]["churn"]["aliases"] == {"champion": 2}
    assert path.read_bytes() == raw


def test_the_formats_table_in_the_docs_lists_every_format() -> None:
    docs = (Path(__file__).parents[3] / "docs" / "contracts.md").read_text()
    table = docs.split("\n## Versioned formats", 1)[1].split("\n## ", 1)[0]
    for fmt in [*ALL, *SECTION_FORMATS]:
        assert re.search(rf"^\| `{re.escape(fmt.name)}` \|[^\n]*\| {fmt.version} \|", table,
                         re.M), f"{fmt.name} is missing from docs/contracts.md"


def test_a_manifest_with_one_schema_error_names_it_and_nothing_more(tmp_path: Path) -> None:
    from nbops.contracts import read_manifest

    document = {**sample(MANIFEST_FILE), "status": 7}  # one error: a number for a string
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(document))
    with pytest.raises(IntegrityError) as raised:
        read_manifest(path)
    from nbops.contracts import manifest_errors

    (error,) = manifest_errors(document)
    # one error: named whole, with no "more follow" mark
    assert raised.value.problem == f"Manifest {path} does not match the manifest schema ({error})"


def test_reseal_seals_the_manifest_that_survived_at_its_seal_path(tmp_path: Path) -> None:
    from nbops.contracts import check_seal, reseal
    from nbops.core import hash_bytes

    path = _sealed_manifest(tmp_path, sample(MANIFEST_FILE))
    (path.parent / "seal.json").unlink()
    reseal(path, hash_bytes(path.read_bytes()))
    seal = json.loads((path.parent / "seal.json").read_text())
    assert seal["schema_version"] == 1 and seal["manifest_hash"] == hash_bytes(path.read_bytes())
    assert check_seal(path) is None
