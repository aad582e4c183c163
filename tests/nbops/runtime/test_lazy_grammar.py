"""The rfc3987_syntax grammar compiles on first IRI validation, not on import."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbops

PROBE = """
import json, sys
if INSTALL:
    from nbops.runtime import lazy_grammar
    lazy_grammar.install()
import jsonschema
loaded_on_import = "lark" in sys.modules
checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
v = jsonschema.Draft202012Validator({"format": "iri"}, format_checker=checker)
print(json.dumps({
    "loaded_on_import": loaded_on_import,
    "valid": v.is_valid("https://example.org/r\\u00e9sum\\u00e9"),
    "invalid": v.is_valid("no scheme here"),
    "loaded_after_use": "lark" in sys.modules,
}))
"""


def _probe(install: bool) -> dict[str, bool]:
    # -S: no .pth files run (the environment's own copy of the hook stays out),
    # the package folders are put on sys.path by hand instead
    paths = [sysconfig.get_paths()["purelib"], str(Path(nbops.__file__).parents[1])]
    code = f"import sys; sys.path[:0] = {paths!r}; INSTALL = {install}\n{PROBE}"
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_without_the_hook_importing_jsonschema_compiles_the_grammar():
    assert _probe(install=False)["loaded_on_import"] is True


def test_with_the_hook_importing_jsonschema_does_not_compile_the_grammar():
    assert _probe(install=True)["loaded_on_import"] is False


def test_iri_validation_still_works_and_loads_the_grammar_on_demand():
    result = _probe(install=True)
    assert result["valid"] is True
    assert result["invalid"] is False
    assert result["loaded_after_use"] is True


SCAN = """
import json, sys
from nbops.runtime import lazy_grammar
lazy_grammar.install()
import jsonschema
stand_in = sys.modules["rfc3987_syntax"]
# what pickle's and skops' whichmodule do for an object without __module__
probed = [getattr(module, "absolute", None) for module in list(sys.modules.values())]
after_scan = "lark" in sys.modules
helper = stand_in.is_valid_syntax_iri  # a name the real package defines
print(json.dumps({
    "after_scan": after_scan,
    "helper_works": helper("https://example.org/x") is True,
    "after_helper": "lark" in sys.modules,
}))
"""


def test_scanning_every_module_for_a_name_it_lacks_does_not_compile_the_grammar():
    # skops imports ran such a scan and compiled the grammar for nothing (3.5 s per build)
    paths = [sysconfig.get_paths()["purelib"], str(Path(nbops.__file__).parents[1])]
    code = f"import sys; sys.path[:0] = {paths!r}\n{SCAN}"
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result == {"after_scan": False, "helper_works": True, "after_helper": True}


def test_names_are_read_from_the_source_and_unknowable_sources_give_none(tmp_path):
    from nbops.runtime.lazy_grammar import defined_names

    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .helpers import *\nimport os.path\nX: int = 1\n")
    (package / "helpers.py").write_text("def parse(): pass\n_private = 1\nA = B = 2\n")
    assert defined_names(package / "__init__.py") == {"parse", "A", "B", "os", "X", "helpers"}
    (package / "__init__.py").write_text("try:\n    import fast\nexcept ImportError:\n    pass\n")
    assert defined_names(package / "__init__.py") is None
