"""Project settings: ``env.yaml`` read once, its keys spelt one way, build commands built once.

The one owner of a project's ``env.yaml`` and of Ploomber's ``--env--`` convention in
nbops. Read the file here, name a key here, build a ``ploomber build`` command here;
nothing else in nbops parses ``env.yaml`` or writes ``--env--`` by hand.

API (all exported from :mod:`nbops.core`)::

    settings = ProjectSettings.of_project(root)          # root/env.yaml; empty when absent
                                                          # (a command's one read)
    settings = ProjectSettings.read(path)                 # one file; ConfigError, one sentence
    settings = ProjectSettings.read(path, shared=True)    # ...parsed once per process
    settings.section("registry")                          # {} when absent or not a mapping
    settings.get("model.max_depth")                       # any key spelling (below)
    settings.with_overrides({"model.max_depth": 5})       # a copy, the key set as given

    key = SettingKey.parse("--env--model--max_depth")     # or "model.max_depth",
    key.dotted, key.option, key.ploomber_flat, key.parts  # ("model", "max_depth"), a key
    key.get(tree), key.set(tree, value)                   # in a nested dict

    flatten({"a": {"b": 1}})       == {SettingKey(("a", "b")): 1}
    option_value([1, "x"])         == "[1, 'x']"          # the text Ploomber literal-evals
    env_options({"a.b": 1})        == ["--env--a--b", "1"]
    build_command("ploomber", entry_point="pipeline.yaml", overrides={"a.b": 1})
        == ["ploomber", "build", "--entry-point", "pipeline.yaml", "--env--a--b", "1"]

Which env file a build reads (``env.{name}.yaml``, ``$PLOOMBER_ENV_FILENAME``) and how
Ploomber types a command-line value are Ploomber's rules: :mod:`nbops.adapters`
applies them (``env_file``, ``resolved_env``) on top of this module.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbops.core._errors import ConfigError
from nbops.core._yaml_files import load_yaml

#: Ploomber's separator between the levels of a key on its command line.
OPTION_PREFIX = "--env--"
_OPTION_SEP = "--"
#: ...and in the flat names of its ``EnvDict`` (``env__model__max_depth``).
_FLAT_PREFIX = "env__"
_FLAT_SEP = "__"

ENV_FILE = "env.yaml"

#: This process's parses of env files, for ``ProjectSettings.read(shared=True)``: by
#: resolved path, the file's identity when parsed and what it held.
_SHARED: dict[Path, tuple[tuple[int, int, int, int], Any]] = {}
#: A file modified this recently may change again within the file system's timestamp
#: granularity without its mtime changing: its parse is not kept (git's "racy" files).
_RACY_NS = 100_000_000


def _load_shared(path: Path, what: str) -> Any:
    """``load_yaml(path)``, parsed once while the file keeps its identity.

    A build reaches its env file from callbacks Ploomber calls one after the other
    (its env loader, which nbops checks first, then ``on_render``) and hands none of
    them an object nbops made, so this cache, rather than an argument, carries the
    parse. It is keyed on the file's identity (device, inode, size, ``mtime_ns``):
    any write that lands after the parse gives it another one. Each caller gets its
    own copy.
    """
    stat = path.stat()
    identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    key = path.resolve()
    known = _SHARED.get(key)
    if known is not None and known[0] == identity:
        return copy.deepcopy(known[1])
    started = time.time_ns()
    data = load_yaml(path, what)
    if stat.st_mtime_ns + _RACY_NS < started:
        _SHARED[key] = (identity, copy.deepcopy(data))
    return data


@dataclass(frozen=True, order=True)
class SettingKey:
    """One ``env.yaml`` key, whatever spelling it arrived in.

    Attributes:
        parts: the levels of the key, ``("model", "max_depth")``.
    """

    parts: tuple[str, ...]

    @classmethod
    def parse(cls, key: KeyLike) -> SettingKey:
        """A key from ``"model.max_depth"``, ``"--env--model--max_depth"``,
        ``"env__model__max_depth"``, a tuple of levels, or a :class:`SettingKey`.

        Raises:
            ConfigError: an empty key or an empty level (``"a..b"``).
        """
        if isinstance(key, SettingKey):
            return key
        if isinstance(key, tuple):
            parts = tuple(str(part) for part in key)
        elif key.startswith(OPTION_PREFIX):
            parts = tuple(key[len(OPTION_PREFIX):].split(_OPTION_SEP))
        elif key.startswith(_FLAT_PREFIX):
            parts = tuple(key[len(_FLAT_PREFIX):].split(_FLAT_SEP))
        else:
            parts = tuple(key.split("."))
        if not parts or not all(parts):
            raise ConfigError(f"{key!r} is not an env.yaml key",
                              "name a key with its levels joined by dots, e.g. model.max_depth")
        return cls(parts)

    @property
    def dotted(self) -> str:
        """``model.max_depth``: how people and nbops's own options name the key."""
        return ".".join(self.parts)

    @property
    def option(self) -> str:
        """``--env--model--max_depth``: the ``ploomber build`` option that sets it."""
        return OPTION_PREFIX + _OPTION_SEP.join(self.parts)

    @property
    def ploomber_flat(self) -> str:
        """``env__model__max_depth``: the name Ploomber's ``EnvDict`` replaces it under."""
        return _FLAT_PREFIX + _FLAT_SEP.join(self.parts)

    def get(self, tree: Mapping[Any, Any], default: Any = None) -> Any:
        """The value at this key in the nested mapping ``tree``, else ``default``."""
        node: Any = tree
        for part in self.parts:
            if not isinstance(node, Mapping):
                return default
            match = _key_in(node, part)
            if match is _MISSING:
                return default
            node = node[match]
        return node

    def set(self, tree: dict[Any, Any], value: Any) -> None:
        """Set this key of the nested dict ``tree`` to ``value`` (levels made as needed)."""
        node = tree
        for part in self.parts[:-1]:
            match = _key_in(node, part)
            if match is _MISSING or not isinstance(node[match], dict):
                node[part if match is _MISSING else match] = {}
                match = part if match is _MISSING else match
            node = node[match]
        last = _key_in(node, self.parts[-1])
        node[self.parts[-1] if last is _MISSING else last] = value

    def __str__(self) -> str:
        return self.dotted


