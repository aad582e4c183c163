"""A package's public surface, imported from its private modules on first use.

Every nbops package keeps its code in private modules (``_store.py``) and
re-exports what other packages, notebooks and users may import from its
``__init__``, as httpx does. The re-exports are lazy (PEP 562 module
``__getattr__``) because ``import nbops.core`` happens in every kernel and every
build, where loading jsonschema or pandas for one error class would cost
seconds::

    if TYPE_CHECKING:
        from nbops.registry._refs import ModelRef
        from nbops.registry._registry_file import read as read_registry

    __all__ = ["ModelRef", "read_registry"]

    if not TYPE_CHECKING:  # type checkers see the imports, and flag any other name
        __getattr__, __dir__ = lazy_exports(__name__, {
            "_refs": ("ModelRef",),
            "_registry_file": ("read_registry=read",),  # public name = the module's name
        })

A module key starting with ``nbops.`` names another package's public surface
(re-exported as is). ``__all__`` lists the same names for readers and linters
(checked here, at import); the ``if TYPE_CHECKING:`` block imports them for type
checkers, which must not see ``__getattr__`` (with it, mypy would accept any name).
``tests/nbops/test_package_surfaces.py`` checks that the three lists agree.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_exports(package: str, homes: Mapping[str, tuple[str, ...]]
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for ``package``, whose ``__all__`` is already set.

    Args:
        package: the package's ``__name__``.
        homes: private module (relative to ``package``, e.g. ``"_store"``, or an
            absolute ``"nbops.other"``) -> the names it provides; ``"public=name"``
            exports the module's ``name`` as ``public``.
    """
    where: dict[str, tuple[str, str]] = {}
    for module, names in homes.items():
        absolute = module if module.startswith("nbops.") else f"{package}.{module}"
        for entry in names:
            public, _, name = entry.partition("=")
            where[public] = (absolute, name or public)
    namespace = importlib.import_module(package).__dict__
    if sorted(namespace.get("__all__", ())) != sorted(where):
        raise ImportError(f"{package}.__all__ and its lazy exports disagree: "
                          f"{sorted(set(namespace.get('__all__', ())) ^ set(where))}")

    def __getattr__(name: str) -> object:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = where[name]
        value = getattr(importlib.import_module(module), attribute)
        namespace[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__
