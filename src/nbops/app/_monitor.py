"""Check a batch (or the scoring service's log) against the champion; optionally retrain.

The use-case behind ``nbops monitor``: read the champion from the registry, read and
clean the batch as the champion's data was cleaned, run the drift and performance
tests with the project's thresholds, and, when asked, retrain under the retrain
policy (:mod:`nbops.app._retrain`). Nothing is printed here: the CLI prints the
:class:`MonitorOutcome`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbops.app._retrain import RetrainOutcome
from nbops.core import NbopsError, ProjectSettings

if TYPE_CHECKING:
    from nbops.contracts import JSONObject, ModelVersion

#: The files the ``monitoring:`` settings are read from, first found with the section.
MONITORING_FILES = ("env.monitor.yaml", "env.yaml")


def monitoring_settings(root: Path, settings: ProjectSettings | None = None) -> dict[str, Any]:
    """The ``monitoring:`` section of env.monitor.yaml (or env.yaml), ``{}`` if none.

    ``settings``: the project's env.yaml as the command read it (read here when None);
    env.monitor.yaml, the monitoring pipeline's own env file, is read when it exists.
    """
    for name in MONITORING_FILES:
        if name == "env.yaml" and settings is not None:
            section = settings.section("monitoring")
        else:
            section = ProjectSettings.read(Path(root) / name, what=name,
                                           mapping_required=False).section("monitoring")
        if section:
            return section
    return {}


@dataclass
class MonitorRequest:
    """What ``nbops monitor`` was asked: a BATCH file or a log WINDOW, and how to judge.

    Attributes:
        root: the project folder.
        batch: the file to check (None: ``window``).
        window: the logged traffic to check (``last:7d``…; None: ``batch``).
        sql: a query whose rows are the batch (``nbops.sources``; None: ``batch``).
        connection: the database ``sql`` runs on (default: the one the champion's
            training run queried).
        ref: the registered model to compare with (default: the project's champion).
        target: the label column (default: the champion's).
        fail_on: ``alert``, ``warn`` or ``never`` (default: ``monitoring.fail_on``).
        retrain: retrain when the policy's triggers fire.
    """

    root: Path
    batch: Path | None = None
    window: str | None = None
    ref: str | None = None
    target: str | None = None
    fail_on: str | None = None
    retrain: bool = False
    sql: str | None = None
    connection: str | None = None


@dataclass
class MonitorOutcome:
    """The verdict and everything the CLI shows of it.

    Attributes:
        report: the monitoring report (``nbops.monitoring`` ``MonitorReport``).
        document: the report as a dict, with ``retrain`` when one was asked for.
        champion: the champion compared with.
        thresholds: the thresholds used.
        fail_on: the verdict from which the command fails (None: never).
        retrain: the retrain's outcome (None: not asked).
    """

    report: Any
    document: dict[str, Any]
    champion: Any
    thresholds: Any
    fail_on: str | None
    retrain: RetrainOutcome | None


def check_champion(request: MonitorRequest) -> MonitorOutcome:
    """Check the batch or the log window against the champion; retrain if asked.

    Raises:
        NbopsError: the champion cannot be read, or the retrain's holdout cannot be scored.
    """
    from nbops.app._retrain import RetrainRequest, retrain_champion
    from nbops.monitoring import Champion, Thresholds, monitor, unreadable_report
    from nbops.registry import (
        get_version,
        load_verified,
        parse_ref,
        project_model_name,
        trusted_types_of,
    )

    root = request.root
    env = ProjectSettings.of_project(root, mapping_required=False)  # the command's one read
    ref = request.ref or f"{project_model_name(root, env)}@champion"
    settings = monitoring_settings(root, env)
    thresholds = Thresholds.from_mapping(settings.get("thresholds"))
    record = get_version(ref, root)
    trusted = trusted_types_of(root, env)
    name = parse_ref(ref).name
    model = load_verified(root, record, f"{name}:{record['version']}", policy=trusted)
    champion = Champion.from_record(root, name, record, model)
    target = request.target or champion.schema.get("target")
    frame, problem, info = _read_batch(request, champion, record, target)
    if frame is None:
        report = unreadable_report(problem or "unreadable batch", thresholds, info)
    else:
        info["rows"] = len(frame)
        report = monitor(champion, frame, thresholds, info)
    document = report.to_dict()
    outcome: RetrainOutcome | None = None
    if request.retrain:
        outcome = ({"status": "skipped", "reason": "retraining from the log is not supported "
                    "yet; export the window with labels and pass it as BATCH"}
                   if request.batch is None else retrain_champion(RetrainRequest(
                       root, champion, record, document, frame, target, settings, trusted)))
        document["retrain"] = outcome
    return MonitorOutcome(report, document, champion, thresholds,
                          _fail_on(request.fail_on, settings), outcome)


def _fail_on(option: str | None, settings: dict[str, Any]) -> str | None:
    """``--fail-on``, else ``monitoring.fail_on``; None for ``never`` or unset."""
    if option is None and str(settings.get("fail_on")).lower() in ("alert", "warn"):
        option = str(settings["fail_on"]).lower()
    return None if option == "never" else option


def _read_batch(request: MonitorRequest, champion: Any, record: ModelVersion,
                target: str | None) -> tuple[Any, str | None, JSONObject]:
    """The batch to check, cleaned and labelled (None and why when unreadable); its info."""
    from nbops.core import of_version
    from nbops.monitoring import binary_labels, read_batch
    from nbops.validation import clean_raw

    preparation = of_version(record)
    if target:
        preparation = {**preparation, "target": {**(preparation.get("target") or {}),
                                                 "name": target}}
    info: JSONObject
    if request.window is not None:
        from nbops.serving import log_dir, logged_batch, parse_window

        logged, info = logged_batch(log_dir(request.root, champion.name),
                                    parse_window(request.window), target or "target")
        frame, problem = (logged, None) if len(logged) else (
            None, f"the prediction log of {champion.name} has no rows in {request.window}; "
                  "check that nbops serve-model ran with logging on, or widen the window")
    elif request.sql is not None:
        queried, info = _query_batch(request.root, record, request.sql, request.connection)
        frame, problem = clean_raw(queried, preparation), None
    else:
        assert request.batch is not None
        info = {"source": str(request.batch)}
        frame, problem = read_batch(request.batch)
        if frame is not None:
            frame = clean_raw(frame, preparation)
    if frame is not None and target and target in frame.columns:
        frame = frame.assign(**{target: binary_labels(frame[target])})
    return frame, problem, info


def _query_batch(root: Path, record: ModelVersion, sql: str,
                 connection: str | None) -> tuple[Any, JSONObject]:
    """The batch a query returns, checked against the columns the champion trained on."""
    from nbops.core import REDACTED, find_project
    from nbops.runs import load_manifest
    from nbops.sources import QuerySource, check_result, parse_connection, run_query

    trained: dict[str, Any] = {}
    try:
        trainer = record["run_id"]
        sources = ({} if trainer is None  # registered outside a run: nothing recorded
                   else load_manifest(find_project(root), trainer).get("sources") or {})
        trained = dict(next(iter(sources.values()), {}))
    except (NbopsError, KeyError, OSError):
        pass  # a champion trained on a file: nothing recorded to default to or compare with
    if connection is None and REDACTED not in str(trained.get("connection", REDACTED)):
        connection = trained["connection"]
    source = QuerySource("monitor", "sql", sql.strip().rstrip(";"),
                         parse_connection(connection, root), "", None)
    table = run_query(source)
    check_result(source, table, trained.get("columns"),
                 f"the champion (v{record.get('version')})")
    return table.to_pandas(), {"source": f"query on {source.connection.recorded}",
                               "sql": source.sql}
