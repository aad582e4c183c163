"""README.md is a front page: short, with the two-command quickstarts, linking to docs/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_is_a_front_page_under_12_kb() -> None:
    assert len(README.encode()) < 12_000


def test_quickstarts_are_install_then_init_or_new_and_make_run_test() -> None:
    library = README.split("**In this repository**")[0]
    commands = re.findall(r"```bash\n(.*?)```", library, re.S)[0].splitlines()
    assert [c.split("#")[0].strip() for c in commands] == ["pip install nbops", "nbops init"]
    assert "nbops new demo" in library
    assert "make run" in README and "make test" in README


def test_every_local_link_of_the_readme_exists() -> None:
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    local = [link for link in links if not link.startswith("http")]
    assert {"docs/adopting-nbops.md", "ARCHITECTURE.md"} <= set(local)
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing
