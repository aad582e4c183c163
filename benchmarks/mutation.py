"""Mutation testing of the modules where nbops decides or protects (``make mutate``).

Runs mutmut (configured under ``[tool.mutmut]`` in pyproject.toml: which modules,
which fast tests) and writes the kill rate per module and every surviving mutant to
``benchmarks/results/mutation.md`` and ``mutation.json``.

Two adjustments make mutmut see this project's code:

* the environment's start-up hooks (``nbops_*.pth``) import ``nbops`` before mutmut
  has put its mutated copy first on ``sys.path``; the copy would never be tested.
  ``nbops`` modules are dropped from ``sys.modules`` right after mutmut sets its paths.
* tests start child processes (the fork server, kernels, the CLI); ``PYTHONPATH``
  points them at the mutated copy too, and they inherit the active mutant's name
  (only a mutant's: mutmut's own phases, such as collecting coverage, stay in this
  process, since a child cannot report its coverage back).

Usage::

    python -m benchmarks.mutation            # run, then report
    python -m benchmarks.mutation --report   # report on the last run only
    # one module, against the tests that reach it (quick, while writing tests):
    python -m benchmarks.mutation --module src/nbops/remote/_lease.py \
        --tests tests/nbops/remote/test_lease_and_urls.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MUTANTS = ROOT / "mutants"

#: Surviving mutants that change no behaviour, with the reason (see docs/testing.md).
#: Keys are mutmut's mutant names; they are re-checked on every run (a listed mutant
#: that is killed or gone is reported as stale).
_SPEED_ONLY = ("only chooses between checking features one by one and in threads; the "
               "results are identical either way (test_big_batches_are_checked_in_parallel_"
               "with_the_same_result)")
_CODEC = "'UTF-8' and 'utf-8' are one codec"
_LOCALE = ("the default codec is the locale's, UTF-8 wherever nbops is tested and run; a "
           "key is ASCII text")
_FALSY_FLAG = ("json.dumps tests ensure_ascii and allow_nan for truth: None is False")
_POOL = "the download pool's size changes speed, not which objects arrive or how they are checked"
_PULL_FIX = ("dead text: _pull_one replaces the fix of every IntegrityError raised under it "
             "with repair_fix(run_id), the one fix a user sees (tested)")
_ARROW_THREADS = "one thread or Arrow's pool reads the same columns: speed only"
_STRICT_ZIP = "a table's column_names and columns always have the same length: strict never fires"
_NO_LATIN1_ESCAPE = ("no character from U+00A0 to U+200A is escaped, so 0xFF and 0x100 never reach "
                     "the comparison")
_ALL_COLUMNS = "reading the listed columns when they are all of them is the same read"
_BIG_OBJECTS = ("whether an object is uploaded in the pool or alone changes speed, not what is "
                "uploaded")
_STATE_DIR = ("pull opened the content store first, which made .nbops/: the stray folder's "
              "parent always exists, so parents= changes nothing")
_NO_EXPIRY = ("a lease without expires_at is free either way: float(None) raises TypeError, "
              "which frees it too, and any default in the past frees it")
_JITTER = ("the poll pause's granularity: it stays between 0.1 and 0.3 s "
           "(test_waiters_poll_every_tenth_to_three_tenths_of_a_second_at_random)")
_EMPTY_FEEDBACK = ("with no feedback file the empty frame yields no group: only its key column "
                   "is ever read")
_FEEDBACK_INDEX = "the concatenated feedback's index is never read: labels are taken by to_numpy()"
_NAN_START = ("a row no feedback labels ends up NaN either way: the labels become float64 "
              "before they are returned")
_LOG_INDEX = "read_parts returns a fresh RangeIndex: the same index as the default one"
_COPY = "whether pandas copies the column changes memory, not the values"
_FLOAT64 = "numpy and pandas read astype(None) as float64: the same dtype"
_NA_TO_NAN = "pandas writes <NA> as NaN into a float64 array with or without na_value"
_LAST_IS_NAN = ("the appended last entry is NaN: a negative code reads it whether or not it "
                "is mapped first")
_NO_NULLS = "after fill_null the indices hold no null: Arrow hands them over the same either way"
_NA_ACTION = "one() returns a missing value unchanged, so mapping it or skipping it is the same"
_WHERE_NAN = "pandas' where fills an object column's missing values with NaN, given None or not"
_BOOL_MASK = "isin gives a bool Series: its array is bool with or without dtype=bool"
_EMPTY_FLOAT64 = "an empty Float64 Series holds <NA> whatever the fill value"
_OBJECT_VALUES = ("to_numpy() of the columns read here (object, numbers, strings, booleans) "
                  "gives values that convert alike")
_DISCARDED = ("with a problem the prepared frame is discarded by every caller (serve-model "
              "answers 422)")
_ONE_VALUE_EACH = ("itertools.product gives one value per dimension: zip's strict never "
                   "fires")
_CAST = "typing.cast returns its value unchanged at run time, whatever the type named"
_MODEL_FILE_ONLY = ("only registry.model_file is read there, and the project name only "
                    "changes the default model name")
_PARQUET_READ = ("only a Parquet body reads the categorical and unused lists, and they change "
                 "how it is read (dictionaries, columns skipped), not the rows prepared")
EQUIVALENT: dict[str, str] = {
    "nbops.serving._feedback.x__feedback__mutmut_11": _EMPTY_FEEDBACK,
    "nbops.serving._feedback.x__feedback__mutmut_12": _EMPTY_FEEDBACK,
    "nbops.serving._feedback.x__feedback__mutmut_13": _EMPTY_FEEDBACK,
    "nbops.serving._feedback.x__feedback__mutmut_14": _EMPTY_FEEDBACK,
    "nbops.serving._feedback.x__feedback__mutmut_15": _EMPTY_FEEDBACK,
    "nbops.serving._feedback.x__feedback__mutmut_16": _EMPTY_FEEDBACK,
    "nbops.serving._feedback.x__feedback__mutmut_17": _EMPTY_FEEDBACK,
    "nbops.serving._feedback.x__feedback__mutmut_18": _EMPTY_FEEDBACK,
    "nbops.serving._feedback.x__feedback__mutmut_21": _FEEDBACK_INDEX,
    "nbops.serving._feedback.x__feedback__mutmut_23": _FEEDBACK_INDEX,
    "nbops.serving._feedback.x__feedback__mutmut_25": _FEEDBACK_INDEX,
    "nbops.serving._feedback.x_logged_batch__mutmut_25": _NAN_START,
    "nbops.serving._feedback.x_logged_batch__mutmut_27": _NAN_START,
    "nbops.serving._feedback.x_logged_batch__mutmut_31": _NAN_START,
    "nbops.serving._feedback.x_logged_batch__mutmut_114": _FLOAT64,
    "nbops.serving._feedback.x_logged_batch__mutmut_47":
        "feedback by an id column is always stored with row 0: deduplicating by value and row "
        "is deduplicating by value",
    "nbops.serving._feedback.x_logged_batch__mutmut_84":
        "row numbers as int32 or int64 find the same entries of the lookup",
    "nbops.serving._feedback.x_logged_batch__mutmut_91": _LOG_INDEX,
    "nbops.serving._feedback.x_logged_batch__mutmut_93": _LOG_INDEX,
    "nbops.sweeps._runner.x_run_sweep__mutmut_74": "a thread's name is for debuggers only",
    "nbops.sweeps._runner.x_run_sweep__mutmut_77": "a thread's name is for debuggers only",
    "nbops.sweeps._runner.x_run_sweep__mutmut_78": "a thread's name is for debuggers only",
    "nbops.sweeps._runner.x_run_sweep__mutmut_83": "a thread's name is for debuggers only",
    "nbops.sweeps._runner.x_run_sweep__mutmut_79":
        "run_sweep joins every worker thread: daemon only matters at interpreter exit",
    "nbops.sweeps._runner.x_write_request__mutmut_26": _LOCALE,
    "nbops.sweeps._runner.x__heal__mutmut_44":
        "every trial has reused (new_trial sets it): the default is never used",
    "nbops.sweeps._runner.x__heal__mutmut_46":
        "every trial has reused (new_trial sets it): the default is never used",
    "nbops.registry._pipeline_step.x__gate__mutmut_41": _CAST,
    "nbops.registry._pipeline_step.x__gate__mutmut_49": _CAST,
    "nbops.registry._pipeline_step.x__gate__mutmut_120": _CAST,
    "nbops.registry._pipeline_step.x__gate__mutmut_128": _CAST,
    "nbops.registry._pipeline_step.xǁRegistryStepǁprepare__mutmut_8": _MODEL_FILE_ONLY,
    "nbops.registry._pipeline_step.xǁRegistryStepǁprepare__mutmut_10": _MODEL_FILE_ONLY,
    "nbops.registry._pipeline_step.x_check_model_product__mutmut_5": _MODEL_FILE_ONLY,
    "nbops.registry._pipeline_step.x_check_model_product__mutmut_6": _MODEL_FILE_ONLY,
    "nbops.serving._app.x_build_app__mutmut_16": "Starlette upper-cases a route's methods",
    "nbops.serving._app.x_build_app__mutmut_26": "Starlette upper-cases a route's methods",
    "nbops.serving._app.x_build_app__mutmut_29":
        "a route given no methods answers GET (and HEAD), as methods=['GET'] does",
    "nbops.serving._app.x_json_numbers__mutmut_41":
        "the Arrow path runs for 256 values or more: the joined text is never empty",
    "nbops.serving._app.xǁServiceǁ_log__mutmut_37":
        "np.full of a datetime64[us] value is datetime64[us] either way",
    "nbops.serving._app.xǁServiceǁ_log__mutmut_69":
        "an id column becomes the same text from an object array or a typed one",
    "nbops.serving._app.xǁServiceǁpredict__mutmut_22": "HTTP header names are case-insensitive",
    "nbops.serving._app.xǁServiceǁscore__mutmut_32":
        "the batch is parsed already: _prepare_off_loop reads the content type only for bytes",
    "nbops.serving._app.xǁServiceǁscore__mutmut_19": _PARQUET_READ,
    "nbops.serving._app.xǁServiceǁ_prepare_off_loop__mutmut_8": _PARQUET_READ,
    "nbops.sweeps._runner.x__stop_if_metric_never_logged__mutmut_6":
        "neither '' nor 'XXXX' starts with 'the run logged no metric': the same decision",
    "nbops.sweeps._samplers.x__draw__mutmut_8":
        "a range always has both bounds (parse_param): the assert only informs the type checker",
    "nbops.sweeps._samplers.x_planned_trials__mutmut_25": _ONE_VALUE_EACH,
    "nbops.sweeps._samplers.x_planned_trials__mutmut_28": _ONE_VALUE_EACH,
    "nbops.sweeps._samplers.x_planned_trials__mutmut_29": _ONE_VALUE_EACH,
    "nbops.sweeps._samplers.x_planned_trials__mutmut_30": "trials[:None] is every trial",
    "nbops.serving._feedback.x__feedback__mutmut_33":
        "numpy reads a sort kind whatever its case: STABLE is stable",
    "nbops.serving._feedback.x_logged_batch__mutmut_35": "groupby reads sort=None as false",
    "nbops.validation._preparation.x_clean_raw__mutmut_27": _FLOAT64,
    "nbops.serving._feedback.x_parse_window__mutmut_39":
        "an ISO date or time holds no '..': a window has one, where partition and rpartition "
        "split alike",
    "nbops.validation._preparation.x__as_numbers__mutmut_11":
        "the per-value loop turns a numeric column's numbers into the same floats, slower",
    "nbops.validation._preparation.x__as_numbers__mutmut_12": _FLOAT64,
    "nbops.validation._preparation.x__as_numbers__mutmut_17": _NA_TO_NAN,
    "nbops.validation._preparation.x__as_numbers__mutmut_19": _NA_TO_NAN,
    "nbops.validation._preparation.x__by_codes__mutmut_17": _LAST_IS_NAN,
    "nbops.validation._preparation.x__category__mutmut_40": _LAST_IS_NAN,
    "nbops.validation._preparation.x__category__mutmut_37": _NO_NULLS,
    "nbops.validation._preparation.x__category__mutmut_41": _NO_NULLS,
    "nbops.validation._preparation.x__category__mutmut_84": _DISCARDED,
    "nbops.validation._preparation.x__text__mutmut_4": _WHERE_NAN,
    "nbops.validation._preparation.x__text__mutmut_28": _WHERE_NAN,
    "nbops.validation._preparation.x__text__mutmut_30": _NA_ACTION,
    "nbops.validation._preparation.x__text__mutmut_32": _NA_ACTION,
    "nbops.validation._preparation.x__values__mutmut_2": _OBJECT_VALUES,
    "nbops.validation._preparation.x_labels__mutmut_42": _EMPTY_FLOAT64,
    "nbops.validation._preparation.x_labels__mutmut_45": _EMPTY_FLOAT64,
    "nbops.validation._preparation.x_labels__mutmut_52": _BOOL_MASK,
    "nbops.validation._preparation.x_labels__mutmut_56": _BOOL_MASK,
    "nbops.validation._preparation.x_prepare_for_model__mutmut_68": _COPY,
    "nbops.validation._preparation.x_prepare_for_model__mutmut_71": _COPY,
    "nbops.validation._preparation.x_prepare_for_model__mutmut_72": _COPY,
    "nbops.core._hashing.xǁHashCacheǁ_load__mutmut_5": "'UTF-8' and 'utf-8' are one codec",
    "nbops.contracts._manifest_file.x__parse__mutmut_4": "'UTF-8' and 'utf-8' are one codec",
    "nbops.runs._notebook_redaction.x_redact_notebook__mutmut_80":
        "'UTF-8' and 'utf-8' are one codec",
    "nbops.core._hashing.x_hash_file__mutmut_4":
        "a file of exactly 64 MiB is hashed chunk by chunk instead of memory-mapped: the "
        "same digest",
    "nbops.core._store.xǁContentStoreǁmaterialize__mutmut_49":
        "copyfileobj's buffer size changes speed, not the bytes copied",
    "nbops.core._store.xǁContentStoreǁput_file__mutmut_41":
        "copyfileobj's buffer size changes speed, not the bytes copied",
    "nbops.core._locks.xǁProjectLockǁacquire__mutmut_92":
        "how fast the polling interval grows (capped at 0.5 s) changes how soon a waiter "
        "notices a released lock, not whether it gets it or when it gives up",
    "nbops.core._secrets.x_redact__mutmut_1":
        "the default name 'XXXX' does not look like a secret, so it behaves like ''",
    "nbops.core._secrets.x_secret_replacements__mutmut_1":
        "the default name 'XXXX' does not look like a secret, so it behaves like ''",
    "nbops.reports._page_redaction.x__collect__mutmut_12":
        "zip's strict defaults to False: strict=None is the same call",
    "nbops.registry._promotion.x__decide__mutmut_48":
        "operations.promote's alias defaults to DEFAULT_ALIAS: the same call",
    "nbops.registry._promotion.x__stored__mutmut_5":
        "the digest hint only spares re-hashing a file the build already hashed",
    "nbops.registry._promotion.x__stored__mutmut_7":
        "the digest hint only spares re-hashing a file the build already hashed",
    "nbops.registry._promotion.x__stored__mutmut_8":
        "the digest hint only spares re-hashing a file the build already hashed",
    "nbops.runs._checkout.x_confine__mutmut_7":
        "on POSIX, PurePosixPath and Path agree on whether a path is absolute",
    "nbops.runtime._forkserver.x__serve_kernels__mutmut_41":
        "the set is read once, by the loop this line is in; the server exits right after it",
    "nbops.runtime._forkserver.x__reap__mutmut_1":
        "a signal handler's signal number: _reap never reads it",
    "nbops.runtime._forkserver.x__requests__mutmut_12":
        "the read size bounds one chunk only: a longer request is joined across reads "
        "(tested)",
    "nbops.runtime._forkserver.x_serve_servers__mutmut_25":
        "a request is 'fork' (4 bytes); a longer one is refused either way, quoting its first 40",
    "nbops.runtime._forkserver.x_serve_servers__mutmut_29":
        "nothing follows the loop: break and return both end serve_servers",
    "nbops.runtime._forkserver.x_serve_servers__mutmut_73":
        "nothing follows the loop: break and return both end serve_servers",
    "nbops.runtime._kernel_pool.x__kill__mutmut_4":
        "now=False asks the kernel to shut down before killing it: the process ends either "
        "way, later",
    "nbops.runtime._kernel_pool.x__kill__mutmut_3":
        "now=None is now=False (jupyter_client tests it for truth): the process ends either "
        "way, later",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁ__init____mutmut_32":
        "unreachable on POSIX: kernels use IPC sockets there, never TCP",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁ__init____mutmut_39":
        "unreachable on POSIX: the socket folder is always made there",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁ__init____mutmut_43":
        "unreachable on POSIX: the socket folder is always made there",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁacquire__mutmut_18":
        "daemon only matters at interpreter exit, where the stale kernel's kill finishes "
        "either way",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁacquire__mutmut_21":
        "daemon only matters at interpreter exit, where the stale kernel's kill finishes "
        "either way",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁacquire__mutmut_22":
        "daemon only matters at interpreter exit, where the stale kernel's kill finishes "
        "either way",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁacquire__mutmut_24":
        "no launch in flight for the key reads None instead of 0: both are false",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁacquire__mutmut_26":
        "no launch in flight for the key reads None instead of 0: both are false",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁ__init____mutmut_31":
        "unreachable on POSIX: kernels use IPC sockets there, never TCP",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁrefill__mutmut_12":
        "daemon only matters at interpreter exit: it would wait for a top-up still launching, "
        "whose kernel is killed as it arrives (the pool is closed by then)",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁacquire__mutmut_28":
        "with the budget spent, force only decides whether it goes below zero; a spent "
        "budget starts nothing ahead either way",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁ_launch__mutmut_24":
        "jupyter_client gives a kernel without an id a new uuid itself",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁ_launch__mutmut_49":
        "PooledKernel.cwd is informational: nothing reads it",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁrefill__mutmut_11":
        "a thread's name is for debuggers only",
    "nbops.runtime._kernel_pool.xǁKernelPoolǁrelease__mutmut_7":
        "a thread's name is for debuggers only",
    "nbops.monitoring._batch_check.x__feature_drifts__mutmut_28":
        "os.cpu_count() is never None on Linux, so the fallback is never used",
    "nbops.monitoring._batch_check.x__feature_drifts__mutmut_29": _SPEED_ONLY,
    "nbops.monitoring._batch_check.x__feature_drifts__mutmut_32": _SPEED_ONLY,
    "nbops.monitoring._batch_check.x__feature_drifts__mutmut_37":
        "the thread pool's size changes speed, not the per-feature results",
    "nbops.remote._team_key.x__checked__mutmut_11": _CODEC,
    "nbops.remote._team_key.x_key_file__mutmut_6": _CODEC,
    "nbops.remote._team_key.x_store_team_key__mutmut_50": _CODEC,
    "nbops.remote._team_key.x_team_key__mutmut_16": _CODEC,
    "nbops.remote._team_key.x_store_team_key__mutmut_43": _LOCALE,
    "nbops.remote._team_key.x_store_team_key__mutmut_46": _LOCALE,
    "nbops.remote._team_key.x_team_key__mutmut_14": _LOCALE,
    "nbops.remote._team_key.x_store_team_key__mutmut_16":
        "secrets.token_urlsafe's default is 32 bytes: the same key length",
    "nbops.remote._team_key.x_store_team_key__mutmut_29":
        "the temp file's random part only avoids clashes; its length changes nothing else",
    "nbops.remote._team_key.x_store_team_key__mutmut_30":
        "the temp file's random part only avoids clashes; its length changes nothing else",
    "nbops.remote._index.x__dump__mutmut_22": _CODEC,
    "nbops.remote._index.x__dump__mutmut_6": _FALSY_FLAG,
    "nbops.remote._index.x__dump__mutmut_7": _FALSY_FLAG,
    "nbops.remote._objects.x_download_objects__mutmut_1": _POOL,
    "nbops.remote._objects.x_download_objects__mutmut_22": _POOL,
    "nbops.registry._remote_trust.x_canonical__mutmut_20": _CODEC,
    "nbops.registry._remote_trust.x_canonical__mutmut_7": _FALSY_FLAG,
    "nbops.registry._remote_trust.x_canonical__mutmut_8": _FALSY_FLAG,
    "nbops.registry._remote_trust.x_signed__mutmut_32": _CODEC,
    "nbops.registry._remote_trust.x_split__mutmut_5": _CODEC,
    "nbops.registry._seal.x_problem__mutmut_7": _CODEC,
    "nbops.sync._pull.x__set_aside__mutmut_8":
        "the stray folder's random suffix only avoids clashes; its length changes nothing else",
    "nbops.sync._pull.x__set_aside__mutmut_9": _STATE_DIR,
    "nbops.sync._pull.x__set_aside__mutmut_11": _STATE_DIR,
    "nbops.sync._pull.x__set_aside__mutmut_13": _STATE_DIR,
    "nbops.sweeps._space.x_parse_grid__mutmut_15":
        "an empty value list splits into [''], which holds no value either: the same refusal",
    "nbops.sweeps._space.x_coerce__mutmut_36":
        "no default's type name (bool, int, float, str, NoneType, list, dict) starts with X",
    "nbops.core._host_names.x__name__mutmut_15":
        "the host holds exactly one colon there: partition and rpartition split at it alike",
    "nbops.sync._pull.x__pull_verified__mutmut_125": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_126": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_127": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_38": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_51": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_60": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_76": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_81": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_82": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_92": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_95": _PULL_FIX,
    "nbops.sync._pull.x__verified__mutmut_12": _PULL_FIX,
    "nbops.sync._pull.x__verified__mutmut_14": _PULL_FIX,
    "nbops.sync._pull.x__verified__mutmut_5": _PULL_FIX,
    "nbops.sync._pull.x__verified__mutmut_8": _PULL_FIX,
    "nbops.runs._reuse.x__downstream__mutmut_4":
        "changed is only read as `while changed`: None and False are both false",
    "nbops.serving._request_body.x__parquet__mutmut_24": _ARROW_THREADS,
    "nbops.serving._request_body.x__parquet__mutmut_26": _ARROW_THREADS,
    "nbops.serving._request_body.x__parquet__mutmut_30": _ARROW_THREADS,
    "nbops.serving._request_body.x__parquet__mutmut_34": _STRICT_ZIP,
    "nbops.serving._request_body.x__parquet__mutmut_37": _STRICT_ZIP,
    "nbops.serving._request_body.x__parquet__mutmut_38": _STRICT_ZIP,
    "nbops.serving._request_body.x__parquet__mutmut_28": _ALL_COLUMNS,
    "nbops.serving._request_body.x__parquet__mutmut_29": _ALL_COLUMNS,
    "nbops.serving._request_body.x__parquet__mutmut_9":
        "ParquetFile reads the footer again without it: the same metadata, later",
    "nbops.core._terminal_text.x__escaped__mutmut_6": _NO_LATIN1_ESCAPE,
    "nbops.core._terminal_text.x__escaped__mutmut_7": _NO_LATIN1_ESCAPE,
    "nbops.sync._push.x__push_one__mutmut_1":
        "push_runs, its one caller, always passes repair: the default is never used",
    "nbops.sync._push.x__push_one__mutmut_136": _CODEC,
    "nbops.sync._push.x__upload_missing__mutmut_32": _BIG_OBJECTS,
    "nbops.sync._push.x__upload_missing__mutmut_35": _BIG_OBJECTS,
    "nbops.sync._pull.x__pull_verified__mutmut_160": _LOCALE,
    "nbops.sync._pull.x__pull_verified__mutmut_171": _CODEC,
    "nbops.sync._pull.x__pull_verified__mutmut_137":
        "ContentStore.materialize's link defaults to True: the same call",
    "nbops.remote._lease.xǁRemoteLeaseǁ__init____mutmut_11":
        "held is only read as `if not self.held`: None and False are both false",
    "nbops.remote._lease.xǁRemoteLeaseǁrelease__mutmut_2":
        "held is only read as `if not self.held`: None and False are both false",
    "nbops.remote._lease.xǁRemoteLeaseǁrelease__mutmut_14":
        "ours is only read as `if ours`: None and False are both false",
    "nbops.remote._lease.xǁRemoteLeaseǁ_doc__mutmut_14": "'UTF-8' and 'utf-8' are one codec",
    "nbops.remote._lease.xǁRemoteLeaseǁacquire__mutmut_17": _NO_EXPIRY,
    "nbops.remote._lease.xǁRemoteLeaseǁacquire__mutmut_19": _NO_EXPIRY,
    "nbops.remote._lease.xǁRemoteLeaseǁacquire__mutmut_22": _NO_EXPIRY,
    "nbops.remote._lease.xǁRemoteLeaseǁacquire__mutmut_64": _JITTER,
    "nbops.remote._lease.xǁRemoteLeaseǁacquire__mutmut_65": _JITTER,
    "nbops.reproduce._compare.x__product_checks__mutmut_73":
        "a missing path gives str(None) == 'None' instead of '': neither ends with .ipynb",
    "nbops.runs._verify.x_verify_run__mutmut_46":
        "seal_state gives every 'tampered' state a problem sentence: the fallback is unreachable",
    "nbops.core._secrets.x_redact_argv__mutmut_17":
        "the text before the first '=' is the same however many times the rest is split",
    "nbops.runs._checkout.x_checkout_run__mutmut_125":
        "the pipeline name only words the undeclared-path refusal, which the same declared "
        "list already passed before the lock",
    "nbops.runs._reuse.x__unchanged__mutmut_62":
        "a matching task is in matching but never its own upstream: <= and < agree",
    "nbops.monitoring._batch_check.x_check_batch__mutmut_12":
        "an empty batch has no labels either way: _labels gives None for 0 rows (all-NaN)",
    "nbops.monitoring._batch_check.x__feature_drifts__mutmut_34":
        "two threads or one give the same drifts in the same order (pool.map); only speed",
    # numbered as mutmut numbers sync/_pull.py after issue 27's merges (_pull_record and
    # _check_again grew; the fresh report's _96 is _106 here, its _15 of _pull_record _19)
    "nbops.sync._pull.x__pull_verified__mutmut_15": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_36": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_42": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_61": _PULL_FIX,
    "nbops.sync._pull.x__pull_verified__mutmut_181":
        "ContentStore.materialize's link defaults to True: the same call",
    "nbops.sync._pull.x__pull_verified__mutmut_106":
        "a missing seal is refused and an empty one is unreadable JSON before: seal_bytes is "
        "never empty there",
    "nbops.sync._pull.x__pull_verified__mutmut_229":
        "a missing seal is refused and an empty one is unreadable JSON before: seal_bytes is "
        "never empty there",
    "nbops.sync._pull.x__pull_record__mutmut_19":
        "an assert's message: why is None only when check_run_signature found the key "
        "(and _check_again returns first without one), so it never fires",
    "nbops.serving._app.xǁServiceǁ_log__mutmut_23":
        "request ids are the server's own ASCII text: a NumPy str array and an object array "
        "of them become the same Arrow string column",
    "nbops.serving._app.xǁServiceǁ_log__mutmut_30":
        "row numbers of one request fit int32: the log's schema casts int64 to the same column",
    "nbops.serving._app.xǁServiceǁ_log__mutmut_50":
        "model names match [A-Za-z][A-Za-z0-9_.-]*: a NumPy str array and an object array of "
        "one become the same Arrow string column",
}

KILLED = {"killed", "caught by type check"}
#: Not counted either way: mutmut's timeouts are wall-clock, and on a loaded machine a slow
#: fixture looks like a hang; a crash (segfault) says nothing about the tests (it was how
#: OpenMP failed in forked children). They are listed, and left out of the kill rate.
UNDECIDED = {"timeout", "suspicious", "segfault"}
SAMPLE_USED: float | None = None

#: Modules whose code runs only in a child process (the fork server), where mutmut's
#: coverage stats cannot see it: their mutants run against these tests, which start that
#: process (it inherits the active mutant's name and imports the mutated copy).
# the real `nbops serve-model` process answers these tests' requests (request handling and
# body parsing both run there, where mutmut's in-process coverage cannot see them)
SERVE_MODEL_PROCESS_TESTS = (
    "test_an_infinite_number_is_422_naming_the_field",
    "test_an_infinite_number_in_a_csv_body_is_422_too",
    "test_deeply_nested_json_is_400_not_a_server_error",
    "test_a_body_a_web_page_could_send_cross_site_is_415_and_not_logged",
    "test_a_host_header_not_naming_this_machine_is_refused",
    "test_loopback_names_and_allowed_hosts_are_served",
    "test_a_champion_that_cannot_be_loaded_shows_on_healthz",
    "test_a_chunked_body_over_the_limit_is_413_without_a_length_header",
)
CHILD_PROCESS_TESTS: dict[str, tuple[str, ...]] = {
    "src/nbops/runtime/_forkserver.py": (
        "test_a_forked_kernel_takes_the_requested_environment_and_folder",
        "test_a_request_longer_than_one_read_reaches_the_server_whole",
        "test_each_notebook_gets_a_new_process_that_is_gone_afterwards",
        "test_kernels_forked_after_preimports_start_as_a_new_interpreter_would",
        "test_a_preimport_that_starts_a_thread_leaves_kernels_to_start_the_ordinary_way",
        "test_a_server_started_ahead_is_adopted_and_ends_with_its_client",
        "test_losing_the_server_kills_the_kernels_it_forked",
        "test_a_kernel_forked_after_matplotlib_was_preimported_shows_figures_as_a_new_one_would",
        "test_a_kernel_forked_after_scikit_learn_was_preimported_keeps_a_new_interpreters_openmp",
        "test_a_preimport_that_exits_ends_the_server_with_code_1_and_kernels_start_anyway",
        "test_a_server_that_started_a_thread_after_its_imports_refuses_to_fork_and_says_why",
        "test_a_kernel_its_own_code_ends_with_a_message_exits_1_and_takes_no_other_kernel",
        "test_kernels_get_their_blas_threads_back_when_the_user_tunes_jemalloc",
        "test_kernels_import_from_every_pythonpath_folder_however_their_server_started",
        # the zygote, driven directly (its refusals, its servers' exits)
        "test_servers_forked_by_a_zygote_fork_kernels_and_end_with_their_client",
        "test_a_zygote_ends_when_its_client_does_and_leaves_a_working_server_to_its_build",
        "test_a_zygote_whose_client_goes_before_it_is_ready_exits_without_a_traceback",
        "test_a_zygote_whose_imports_start_a_thread_refuses_to_fork_and_says_why",
        "test_a_terminated_server_forked_by_a_zygote_kills_its_kernels_and_says_how_it_ended",
        "test_a_server_forked_by_a_zygote_that_exits_with_a_message_ends_with_code_1",
        "test_a_signal_sent_as_a_server_says_it_is_ready_is_never_left_waiting",
        "test_a_forked_kernel_keeps_neither_the_servers_wakeup_pipe_nor_the_zygotes",
        "test_a_zygote_refuses_a_request_that_is_not_a_fork_with_two_or_three_descriptors",
        # the zygote, started by the sweeps' trial server (its own process again)
        "test_later_trials_adopt_kernel_servers_forked_from_one_zygote",
        "test_a_server_told_its_pipeline_forks_every_trials_server_from_a_zygote_started_first",
        "test_the_zygote_started_first_is_replaced_when_the_preload_differs",
        "test_when_the_zygote_cannot_fork_each_trial_starts_its_server_afresh",
    ),
    "src/nbops/serving/_app.py": SERVE_MODEL_PROCESS_TESTS,
    "src/nbops/serving/_request_body.py": SERVE_MODEL_PROCESS_TESTS,
}


#: ``--module``/``--tests`` narrow a run to some modules and tests; the scope reaches the
#: mutmut process (and ``--report``) through this variable, as JSON.
SCOPE_VARIABLE = "NBOPS_MUTATION_SCOPE"


def config() -> dict:
    """The ``[tool.mutmut]`` table of pyproject.toml, narrowed by ``--module``/``--tests``."""
    table = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    scope = json.loads(os.environ.get(SCOPE_VARIABLE) or "{}")
    return {**table, **scope}


def _narrow_mutmut_config() -> None:
    """Make mutmut's own configuration follow ``--module``/``--tests``."""
    if not os.environ.get(SCOPE_VARIABLE):
        return
    import dataclasses

    from mutmut import configuration

    cfg = config()
    configuration._config = dataclasses.replace(
        configuration.config(), only_mutate=cfg["only_mutate"],
        pytest_add_cli_args_test_selection=cfg["pytest_add_cli_args_test_selection"],
        timeout_multiplier=float(cfg["timeout_multiplier"]))


def _entry() -> None:
    """Run mutmut's command line in this process, with the two adjustments above."""
    from mutmut import __main__ as mutmut_main

    _narrow_mutmut_config()
    original = mutmut_main.setup_source_paths

    def setup_source_paths() -> None:
        original()
        for name in [n for n in sys.modules if n == "nbops" or n.startswith("nbops.")]:
            del sys.modules[name]
        mutated = str(MUTANTS / "src")
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (mutated, os.environ.get("PYTHONPATH")) if p)

    mutmut_main.setup_source_paths = setup_source_paths

    from mutmut.state import state
    from mutmut.utils.format_utils import mangled_name_from_mutant_name

    collect_or_load_stats = mutmut_main.collect_or_load_stats

    def with_child_process_tests(*args: object, **kwargs: object) -> None:
        collect_or_load_stats(*args, **kwargs)
        known = state().duration_by_test
        for path, names in CHILD_PROCESS_TESTS.items():
            if path not in config()["only_mutate"]:  # a run over a subset of the modules
                continue
            tests = {t for t in known  # every parametrization of a named test
                     if t.rpartition("::")[2].partition("[")[0] in names}
            meta = json.loads((MUTANTS / (path + ".meta")).read_text("utf-8"))
            for key in meta["exit_code_by_key"]:
                state().tests_by_mangled_function_name[mangled_name_from_mutant_name(key)] |= tests

    mutmut_main.collect_or_load_stats = with_child_process_tests

    from mutmut.mutation import trampoline
    from mutmut.workers import isolation

    def set_mutant_under_test(name: str | None) -> None:
        trampoline.set_mutant_under_test(name)
        if name is not None and "." not in name:
            # "stats", "fail", "" ...: mutmut's own phases stay in this process; child
            # processes (which cannot report coverage back) run the original code
            os.environ.pop("MUTANT_UNDER_TEST", None)

    mutmut_main.set_mutant_under_test = set_mutant_under_test
    isolation.set_mutant_under_test = set_mutant_under_test
    mutmut_main.cli(sys.argv[2:], prog_name="mutmut")


