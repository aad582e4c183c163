"""``nbops init``: add nbops to an existing Ploomber project, changing only what it must.

What it adds (each only when missing, so a second run changes nothing):

* the three DAG hooks in the pipeline Ploomber finds (``pipeline.yaml``, or
  ``src/<package>/pipeline.yaml`` in the packaged layout, or ``--entry-point``) and in
  every ``pipeline.<name>.yaml`` beside it, edited as text located by ruamel.yaml's
  round-trip loader so every existing line (comments, order, quoting, CRLF line
  ends) survives. A hook the project already has is kept: nbops' hook calls it,
  recorded as its ``project_hook`` parameter;
* ``reports/*`` and ``.nbops/*`` entries in ``.gitignore``, and ``reports/README.md``;
* the JupyterLab setting that opens the pipeline's ``.py`` steps as notebooks
  (:mod:`nbops.scaffold._lab_settings`);
* with ``registry=True``: ``gates:`` and ``registry:`` sections in ``env.yaml`` holding
  only what the project has (:mod:`nbops.scaffold._registry_proposal`), and their
  checks at ``on_render`` once they are in force; with ``executor=True``: nbops' executor.

``reports/`` and ``.nbops/`` belong to the project root (where ``ploomber build`` runs),
never to the Python package of a packaged project.

Everything is planned (and every problem found) before the first file is written.
"""

from __future__ import annotations

