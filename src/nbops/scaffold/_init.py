"""``nbops init``: add nbops to an existing Ploomber project, changing only what it must.

What it adds (each only when missing, so a second run changes nothing):

* the three DAG hooks in ``pipeline.yaml`` (``on_render``/``on_finish``/``on_failure``),
  edited with ruamel.yaml's round-trip loader so the file's comments, key order,
  quoting and indentation survive;
* ``reports/*`` and ``.nbops/*`` entries in ``.gitignore``, and ``reports/README.md``;
* the JupyterLab setting that opens the pipeline's ``.py`` steps as notebooks
  (:mod:`nbops.scaffold._lab_settings`);
* with ``registry=True``: ``gates:`` and ``registry:`` sections in ``env.yaml``
  and their checks at ``on_render``; with ``executor=True``: nbops' executor.

Everything is planned (and every problem found) before the first file is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from nbops.core import ConfigError, atomic_write_text, crash_point

logger = logging.getLogger("nbops")

HOOKS = ("on_render", "on_finish", "on_failure")
EXECUTOR = "nbops.engine.executor.NbopsExecutor"
HOOKS_COMMENT = (
    "nbops: every `ploomber build` records an immutable run under reports/runs/\n"
    "(nbops runs, nbops report, nbops diff); see docs/adopting-nbops.md"
)
EXECUTOR_COMMENT = (
    "nbops: one fresh kernel per notebook, started ahead of need; independent tasks\n"
    "run side by side (docs/speed.md)"
)
REGISTRY_HOOK_ARGS: dict[str, str] = {"gates": "{{gates}}", "registry": "{{registry}}"}


@dataclass(frozen=True)
class PlannedWrite:
    """One file ``nbops init`` will write, and why."""

    path: Path
    text: str
    description: str


def scaffold_text(name: str) -> str:
    """A text file shipped in ``nbops/scaffold/files/``."""
    return resources.files("nbops.scaffold").joinpath("files", name).read_text(encoding="utf-8")


def load_round_trip(path: Path, what: str, text: str | None = None) -> Any:
    """``path`` parsed by ruamel.yaml's round-trip loader (keeps line/column of every key).

    Raises:
        ConfigError: the file is not valid YAML.
    """
    from ruamel.yaml import YAML, YAMLError

    text = path.read_text(encoding="utf-8") if text is None else text
    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            f"{path} is not valid YAML{where} ({problem}), so nbops cannot {what}",
            f"fix {path.name} (ploomber build shows the same problem), then run nbops init again",
        ) from None


def _dotted_path(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        dotted = value.get("dotted_path")
        return dotted.strip() if isinstance(dotted, str) else None
    return None


class _TopLevelEditor:
    """Edits the top-level keys of a YAML file as text, leaving every other byte alone.

    ruamel.yaml's round-trip loader says where each key starts; new keys go
    in as lines before ``tasks:`` (and the comment block above it), changed
    keys have their lines replaced. Re-dumping the whole file would re-indent
    it and re-space its comments; this way a diff shows only what nbops added.
    """

    def __init__(self, text: str, data: Any) -> None:
        self.lines = text.splitlines(keepends=True)
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += "\n"
        self.data = data

    def _start(self, key: str) -> int:
        return int(self.data.lc.key(key)[0])

    def _span(self, key: str) -> tuple[int, int]:
        keys = list(self.data.keys())
        start = self._start(key)
        later = [self._start(k) for k in keys if self._start(k) > start]
        end = min(later) if later else len(self.lines)
        while end > start + 1 and (not self.lines[end - 1].strip()
                                   or self.lines[end - 1].startswith("#")):
            end -= 1
        return start, end

    def insert(self, block: list[str]) -> None:
        """Insert ``block`` (lines) before ``tasks:`` and the comments directly above it."""
        position = self._start("tasks")
        while position > 0 and self.lines[position - 1].lstrip().startswith("#"):
            position -= 1
        lead = [] if position == 0 or not self.lines[position - 1].strip() else ["\n"]
        self.lines[position:position] = [*lead, *block, "\n"]
        self._reload()

    def replace(self, key: str, block: list[str]) -> None:
        start, end = self._span(key)
        self.lines[start:end] = block
        self._reload()

    def append_to(self, key: str, entries: list[str]) -> None:
        """Add ``entries`` (``name: value``) to the block mapping under ``key``."""
        mapping = self.data[key]
        column = mapping.lc.key(next(iter(mapping)))[1]
        _, end = self._span(key)
        self.lines[end:end] = [" " * column + entry + "\n" for entry in entries]
        self._reload()

    def _reload(self) -> None:
        from ruamel.yaml import YAML

        self.data = YAML(typ="rt").load(self.text())

    def text(self) -> str:
        return "".join(self.lines)


def _comment(text: str) -> list[str]:
    return [f"# {line}\n" for line in text.splitlines()]


def _on_render_block(registry: bool) -> list[str]:
    if not registry:
        return ["on_render: nbops.hooks.on_render\n"]
    return ["on_render:\n", "  dotted_path: nbops.hooks.on_render\n",
            *[f"  {k}: '{v}'\n" for k, v in REGISTRY_HOOK_ARGS.items()]]


def _pipeline_changes(root: Path, registry: bool, executor: bool) -> tuple[str | None, list[str]]:
    """(new pipeline.yaml text or None when unchanged, what changed)."""
    from ruamel.yaml.comments import CommentedMap

    path = root / "pipeline.yaml"
    text = path.read_text(encoding="utf-8")
    data = load_round_trip(path, "add its hooks", text)
    if not isinstance(data, CommentedMap) or not isinstance(data.get("tasks"), list):
        shape = "a list" if isinstance(data, list) else "without a 'tasks:' list"
        raise ConfigError(
            f"{path} is {shape}, not a Ploomber pipeline nbops can add hooks to",
            "put the pipeline's tasks under a top-level 'tasks:' key, then run nbops init again",
        )
    editor = _TopLevelEditor(text, data)
    missing: list[str] = []
    done: list[str] = []
    for hook in HOOKS:
        wanted = f"nbops.hooks.{hook}"
        current = data.get(hook)
        if current is None:
            missing.append(hook)
        elif _dotted_path(current) != wanted:
            theirs = _dotted_path(current) or repr(current)
            raise ConfigError(
                f"{path} already has its own {hook} hook ({theirs}), "
                f"and Ploomber runs one {hook} hook per pipeline",
                f"call {wanted}(dag) from your hook and set {hook}: {wanted}, or remove "
                f"yours, then run nbops init again",
            )
    if missing:
        block = _comment(HOOKS_COMMENT)
        for hook in missing:
            block += (_on_render_block(registry) if hook == "on_render"
                      else [f"{hook}: nbops.hooks.{hook}\n"])
        editor.insert(block)
        done.append("the nbops hooks " + ", ".join(missing))
    current = editor.data.get("on_render")
    if registry and "on_render" not in missing:
        if isinstance(current, str):
            editor.replace("on_render", _on_render_block(True))
            done.append("on_render checks gates: and registry: before a build runs")
        else:
            absent = [k for k in REGISTRY_HOOK_ARGS if k not in current]
            if absent and current.fa.flow_style():
                raise ConfigError(
                    f"on_render in {path} is a one-line {{...}} mapping nbops cannot extend",
                    "write it as a block mapping (one key per line), then run nbops init again",
                )
            if absent:
                editor.append_to("on_render",
                                 [f"{k}: '{REGISTRY_HOOK_ARGS[k]}'" for k in absent])
                done.append("on_render checks gates: and registry: before a build runs")
    before = editor.data.get("executor")
    if executor and _dotted_path(before) != EXECUTOR:
        block = ["executor:\n", f"  dotted_path: {EXECUTOR}\n", "  workers: 2\n"]
        if before is None:
            editor.insert([*_comment(EXECUTOR_COMMENT), *block])
            done.append("nbops' executor")
        else:
            editor.replace("executor", block)
            was = _dotted_path(before) or repr(before)
            done.append(f"nbops' executor (was {was!r})")
    if not done:
        return None, []
    _check_hooks(path, editor.data, registry, executor)
    return editor.text(), done


def _check_hooks(path: Path, data: Any, registry: bool, executor: bool) -> None:
    """The edited pipeline says what nbops meant (a guard against an editing bug)."""
    ok = all(_dotted_path(data.get(h)) == f"nbops.hooks.{h}" for h in HOOKS)
    if registry:
        ok = ok and isinstance(data["on_render"], dict) and all(
            data["on_render"].get(k) == v for k, v in REGISTRY_HOOK_ARGS.items())
    if executor:
        ok = ok and _dotted_path(data.get("executor")) == EXECUTOR
    if not ok:
        raise ConfigError(f"nbops could not add its hooks to {path} without changing its meaning",
                          "add them by hand as shown in docs/adopting-nbops.md")


def default_registry_sections(project_name: str) -> str:
    """The ``gates:`` and ``registry:`` sections ``nbops init --registry`` appends to env.yaml."""
    from nbops.registry import default_model_name

    text = scaffold_text("env_registry.yaml")
    return text.replace("MODEL_NAME", default_model_name(project_name))


def _env_changes(root: Path) -> tuple[str | None, list[str]]:
    from ruamel.yaml.comments import CommentedMap

    path = root / "env.yaml"
    if not path.exists():
        return default_registry_sections(root.resolve().name), ["gates: and registry: sections"]
    data = load_round_trip(path, "add its gates: and registry: sections")
    if data is not None and not isinstance(data, CommentedMap):
        raise ConfigError(f"{path} is not a mapping of parameters",
                          "make env.yaml a 'name: value' mapping, then run nbops init again")
    missing = [k for k in ("gates", "registry") if data is None or k not in data]
    if not missing:
        return None, []
    # Appending text keeps every byte of the user's file; the sections are top-level keys.
    blocks = default_registry_sections(root.resolve().name).split("\n\n")
    chosen = [b for b in blocks if any(f"\n{k}:" in "\n" + b for k in missing)]
    text = path.read_text(encoding="utf-8")
    joined = "\n\n".join(b.strip("\n") for b in chosen) + "\n"
    sections = " and ".join(k + ":" for k in missing)
    return text.rstrip("\n") + "\n\n" + joined, [f"{sections} section(s)"]


def _gitignore_changes(root: Path) -> tuple[str | None, list[str]]:
    path = root / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    present = {line.strip() for line in text.splitlines()}
    block = scaffold_text("gitignore.txt")
    rules = [line for line in block.splitlines() if line and not line.startswith("#")]
    if all(rule in present for rule in rules):
        return None, []
    missing = [
        line for line in block.splitlines()
        if line.startswith("#") or (line and line not in present)
    ]
    new = (text.rstrip("\n") + "\n\n" if text.strip() else "") + "\n".join(missing) + "\n"
    return new, ["reports/ and .nbops/ stay out of git (reports/README.md is kept)"]


def plan_init(root: Path, registry: bool = False, executor: bool = False,
              lab: bool = True) -> list[PlannedWrite]:
    """Every file ``nbops init`` would write in ``root``; empty when nothing is missing.

    Raises:
        ConfigError: ``root`` has no Ploomber pipeline, or a file nbops must
            edit is malformed or already uses the hooks for something else.
    """
    root = Path(root).resolve()
    if not (root / "pipeline.yaml").is_file():
        raise ConfigError(
            f"there is no pipeline.yaml in {root.resolve()}, so this is not a Ploomber project "
            "nbops init can set up",
            "run nbops init in the folder that holds your pipeline.yaml, or start a new "
            "project with nbops new NAME",
        )
    plan: list[PlannedWrite] = []
    text, done = _pipeline_changes(root, registry, executor)
    if text is not None:
        plan.append(PlannedWrite(root / "pipeline.yaml", text, "; ".join(done)))
    if registry:
        text, done = _env_changes(root)
        if text is not None:
            plan.append(PlannedWrite(root / "env.yaml", text, "; ".join(done)))
    text, done = _gitignore_changes(root)
    if text is not None:
        plan.append(PlannedWrite(root / ".gitignore", text, "; ".join(done)))
    readme = root / "reports" / "README.md"
    if not readme.exists():
        plan.append(PlannedWrite(readme, scaffold_text("reports_README.md"),
                                 "what appears in reports/"))
    if lab:
        from nbops.scaffold._lab_settings import plan_lab_settings

        plan.extend(plan_lab_settings(root))
    return plan


def apply(plan: list[PlannedWrite]) -> None:
    """Write the planned files, each atomically (a crash leaves whole files only)."""
    for write in plan:
        write.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(write.path, write.text)
        crash_point("init.file_written")


def init_project(root: Path, registry: bool = False, executor: bool = False,
                 lab: bool = True) -> list[PlannedWrite]:
    """Plan, then apply; returns what was written (empty: already set up)."""
    plan = plan_init(root, registry=registry, executor=executor, lab=lab)
    apply(plan)
    return plan