#: A cheap module whose mutants are run first when sampling: that first run makes mutmut
#: generate every mutant and learn which tests reach which function.
FIRST = "nbops.monitoring._status.*"
FIRST_PATH = "src/nbops/monitoring/_status.py"


#: mutmut forks a child per mutant from a process that has already run the tests once.
#: If that run started OpenMP's thread pool (scikit-learn fitting or predicting), a forked
#: child that uses OpenMP again crashes or hangs (libgomp is not fork-safe): every
#: promotion mutant "timed out" that way, whatever it changed. One thread starts no pool.
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _mutmut(children: int, *names: str) -> None:
    command = [sys.executable, "-m", "benchmarks.mutation", "--mutmut", "run",
               "--max-children", str(children), *names]
    # its own session: a mutant that signals its process group cannot reach this one
    code = subprocess.call(command, cwd=ROOT, env={**os.environ, **SINGLE_THREADED},
                           start_new_session=True)
    if code != 0:
        print(f"mutmut exited with code {code}", file=sys.stderr)


def sample_names(fraction: float, seed: int = 0) -> list[str]:
    """A stratified random sample of the generated mutants: ``fraction`` of each module."""
    import math
    import random

    chosen: list[str] = []
    rng = random.Random(seed)
    for pattern in config()["only_mutate"]:
        meta = MUTANTS / (pattern + ".meta")
        if meta.is_file():
            names = sorted(json.loads(meta.read_text("utf-8"))["exit_code_by_key"])
            chosen += rng.sample(names, math.ceil(fraction * len(names)))
    return chosen


