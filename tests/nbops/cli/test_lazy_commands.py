"""A command imports its own module only; the list in nbops.cli.main says which is whose."""

from __future__ import annotations

import importlib
import subprocess
import sys

from click.testing import CliRunner

from nbops.cli.main import COMMAND_MODULES, cli


def test_the_list_names_every_command_of_every_module_and_nothing_else() -> None:
    for module, names in COMMAND_MODULES.items():
        defined = tuple(command.name for command in importlib.import_module(module).COMMANDS)
        assert defined == names, module
    every = [name for names in COMMAND_MODULES.values() for name in names]
    assert len(every) == len(set(every))


def test_a_command_loads_no_other_command_module() -> None:
    script = ("import sys\nfrom nbops.cli.main import main\ntry:\n"
              "    main(['serve-model', '--help'])\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in sys.modules if m.startswith('nbops.cli._')))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().splitlines()[-1] == "['nbops.cli._serving']"


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for names in COMMAND_MODULES.values():
        for name in names:
            assert f"\n  {name} " in result.output, name
