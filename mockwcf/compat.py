"""Compatibility shims that let the pinned Spyne 2.14 run on Python 3.11, 3.12 and 3.13.

Installed by `mockwcf/__init__.py`, so they are in place before any mockwcf module imports Spyne.

1. Spyne 2.14.0 (its last release, 2022) vendors `six` 1.14 as `spyne.util.six`. That `six` serves
   `spyne.util.six.moves.*` through a `sys.meta_path` importer that only has the old `find_module` /
   `load_module` protocol, which Python 3.12 stopped calling (PEP 451 finders only; arskom/spyne#700,
   fixed upstream but never released). `_VendoredSixFinder` answers `find_spec` for exactly the names
   that importer knows and lets the importer build the module as before; on 3.11 it is used too, so
   every Python runs the same path.
2. `spyne.protocol.soap.soap11` does `import cgi`, which Python 3.13 removed (PEP 594). setup.cfg pulls
   `legacy-cgi` (the maintained fork of that module) on 3.13+, so nothing here is needed for it;
   `missing()` reports it if an installation lacks it.
3. `spyne.server.twisted` imports `twisted.python.constants`, which moved to the `constantly` package.
   mockwcf does not use that module, but the alias keeps `import spyne.server.twisted` working for users
   who combine both in one process.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType

VENDORED_SIX = "spyne.util.six"


class _SixLoader(importlib.abc.Loader):
    """Builds a `spyne.util.six.moves...` module through the vendored importer's own `load_module`.

    Many of those names are aliases of real modules (`...moves.collections_abc` *is* `collections.abc`);
    importlib stamps the new spec on whatever `create_module` returns, so the real module's own
    `__spec__` is put back afterwards (reload and pickling look at it).
    """

    def __init__(self, importer: object) -> None:
        self.importer = importer
        self.own_specs: dict[str, object] = {}

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module: ModuleType = self.importer.load_module(spec.name)  # type: ignore[attr-defined]
        if module.__name__ != spec.name:
            self.own_specs[spec.name] = getattr(module, "__spec__", None)
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the vendored importer filled the module in (lazy attributes)."""
        spec = module.__spec__
        if spec is not None and spec.name in self.own_specs:
            module.__spec__ = self.own_specs.pop(spec.name)  # type: ignore[assignment]


class _VendoredSixFinder(importlib.abc.MetaPathFinder):
    """A PEP 451 front for the vendored six's legacy importer; it finds nothing else."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(VENDORED_SIX + "."):
            return None
        six = sys.modules.get(VENDORED_SIX)
        importer = getattr(six, "_importer", None)
        if importer is None or fullname not in getattr(importer, "known_modules", {}):
            return None
        return importlib.util.spec_from_loader(fullname, _SixLoader(importer))


def install() -> None:
    """Idempotent: safe to call from every entry point."""
    if not any(isinstance(f, _VendoredSixFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _VendoredSixFinder())
    try:
        import constantly
    except ImportError:  # twisted depends on it; without it twisted itself reports the problem
        return
    sys.modules.setdefault("twisted.python.constants", constantly)


def missing() -> list[str]:
    """What this Python lacks for Spyne, each with the fix; [] when mockwcf can start."""
    problems = []
    if importlib.util.find_spec("cgi") is None:
        problems.append(
            f"Python {sys.version_info.major}.{sys.version_info.minor} has no `cgi` module, which Spyne "
            "imports; install the maintained fork: pip install legacy-cgi"
        )
    return problems