def run(children: int, sample: float = 1.0, fresh: bool = True) -> float:
    """Run mutmut (from scratch unless ``fresh`` is False); returns the wall time in seconds.

    With ``sample`` < 1, every mutant is generated but only a stratified random sample of
    each module's mutants is run (seeded: the same sample every time); the rest are
    reported as not checked.
    """
    started = time.monotonic()
    if fresh and MUTANTS.exists():
        import shutil

        shutil.rmtree(MUTANTS)
    if sample >= 1:
        _mutmut(children)
    else:
        if not (MUTANTS / "mutmut-stats.json").is_file():
            # a narrowed run without the cheap module: a pattern that matches no mutant
            # makes mutmut generate them all, then stop (its "nothing matches" error)
            _mutmut(children, FIRST if FIRST_PATH in config()["only_mutate"] else
                    "nbops.generate_only_no_such_mutant")
        _mutmut(children, *sample_names(sample))
    return time.monotonic() - started


def _status(exit_code: int | None) -> str:
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code[exit_code]


def _diff(name: str) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return get_diff_for_mutant(name)
    except Exception as exc:  # noqa: BLE001 - a report line, not a failure
        return f"(no diff: {exc})"
    finally:
        os.chdir(cwd)


def collect(sample: float | None = None) -> dict:
    """Per-module counts and the surviving mutants of the last run (of its sample, if any)."""
    chosen = set(sample_names(sample)) if sample is not None and sample < 1 else None
    modules: dict[str, dict] = {}
    survivors: list[dict] = []
    for pattern in config()["only_mutate"]:
        meta = MUTANTS / (pattern + ".meta")
        module = pattern.removeprefix("src/").removesuffix(".py").replace("/", ".")
        if not meta.is_file():
            modules[module] = {"error": "not mutated (no results)"}
            continue
        data = json.loads(meta.read_text("utf-8"))
        statuses = {name: _status(code) for name, code in data["exit_code_by_key"].items()
                    if chosen is None or name in chosen}
        counts = Counter(statuses.values())
        equivalent = sorted(n for n, s in statuses.items() if s == "survived" and n in EQUIVALENT)
        killed = sum(counts[s] for s in KILLED)
        total = len(statuses)
        undecided = sum(counts[s] for s in UNDECIDED)
        checked = total - counts["not checked"]
        counted = checked - len(equivalent) - undecided
        modules[module] = {
            "mutants": total,
            "checked": checked,
            "killed": killed,
            "survived": counts["survived"] - len(equivalent),
            "equivalent": len(equivalent),
            "no_tests": counts["no tests"],
            "not_checked": counts["not checked"],
            "timeouts": undecided,
            "other": {s: c for s, c in counts.items()
                      if s not in KILLED | {"survived", "no tests", "not checked"}},
            "timed_out": sorted(n for n, s in statuses.items() if s in UNDECIDED),
            "kill_rate": round(100 * killed / counted, 1) if counted else None,
        }
        for name, status in sorted(statuses.items()):
            if status in ("survived", "no tests"):
                survivors.append({"module": module, "mutant": name, "status": status,
                                  "equivalent": EQUIVALENT.get(name), "diff": _diff(name)})
    total = sum(m.get("mutants", 0) for m in modules.values())
    checked = sum(m.get("checked", 0) for m in modules.values())
    killed = sum(m.get("killed", 0) for m in modules.values())
    equivalent = sum(m.get("equivalent", 0) for m in modules.values())
    timeouts = sum(m.get("timeouts", 0) for m in modules.values())
    # only mutants this run checked: a narrowed or sampled run says nothing about the others
    checked_now = {name for name in EQUIVALENT
                   if name.rpartition(".")[0] in modules and "error" not in
                   modules[name.rpartition(".")[0]] and (chosen is None or name in chosen)}
    stale = sorted(checked_now - {s["mutant"] for s in survivors})
    counted = checked - equivalent - timeouts
    return {"modules": modules, "survivors": survivors, "total": total, "checked": checked,
            "not_checked": total - checked, "killed": killed, "equivalent": equivalent,
            "timeouts": timeouts,
            "kill_rate": round(100 * killed / counted, 1) if counted else None,
            "raw_kill_rate": round(100 * killed / (counted + equivalent), 1) if counted else None,
            "stale_equivalents": stale}


