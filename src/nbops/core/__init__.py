"""The core layer: config, manifest schema, store, errors, ids.

Nothing here imports click, IPython, nbconvert or ploomber.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core._exports import lazy_exports

if TYPE_CHECKING:
    from nbops.core._atomic import (
        atomic_path,
        atomic_write_bytes,
        atomic_write_json,
        atomic_write_text,
        dumps_json,
        fsync_dir,
        link_or_copy,
    )
    from nbops.core._errors import (
        ConfigError,
        DataError,
        GateFailure,
        IntegrityError,
        LedgerError,
        LockTimeout,
        NbopsError,
        RecordError,
        RegistryError,
        RemoteError,
        ReproduceError,
        ValidationError,
    )
    from nbops.core._experiment import data_slug, experiment_of, from_summary
    from nbops.core._exports import lazy_exports
    from nbops.core._faults import crash_point
    from nbops.core._feature_schema import (
        FeatureRecord,
        FeatureSchema,
        FeatureSchemaRecord,
        FeatureSpec,
        check_batch,
        check_input,
    )
    from nbops.core._hashing import PREFIX, HashCache, hash_bytes, hash_file, is_hash
    from nbops.core._host_names import HostCheck
    from nbops.core._ids import is_run_id, new_run_id, utc_now_iso
    from nbops.core._input_preparation import (
        NEGATIVE,
        POSITIVE,
        SPEC_VERSION,
        InputSpec,
        TargetLabels,
        of_version,
        spec_bytes,
        spec_from_feature_schema,
        spec_hash,
    )
    from nbops.core._json_walk import strings as json_strings
    from nbops.core._locks import ProjectLock, is_locked, read_holder
    from nbops.core._metrics import average_precision, brier, classification_metrics, roc_auc
    from nbops.core._model_card import (
        missing_card_fields,
        missing_card_sentence,
        read_model_card,
    )
    from nbops.core._parameters import check_parameters
    from nbops.core._pipeline_location import (
        PipelineLocation,
        is_dotted_path,
        locate_pipeline,
        pipeline_files,
    )
    from nbops.core._plugins import (
        GATE_OPERATOR_PLUGINS,
        POST_CLOSE_STEP_PLUGINS,
        load_plugins,
        plugin_problem,
    )
    from nbops.core._processes import pid_alive
    from nbops.core._project import ROOT_ENV, RUN_ENV, Project, find_project
    from nbops.core._schema import schema_errors
    from nbops.core._secrets import (
        DEFAULT_ENV_WHITELIST,
        MAX_SECRET_SCAN,
        REDACTED,
        is_secret_name,
        mask_credentials,
        redact,
        redact_argv,
        rewrite_strings,
        scrub,
        secret_byte_pairs,
        secret_replacements,
        whitelisted_env,
    )
    from nbops.core._settings import (
        OPTION_PREFIX,
        ProjectSettings,
        SettingKey,
        all_keys,
        build_command,
        env_options,
        flatten,
        option_value,
    )
    from nbops.core._store import ContentStore
    from nbops.core._terminal_text import printable
    from nbops.core._user_folders import user_cache_folder, user_config_folder
    from nbops.core._yaml_files import load_mapping, load_yaml

__all__ = [
    "ConfigError", "ContentStore", "DEFAULT_ENV_WHITELIST", "DataError", "FeatureRecord",
    "FeatureSchema", "FeatureSchemaRecord", "FeatureSpec", "GATE_OPERATOR_PLUGINS",
    "GateFailure", "HashCache", "HostCheck", "InputSpec", "IntegrityError", "LedgerError",
    "LockTimeout", "MAX_SECRET_SCAN", "NEGATIVE", "NbopsError",
    "OPTION_PREFIX",
    "POSITIVE", "POST_CLOSE_STEP_PLUGINS", "PREFIX", "PipelineLocation", "Project",
    "ProjectLock", "ProjectSettings", "REDACTED", "ROOT_ENV", "RUN_ENV", "RecordError",
    "RegistryError", "RemoteError", "ReproduceError", "SPEC_VERSION", "SettingKey",
    "TargetLabels", "ValidationError", "all_keys", "atomic_path", "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text", "average_precision", "brier", "build_command", "check_batch",
    "check_input", "check_parameters", "classification_metrics", "crash_point", "data_slug",
    "dumps_json", "env_options", "experiment_of", "find_project", "flatten", "from_summary",
    "fsync_dir", "hash_bytes", "hash_file", "is_dotted_path", "is_hash", "is_locked",
    "is_run_id", "is_secret_name", "json_strings", "lazy_exports", "link_or_copy",
    "load_mapping", "load_plugins", "load_yaml", "locate_pipeline", "mask_credentials",
    "missing_card_fields", "missing_card_sentence", "new_run_id", "of_version", "option_value",
    "pid_alive", "pipeline_files", "plugin_problem", "printable", "read_holder",
    "read_model_card", "redact", "redact_argv", "rewrite_strings", "roc_auc", "schema_errors",
    "scrub", "secret_byte_pairs", "secret_replacements", "spec_bytes",
    "spec_from_feature_schema", "spec_hash", "user_cache_folder", "user_config_folder",
    "utc_now_iso", "whitelisted_env",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_atomic": (
            "atomic_path", "atomic_write_bytes", "atomic_write_json", "atomic_write_text",
            "dumps_json", "fsync_dir", "link_or_copy",
        ),
        "_errors": (
            "ConfigError", "DataError", "GateFailure", "IntegrityError", "LedgerError",
            "LockTimeout", "NbopsError", "RecordError", "RegistryError", "RemoteError",
            "ReproduceError", "ValidationError",
        ),
        "_experiment": ("data_slug", "experiment_of", "from_summary"),
        "_exports": ("lazy_exports",),
        "_faults": ("crash_point",),
        "_feature_schema": ("FeatureRecord", "FeatureSchema", "FeatureSchemaRecord",
                            "FeatureSpec", "check_batch", "check_input"),
        "_hashing": ("HashCache", "PREFIX", "hash_bytes", "hash_file", "is_hash"),
        "_host_names": ("HostCheck",),
        "_ids": ("is_run_id", "new_run_id", "utc_now_iso"),
        "_input_preparation": (
            "InputSpec", "NEGATIVE", "POSITIVE", "SPEC_VERSION", "TargetLabels", "of_version",
            "spec_bytes", "spec_from_feature_schema", "spec_hash",
        ),
        "_json_walk": ("json_strings=strings",),
        "_locks": ("ProjectLock", "is_locked", "read_holder"),
        "_model_card": ("missing_card_fields", "missing_card_sentence", "read_model_card"),
        "_metrics": ("average_precision", "brier", "classification_metrics", "roc_auc"),
        "_parameters": ("check_parameters",),
        "_plugins": ("GATE_OPERATOR_PLUGINS", "POST_CLOSE_STEP_PLUGINS", "load_plugins",
                     "plugin_problem"),
        "_processes": ("pid_alive",),
        "_project": ("Project", "ROOT_ENV", "RUN_ENV", "find_project"),
        "_pipeline_location": ("PipelineLocation", "is_dotted_path", "locate_pipeline",
                               "pipeline_files"),
        "_schema": ("schema_errors",),
        "_secrets": (
            "DEFAULT_ENV_WHITELIST", "MAX_SECRET_SCAN", "REDACTED", "is_secret_name",
            "mask_credentials", "redact", "redact_argv", "rewrite_strings", "scrub",
            "secret_byte_pairs", "secret_replacements", "whitelisted_env",
        ),
        "_user_folders": ("user_cache_folder", "user_config_folder"),
        "_settings": ("OPTION_PREFIX", "ProjectSettings", "SettingKey", "all_keys", "build_command",
                      "env_options", "flatten", "option_value"),
        "_store": ("ContentStore",),
        "_terminal_text": ("printable",),
        "_yaml_files": ("load_mapping", "load_yaml"),
    })