#: Anything :meth:`SettingKey.parse` accepts.
KeyLike = SettingKey | str | tuple[Any, ...]
#: Keys (in one spelling) to values: what the functions setting keys take.
Overrides = Mapping[str, Any] | Mapping[SettingKey, Any] | Mapping[tuple[str, ...], Any]
_MISSING: Any = object()


def _key_in(node: Mapping[Any, Any], part: str) -> Any:
    """The key of ``node`` spelt ``part`` (YAML keys may be numbers), else ``_MISSING``."""
    if part in node:
        return part
    return next((key for key in node if str(key) == part), _MISSING)


def flatten(tree: Mapping[Any, Any]) -> dict[SettingKey, Any]:
    """Every leaf of ``tree`` by its key: ``{"a": {"b": 1}}`` -> ``{a.b: 1}``.

    Lists, scalars and empty mappings are leaves; order is the file's.
    """
    flat: dict[SettingKey, Any] = {}

    def visit(node: Mapping[Any, Any], prefix: tuple[str, ...]) -> None:
        for name, value in node.items():
            path = (*prefix, str(name))
            if isinstance(value, Mapping) and value:
                visit(value, path)
            else:
                flat[SettingKey(path)] = value

    visit(tree, ())
    return flat


def all_keys(tree: Mapping[Any, Any]) -> set[SettingKey]:
    """Every key of ``tree``, inner levels included (``a`` and ``a.b`` for ``{a: {b: 1}}``)."""
    return {SettingKey(key.parts[:depth]) for key in flatten(tree)
            for depth in range(1, len(key.parts) + 1)}


def option_value(value: Any) -> str:
    """The text ``--env--KEY TEXT`` gives Ploomber so that it reads back ``value``.

    Ploomber ``literal_eval``\\ s what it is given: a string goes as it is, anything
    else as its Python literal (``5``, ``None``, ``[1, 'x']``).
    """
    return value if isinstance(value, str) else repr(value)


def env_options(overrides: Overrides | Iterable[tuple[KeyLike, Any]]) -> list[str]:
    """``{"model.max_depth": 5}`` -> ``["--env--model--max_depth", "5"]``, in the order given."""
    pairs: Iterable[tuple[KeyLike, Any]] = (
        overrides.items() if isinstance(overrides, Mapping) else overrides)
    args: list[str] = []
    for key, value in pairs:
        args += [SettingKey.parse(key).option, option_value(value)]
    return args