#: ``--save-as NAME``: a narrowed run's report goes to benchmarks/results/ as
#: ``mutation-NAME.md`` and ``.json`` (a measured figure), not to mutants/.
SAVE_AS: str | None = None
#: ``--rerun-survivors``: how many survivors were run again (the report says so).
RERUN: int | None = None


def _narrowed() -> bool:
    """Whether ``--module``/``--tests`` narrowed this run (``--timeout-multiplier`` alone
    changes how long a mutant may take, not which mutants and tests are run)."""
    scope = json.loads(os.environ.get(SCOPE_VARIABLE) or "{}")
    return bool({"only_mutate", "pytest_add_cli_args_test_selection"} & set(scope))


def _results() -> Path:
    """Where the report goes: benchmarks/results/, or mutants/ for a narrowed run (whose
    report must not replace the measured one) unless it is saved under a name."""
    return MUTANTS if _narrowed() and not SAVE_AS else RESULTS


def _report_name() -> str:
    return f"mutation-{SAVE_AS}" if SAVE_AS else "mutation"


def write(result: dict, wall_s: float | None, children: int) -> None:
    """mutation.md and mutation.json in benchmarks/results/ (mutants/ for a narrowed run)."""
    results = _results()
    results.mkdir(parents=True, exist_ok=True)
    cfg = config()
    result = {**result, "wall_s": None if wall_s is None else round(wall_s, 1),
              "children": children, "cpus": os.cpu_count(), "sample": SAMPLE_USED,
              "rerun": RERUN,
              "tests": cfg["pytest_add_cli_args_test_selection"]}
    (results / f"{_report_name()}.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    lines = [
        "# Mutation testing",
        "",
        "Produced by `make mutate` (mutmut, configured under `[tool.mutmut]` in pyproject.toml;",
        "see docs/testing.md). Killed = a test failed with the mutant in place.",
        "The kill rate leaves out the survivors listed as equivalent (no behaviour change).",
        "",
        f"Overall: **{result['kill_rate']} %** killed ({result['killed']} of "
        f"{result['checked']} mutants checked; {result['equivalent']} equivalent and "
        f"{result['timeouts']} timed out or crashed are left out; "
        f"{result['raw_kill_rate']} % counting the equivalent ones as survivors).",
    ]
    if result.get("sample") is not None and result["sample"] < 1:
        lines.append(f"Sample: a seeded stratified {result['sample']:.0%} of each module's "
                     "mutants (`make mutate SAMPLE=...`); the table counts the sample only.")
    if result["not_checked"]:
        lines.append(f"**{result['not_checked']} of {result['total']} mutants were not checked** "
                     "(the run was stopped before reaching them; see the table).")
    scope = os.environ.get(SCOPE_VARIABLE)
    if _narrowed():
        lines.append(f"Scope (narrowed with --module/--tests on {time.strftime('%Y-%m-%d')}): "
                     f"`{scope}`.")
    else:
        options = f"; options `{scope}`" if scope else ""
        lines.append(f"Scope: every module under `only_mutate` (run on "
                     f"{time.strftime('%Y-%m-%d')}{options}).")
    if wall_s is not None and RERUN is not None:
        lines.append(f"Wall time of the last step: {wall_s / 60:.1f} min with {children} "
                     f"workers on {os.cpu_count()} CPUs, re-running the {RERUN} survivors and "
                     "timeouts of the run before it after new tests were written (that run "
                     "checked every mutant of the table).")
    elif wall_s is not None:
        lines.append(f"Wall time: {wall_s / 60:.1f} min with {children} workers on "
                     f"{os.cpu_count()} CPUs.")
    lines += ["", "| module | mutants | checked | killed | survived | equivalent | no tests "
              "| timed out or crashed | kill rate |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for module, m in result["modules"].items():
        if "error" in m:
            lines.append(f"| {module} | {m['error']} | | | | | | | |")
            continue
        rate = "–" if m["kill_rate"] is None else f"{m['kill_rate']} %"
        lines.append(f"| {module} | {m['mutants']} | {m['checked']} | {m['killed']} | "
                     f"{m['survived']} | {m['equivalent']} | {m['no_tests']} | "
                     f"{m['timeouts']} | {rate} |")
    equivalent = [s for s in result["survivors"] if s["equivalent"]]
    live = [s for s in result["survivors"] if not s["equivalent"]]
    lines += ["", f"## Equivalent survivors ({len(equivalent)})", ""]
    for s in equivalent:
        lines += [f"- `{s['mutant']}`: {s['equivalent']}"]
    lines += ["", f"## Other survivors ({len(live)})", ""]
    for s in live:
        lines += [f"### `{s['mutant']}` ({s['status']})", "", "```diff", s["diff"], "```", ""]
    timed_out = [n for m in result["modules"].values() for n in m.get("timed_out", [])]
    if timed_out:
        lines += ["", f"## Timed out or crashed ({len(timed_out)}, not counted)", "",
                  ", ".join(f"`{n}`" for n in timed_out)]
    if result["stale_equivalents"]:
        lines += ["", "Listed as equivalent but no longer surviving: "
                  + ", ".join(f"`{n}`" for n in result["stale_equivalents"])]
    (results / f"{_report_name()}.md").write_text("\n".join(lines) + "\n", "utf-8")


def main() -> None:
    global SAVE_AS, SAMPLE_USED, RERUN
    if len(sys.argv) > 1 and sys.argv[1] == "--mutmut":
        _entry()
        return
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mutation")
    parser.add_argument("--report", action="store_true", help="only report on the last run")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--sample", type=float, default=float(os.environ.get("SAMPLE", 1)),
                        help="run this fraction of each module's mutants (default: all)")
    parser.add_argument("--module", action="append", metavar="PATH",
                        help="mutate only this module (a path listed under only_mutate; "
                             "repeatable); the report covers it alone")
    parser.add_argument("--tests", nargs="+", metavar="PATH",
                        help="run only these test files (default: every listed one)")
    parser.add_argument("--timeout-multiplier", type=float, metavar="N",
                        help="mutmut's timeout_multiplier for this run (a narrowed run's "
                             "endless-loop mutants then give up sooner)")
    parser.add_argument("--rerun-survivors", action="store_true",
                        help="run the last run's survivors (not the equivalent ones) and "
                             "timed-out mutants again, after new tests were written; the "
                             "others keep their results")
    parser.add_argument("--save-as", metavar="NAME",
                        help="write a narrowed run's report to benchmarks/results/"
                             "mutation-NAME.md and .json")
    parser.add_argument("--no-wall", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true",
                        help="keep the mutants and results of the last run (re-run only the "
                             "sample; new tests are picked up)")
    args = parser.parse_args()
    scope: dict[str, object] = {}
    if args.module:
        unknown = [m for m in args.module if m not in config()["only_mutate"]]
        if unknown:
            parser.error(f"{', '.join(unknown)} is not listed under only_mutate in "
                         "pyproject.toml; list it there first")
        scope["only_mutate"] = args.module
    if args.tests:
        scope["pytest_add_cli_args_test_selection"] = args.tests
    if args.timeout_multiplier:
        scope["timeout_multiplier"] = args.timeout_multiplier
    if scope:
        os.environ[SCOPE_VARIABLE] = json.dumps(scope)
    SAVE_AS = args.save_as
    previous = _results() / f"{_report_name()}.json"
    wall = None
    if args.rerun_survivors:
        started = time.monotonic()
        last = collect(args.sample)
        survivors = [s["mutant"] for s in last["survivors"] if not s["equivalent"]]
        survivors += [n for m in last["modules"].values() for n in m.get("timed_out", [])]
        RERUN = len(survivors)
        if survivors:
            _mutmut(args.children, *survivors)
        wall = time.monotonic() - started
    elif not args.report:
        wall = run(args.children, args.sample, fresh=not args.keep)
    elif previous.is_file():
        wall = json.loads(previous.read_text("utf-8")).get("wall_s")
        wall = None if args.no_wall else wall
        RERUN = json.loads(previous.read_text("utf-8")).get("rerun")
    sample = args.sample
    if args.report and previous.is_file():
        sample = json.loads(previous.read_text("utf-8")).get("sample") or sample
    result = collect(sample)
    SAMPLE_USED = sample
    write(result, wall, args.children)
    print(f"mutation: {result['kill_rate']} % killed ({result['killed']}/{result['checked']} "
          f"checked of {result['total']}, {result['equivalent']} equivalent); "
          f"see {(_results() / (_report_name() + '.md')).relative_to(ROOT)}")
    for module, m in result["modules"].items():
        print(f"  {module}: {m.get('kill_rate')} % of {m.get('checked')}/{m.get('mutants')}")


if __name__ == "__main__":
    main()
