"""Modules imported when first used, so that a light command (``swanalysis validate`` on one
small return) never pays for numpy and pandas it does not touch.

``np = lazy("numpy", globals(), "np")`` binds a stand-in; the first ``np.<attribute>`` imports
numpy and puts the real module in its place in that namespace, so later uses cost nothing extra.
"""

from __future__ import annotations

import importlib


class LazyModule:
    """Stand-in for a module not yet imported (see the module docstring)."""

    __slots__ = ("_name", "_namespace", "_alias")

    def __init__(self, name: str, namespace: dict | None = None, alias: str | None = None):
        self._name, self._namespace, self._alias = name, namespace, alias

    def __getattr__(self, attr):
        module = importlib.import_module(self._name)
        if self._namespace is not None and self._namespace.get(self._alias) is self:
            self._namespace[self._alias] = module
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<module {self._name!r} (imported on first use)>"


def lazy(name: str, namespace: dict | None = None, alias: str | None = None) -> LazyModule:
    """A stand-in for module ``name`` that imports it on first attribute access and, given the
    ``namespace`` (a module's ``globals()``) and the ``alias`` it is bound to there, replaces
    itself by the module."""
    return LazyModule(name, namespace, alias or name)
