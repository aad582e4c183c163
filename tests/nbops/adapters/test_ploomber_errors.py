"""The real error of a failed build, read from the text Ploomber gives ``on_failure``."""

from __future__ import annotations

from nbops.adapters import root_error

# The shape of Ploomber 0.23's DAGBuildError text for a function task run in a subprocess
FUNCTION_FAILURE = '''\
Traceback (most recent call last):
  File "ploomber/executors/serial.py", line 192, in __call__
    raise DAGBuildError(
ploomber.exceptions.DAGBuildError:
=============================== DAG build failed ===============================
----------- PythonCallable: first -> File('output/first.txt') -----------
multiprocessing.pool.RemoteTraceback: """
Traceback (most recent call last):
  File "tasks/steps.py", line 8, in first
    raise ValueError("the input has 0 rows; expected at least 1")
ValueError: the input has 0 rows; expected at least 1

The above exception was the direct cause of the following exception:

ploomber.exceptions.TaskBuildError: Error building task "first"
"""
ploomber.exceptions.TaskBuildError: Error building task "first"
=============================== DAG build failed ===============================

Need help? https://ploomber.io/community
'''


def test_the_root_cause_is_found_behind_ploombers_wrappers() -> None:
    assert root_error(FUNCTION_FAILURE) == (
        "ValueError", "the input has 0 rows; expected at least 1")


def test_module_names_are_dropped_and_bare_exceptions_have_no_value() -> None:
    text = ("subprocess.CalledProcessError: Command 'bash x.sh' returned non-zero exit "
            "status 2.\n")
    assert root_error(text) == ("CalledProcessError",
                                "Command 'bash x.sh' returned non-zero exit status 2.")
    assert root_error("Traceback:\nKeyboardInterrupt\n") == ("KeyboardInterrupt", "")


def test_only_wrappers_and_footers_give_nothing() -> None:
    assert root_error('ploomber.exceptions.TaskBuildError: Error building task "a"\n'
                      "Need help? https://ploomber.io/community\n") is None