def build_command(executable: str, *, entry_point: str | Path | None = None,
                  overrides: Overrides | None = None,
                  extra: Iterable[str] = ()) -> list[str]:
    """The ``ploomber build`` command line nbops starts a build with.

    Args:
        executable: the ``ploomber`` program (see ``nbops.adapters.ploomber_command``).
        entry_point: the pipeline file, when not the project's default one.
        overrides: env keys (any spelling) to set, with their values (typed or text).
        extra: further arguments, after the overrides.
    """
    argv = [executable, "build"]
    if entry_point is not None:
        argv += ["--entry-point", str(entry_point)]
    return [*argv, *env_options(overrides or {}), *extra]


@dataclass(frozen=True)
class ProjectSettings:
    """The values of one env file, read once.

    Attributes:
        path: the file read, None when the project has none.
        values: its mapping (``{}`` for a missing or empty file).
    """

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path, *, what: str = ENV_FILE, must_exist: bool = False,
             mapping_required: bool = True, empty_ok: bool = True,
             shared: bool = False) -> ProjectSettings:
        """The settings in ``path`` (empty when it does not exist, unless ``must_exist``).

        Args:
            path: the env file.
            what: how messages name it.
            must_exist: refuse a missing file instead of reading it as empty.
            mapping_required: refuse a file holding a list or a scalar; when False it
                reads as empty (for a caller whose tool refuses it with its own message).
            empty_ok: read an empty file as no settings; when False refuse it (Ploomber's
                own loader cannot read one).
            shared: reuse this process's parse of the same, unchanged file (see
                :func:`_load_shared`: for the callbacks of one build, which cannot pass
                the settings to each other); other callers read once and pass the object.

        Raises:
            ConfigError: the file is unreadable, not YAML, or not a mapping: one sentence
                naming file, line and fix.
        """
        path = Path(path)
        if not path.is_file():
            if must_exist:
                raise ConfigError(f"{path} does not exist", f"create {path.name}")
            return cls(None, {})
        data = _load_shared(path, what) if shared else load_yaml(path, what)
        if (data is None and empty_ok) or (not isinstance(data, dict) and not mapping_required):
            return cls(path, {})
        if not isinstance(data, dict):
            kind = "nothing" if data is None else f"a {type(data).__name__}"
            raise ConfigError(f"{path} holds {kind}, not a mapping of keys to values",
                              f"write {what} as 'key: value' lines (nested keys indented)")
        return cls(path, data)

    @classmethod
    def of_project(cls, root: Path, names: Iterable[str] = (ENV_FILE,), *,
                   mapping_required: bool = True) -> ProjectSettings:
        """The first of ``names`` that exists in the project folder ``root`` (empty if none).

        What a command reads once, at its start, and hands to every function that needs
        a setting (``nbops predict``, ``promote``, ``monitor``): those functions take the
        object and never open the file by path themselves.
        """
        for name in names:
            if (Path(root) / name).is_file():
                return cls.read(Path(root) / name, what=name, mapping_required=mapping_required)
        return cls(None, {})

    def __bool__(self) -> bool:
        return bool(self.values)

    def __contains__(self, key: KeyLike) -> bool:
        return SettingKey.parse(key).get(self.values, _MISSING) is not _MISSING

    def get(self, key: KeyLike, default: Any = None) -> Any:
        """The value at ``key`` (any spelling), else ``default``."""
        return SettingKey.parse(key).get(self.values, default)

    def section(self, name: str) -> dict[str, Any]:
        """The top-level mapping ``name`` (a copy), ``{}`` when absent or not a mapping."""
        value = self.values.get(name)
        return dict(value) if isinstance(value, Mapping) else {}

    def flat(self) -> dict[SettingKey, Any]:
        """Every leaf, by key (see :func:`flatten`)."""
        return flatten(self.values)

    def with_overrides(self, overrides: Overrides) -> ProjectSettings:
        """A copy with each key of ``overrides`` set to its value."""
        values = copy.deepcopy(self.values)
        pairs: Iterable[tuple[KeyLike, Any]] = overrides.items()
        for key, value in pairs:
            SettingKey.parse(key).set(values, value)
        return ProjectSettings(self.path, values)