import logging
import os
import warnings
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
    "(nbops runs, nbops report, nbops diff; nbops --help)"
)
EXECUTOR_COMMENT = (
    "nbops: one fresh kernel per notebook, started ahead of need; independent tasks\n"
    "run side by side"
)
#: nbops' hook's parameter naming the project's own hook, which it calls (nbops.hooks)
PROJECT_HOOK = "project_hook"
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
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

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
    Added lines end as the file's lines do (``\r\n`` in a CRLF file).
    """

    def __init__(self, text: str, data: Any) -> None:
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.lines = text.splitlines(keepends=True)
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += self.newline
        self.data = data

    def _ended(self, block: list[str]) -> list[str]:
        return [line[:-1] + self.newline if line.endswith("\n") and not line.endswith("\r\n")
                else line for line in block]

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
        self.lines[position:position] = self._ended([*lead, *block, "\n"])
        self._reload()

    def replace(self, key: str, block: list[str]) -> None:
        start, end = self._span(key)
        self.lines[start:end] = self._ended(block)
        self._reload()

    def wrap(self, key: str, dotted_path: str) -> None:
        """Make ``key``'s value nbops' hook with the old value as its ``project_hook``.

        The old lines stay as they were, the block ones indented two more spaces.
        """
        start, end = self._span(key)
        first, body = self.lines[start], self.lines[start + 1:end]
        rest = first.split(":", 1)[1]
        head = [f"{key}:\n", f"  dotted_path: {dotted_path}\n"]
        self.lines[start:end] = [*self._ended(head), f"  {PROJECT_HOOK}:{rest}",
                                 *[("  " + line) if line.strip() else line for line in body]]
        self._reload()

    def append_to(self, key: str, entries: list[str]) -> None:
        """Add ``entries`` (``name: value``) to the block mapping under ``key``."""
        mapping = self.data[key]
        column = mapping.lc.key(next(iter(mapping)))[1]
        _, end = self._span(key)
        self.lines[end:end] = self._ended([" " * column + entry + "\n" for entry in entries])
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


def read_text_as_is(path: Path) -> str:
    """``path``'s text with its line ends untouched (``read_text`` would turn CRLF into LF).

    Raises:
        ConfigError: the file cannot be read.
    """
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"nbops init cannot read {path} ({exc})",
                          "make it a readable UTF-8 file, then run nbops init again") from None


def _is_nbops_hook(value: Any, hook: str) -> bool:
    return _dotted_path(value) == f"nbops.hooks.{hook}"


def _pipeline_changes(path: Path, registry: bool, executor: bool) -> tuple[str | None, list[str]]:
    """(new text of the pipeline file ``path`` or None when unchanged, what changed)."""
    from ruamel.yaml.comments import CommentedMap

    text = read_text_as_is(path)
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
        current = data.get(hook)
        if current is None:
            missing.append(hook)
        elif not _is_nbops_hook(current, hook):
            theirs = _dotted_path(current) or repr(current)
            editor.wrap(hook, f"nbops.hooks.{hook}")
            done.append(f"{hook}: nbops' hook, which calls yours ({theirs}) first")
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
    ok = all(_is_nbops_hook(data.get(h), h) for h in HOOKS)
    if registry:
        ok = ok and isinstance(data["on_render"], dict) and all(
            data["on_render"].get(k) == v for k, v in REGISTRY_HOOK_ARGS.items())
    if executor:
        ok = ok and _dotted_path(data.get("executor")) == EXECUTOR
    if not ok:
        raise ConfigError(f"nbops could not add its hooks to {path} without changing its meaning",
                          "add on_render/on_finish/on_failure: nbops.hooks.<name> by hand")


class InitPlan(list[PlannedWrite]):
    """The files ``nbops init`` will write, plus what it could not do for the user.

    Attributes:
        root: the project root (where ``reports/`` and ``.nbops/`` go).
        notes: one sentence per thing left to the user (a value to fill in, a
            factory to edit by hand).
    """

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.notes: list[str] = []
        self.factory: str | None = None  # the dotted path, when a factory builds the DAG


def _env_path(root: Path, pipeline: Path) -> Path:
    """The env.yaml Ploomber reads for ``pipeline`` built from ``root`` (the working folder
    first, then beside the pipeline); a new one goes beside the pipeline."""
    for candidate in (root / "env.yaml", pipeline.parent / "env.yaml"):
        if candidate.is_file():
            return candidate
    return pipeline.parent / "env.yaml"


def _products_and_metrics(root: Path, pipeline: Path) -> tuple[list[str], dict[str, Any], bool,
                                                               str | None]:
    """The pipeline's file products (relative to ``root``), the latest run's metrics, whether
    the project has runs, and why the products could not be read (None when they were)."""
    from nbops.adapters import load_dag, task_infos
    from nbops.core import NbopsError, Project
    from nbops.runs import list_runs, load_manifest

    products: list[str] = []
    problem = None
    try:
        with warnings.catch_warnings():  # Ploomber's own warnings belong to ploomber build
            warnings.simplefilter("ignore")
            dag = load_dag(root, pipeline.relative_to(root).as_posix())
        for task in task_infos(dag):
            products += [Project(root).relative(p) for p in task.products.values()]
    except Exception as exc:  # the project's own code runs here: any error is the project's
        problem = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    project = Project(root)
    try:
        runs = [r for r in list_runs(project) if r.get("status") == "succeeded"]
        metrics = dict(load_manifest(project, runs[-1]["run_id"]).get("metrics") or {}) \
            if runs else {}
    except NbopsError:
        runs, metrics = [], {}
    return products, metrics, bool(runs), problem


def _env_changes(root: Path, pipeline: Path, notes: list[str]) -> tuple[Path, str | None, bool]:
    """(env file, its new text or None when unchanged, whether gates: and registry: are in
    force afterwards)."""
    from ruamel.yaml.comments import CommentedMap

    from nbops.registry import METRIC_DIRECTIONS, project_model_name
    from nbops.scaffold._registry_proposal import propose, without_old_proposal

    path = _env_path(root, pipeline)
    data = None
    text = ""
    if path.exists():
        text = read_text_as_is(path)
        data = load_round_trip(path, "add its gates: and registry: sections", text)
        if data is not None and not isinstance(data, CommentedMap):
            raise ConfigError(f"{path} is not a mapping of parameters",
                              "make env.yaml a 'name: value' mapping, then run nbops init again")
    missing = [k for k in ("gates", "registry") if data is None or k not in data]
    if not missing:
        return path, None, True
    products, metrics, built, problem = _products_and_metrics(root, pipeline)
    if problem is not None:
        notes.append(f"nbops could not load {pipeline.name} to read its products ({problem}); "
                     "fill in the registry: paths by hand")
        products = []
    proposal = propose(products, metrics, project_model_name(root), dict(METRIC_DIRECTIONS),
                       built)
    unread = tuple(f"registry.{key}:" for key in ("model_file", "train_data", "test_data",
                                                  "feature_schema"))
    # products that could not be read are not missing: the sentence above says so once
    notes.extend(n for n in proposal.notes if problem is None or not n.startswith(unread))
    original, text = text, without_old_proposal(text)
    if not text.strip() and not proposal.active:
        # Ploomber refuses an env.yaml without a key: comments alone would break the build
        notes.append(f"no {path.name} written: the registry proposal is all placeholders; "
                     "add gates: and registry: there once the values above exist")
        return path, None, False
    newline = "\r\n" if "\r\n" in text else "\n"
    chosen = [proposal.gates if k == "gates" else proposal.registry for k in missing]
    added = "\n".join(block.strip("\n") + "\n" for block in chosen)
    new = (text.rstrip("\r\n") + "\n\n" if text.strip() else "") + added
    if newline != "\n":
        new = text.rstrip("\r\n") + newline * 2 + added.replace("\n", newline) \
            if text.strip() else added.replace("\n", newline)
    in_force = proposal.active or "registry" not in missing
    return path, None if new == original else new, in_force


def _gitignore_changes(root: Path) -> tuple[str | None, list[str]]:
    path = root / ".gitignore"
    text = read_text_as_is(path) if path.exists() else ""
    newline = "\r\n" if "\r\n" in text else "\n"
    present = {line.strip() for line in text.splitlines()}
    block = scaffold_text("gitignore.txt")
    rules = [line for line in block.splitlines() if line and not line.startswith("#")]
    if all(rule in present for rule in rules):
        return None, []
    missing = [
        line for line in block.splitlines()
        if line.startswith("#") or (line and line not in present)
    ]
    kept = text.rstrip("\r\n") + newline * 2 if text.strip() else ""
    new = kept + newline.join(missing) + newline
    return new, ["reports/ and .nbops/ stay out of git (reports/README.md is kept)"]


def _factory_note(dotted_path: str) -> str:
    return (f"your pipeline is built by the factory {dotted_path}, which nbops cannot edit: "
            "set dag.on_render = nbops.hooks.on_render, dag.on_finish = nbops.hooks.on_finish "
            "and dag.on_failure = nbops.hooks.on_failure in it (calling any hooks it already "
            "has from yours)")


def _check_writable(plan: InitPlan) -> None:
    for write in plan:
        if write.path.exists() and not os.access(write.path, os.W_OK):
            raise ConfigError(
                f"{write.path} is read-only, so nbops init cannot add "
                f"{write.description.split(';')[0]} to it (nothing was changed)",
                f"make it writable (chmod u+w {write.path.name}), then run nbops init again",
            )


def plan_init(root: Path, registry: bool = False, executor: bool = False,
              lab: bool = True, entry_point: str | None = None) -> InitPlan:
    """Every file ``nbops init`` would write for the project at ``root``; empty when
    nothing is missing.

    Args:
        root: where ``ploomber build`` runs (the project is found from there as Ploomber
            finds it: :func:`nbops.core.locate_pipeline`).
        entry_point: ``--entry-point``: a pipeline file or a dotted path to a factory.

    Raises:
        ConfigError: ``root`` has no Ploomber pipeline, or a file nbops must
            edit is malformed or read-only.
    """
    from nbops.core import locate_pipeline, pipeline_files

    start = Path(root).resolve()
    location = locate_pipeline(start, entry_point)
    if location is None:
        raise ConfigError(
            f"there is no pipeline.yaml in {start} (nor src/<package>/pipeline.yaml beside a "
            "setup.py, nor a setup.cfg entry-point), so this is not a Ploomber project nbops "
            "init can set up",
            "run nbops init where you run ploomber build, pass --entry-point, or start a new "
            "project with nbops new NAME",
        )
    plan = InitPlan(location.root)
    root = location.root
    if location.pipeline is None:
        plan.factory = location.dotted_path
        plan.notes.append(_factory_note(str(location.dotted_path)))
        if registry:
            plan.notes.append("registry: nbops reads products from pipeline files only; add "
                              "gates: and registry: to your env by hand")
    else:
        in_force = False
        if registry:
            env_path, text, in_force = _env_changes(root, location.pipeline, plan.notes)
            if text is not None:
                plan.append(PlannedWrite(env_path, text, "gates: and registry: sections"
                                         if in_force else
                                         "gates: and registry: proposals (commented out)"))
        for number, path in enumerate(pipeline_files(location)):
            text, done = _pipeline_changes(path, registry and in_force and number == 0,
                                           executor and number == 0)
            if text is not None:
                plan.append(PlannedWrite(path, text, "; ".join(done)))
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
    _check_writable(plan)
    return plan


def apply(plan: list[PlannedWrite]) -> None:
    """Write the planned files, each atomically (a crash leaves whole files only).

    Raises:
        ConfigError: a file cannot be written (one sentence, no traceback).
    """
    for write in plan:
        try:
            write.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(write.path, write.text)
        except PermissionError as exc:
            raise ConfigError(f"nbops init cannot write {write.path} ({exc.strerror})",
                              "make the file and its folder writable, then run nbops init "
                              "again") from None
        crash_point("init.file_written")


def init_project(root: Path, registry: bool = False, executor: bool = False,
                 lab: bool = True, entry_point: str | None = None) -> InitPlan:
    """Plan, then apply; returns what was written (empty: already set up) and the notes."""
    plan = plan_init(root, registry=registry, executor=executor, lab=lab,
                     entry_point=entry_point)
    apply(plan)
    return plan
