"""One registry for every kind of plugin (steps, verifiers, ...), filled through one entry-point group.

Every package, reasonledger itself included, declares a callable in the `reasonledger.plugins`
entry-point group (`[project.entry-points."reasonledger.plugins"]`). On the first lookup in a
process (the driver, each pool worker, each Ray actor) every such callable is called once, and
what it adds to a registry is recorded with the distribution it came from. A name nobody added
fails with the known names of its kind.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import entry_points
from typing import Generic, TypeVar

GROUP = "reasonledger.plugins"
T = TypeVar("T")

_loaded = False
_loading: list[str] = []  # the distribution whose plugins are being loaded (its name is each entry's origin)


class Registry(Mapping[str, T], Generic[T]):
    """Names of one kind of plugin, each with its origin (the distribution that added it). An item
    may be given as "module:attribute", imported on first use, so that naming a plugin costs nothing.
    It reads as a mapping of name to plugin (every plugin loaded first)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T | str] = {}
        self._origins: dict[str, str] = {}
        self._modules: list[str] = []  # imported on first lookup: their import adds to this registry

    def add(self, name: str, item: T | str, origin: str | None = None) -> None:
        """Add (or replace) `name`; its origin is the distribution being loaded, else the item's package."""
        package = (item if isinstance(item, str) else getattr(item, "__module__", "")).partition(".")[0]
        self._items[name] = item
        self._origins[name] = origin or (_loading[-1] if _loading else package or "unknown")

    def import_on_use(self, *modules: str) -> None:
        """Modules whose import adds to this registry (classes with a registering decorator), imported
        on its first lookup rather than when the plugins load, so a command that never names one
        does not pay for importing them."""
        self._modules.extend(modules)

    def _load(self) -> None:
        load_plugins()
        while self._modules:
            importlib.import_module(self._modules.pop(0))

    def remove(self, name: str) -> None:
        del self._items[name]
        del self._origins[name]

    def __getitem__(self, name: str) -> T:
        """The plugin called `name`; KeyError naming the known ones."""
        self._load()
        if name not in self._items:
            raise KeyError(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}")
        item = self._items[name]
        if isinstance(item, str):
            module, _, attr = item.partition(":")
            try:
                item = getattr(importlib.import_module(module), attr)
            except ModuleNotFoundError as exc:
                raise KeyError(f"{self.kind} {name!r} is not available here: {exc}") from exc
            self._items[name] = item
        return item  # type: ignore[return-value]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._items

    def names(self) -> list[str]:
        self._load()
        return sorted(self._items)

    def origins(self) -> dict[str, str]:
        self._load()
        return dict(sorted(self._origins.items()))


REGISTRIES: dict[str, Registry] = {}


def registry(kind: str) -> Registry:
    """The registry of one kind of plugin, made on first use."""
    return REGISTRIES.setdefault(kind, Registry(kind))


def load_plugins() -> None:
    """Call every `reasonledger.plugins` entry point once in this process (reasonledger's own first)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    found = sorted(entry_points(group=GROUP), key=lambda ep: (ep.dist is None or ep.dist.name != "reasonledger",
                                                            ep.dist.name if ep.dist else "", ep.name))
    if not any(entry.dist and entry.dist.name == "reasonledger" for entry in found):
        raise RuntimeError(f"reasonledger's own plugins are not declared here (no {GROUP} entry point of the "
                           "reasonledger distribution): install the package (pip install -e .), not only its source")
    for entry in found:
        _call(entry.dist.name if entry.dist else entry.value.partition(":")[0], entry.load())


def _call(origin: str, register: Callable[[], None]) -> None:
    _loading.append(origin)
    try:
        register()
    finally:
        _loading.pop()


__all__ = ["GROUP", "REGISTRIES", "Registry", "load_plugins", "registry"]
