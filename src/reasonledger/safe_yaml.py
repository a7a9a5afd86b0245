"""YAML from users and strangers (recipes, --set values), loaded with bounds.

`yaml.safe_load` runs no code, but an alias bomb (anchors that repeat anchors, a few hundred bytes
standing for billions of nodes) builds a shared structure that every later step expands: validation,
hashing, even printing the validation error. Here the document's node graph is measured before
anything is built: too many nodes once aliases are expanded, nesting too deep, a recursive alias or
too large a text is a YAMLLimitError (a yaml.YAMLError, so existing handlers report it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64


class YAMLLimitError(yaml.YAMLError):
    """A YAML document over a size, expansion or depth limit."""


def load_file(path: Path) -> Any:
    """`safe_load` of a UTF-8 file, reading no more of it than the limit allows."""
    with Path(path).open(encoding="utf-8") as handle:
        return safe_load(handle.read(MAX_BYTES + 1))


def safe_load(text: str, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> Any:
    """Like `yaml.safe_load` for one document, refusing documents over the limits quickly."""
    if len(text) > MAX_BYTES:
        raise YAMLLimitError(f"the YAML text is {len(text):,} characters, over the {MAX_BYTES:,} accepted")
    loader = _BoundedLoader(text, max_depth)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise YAMLLimitError(f"the YAML is nested too deeply (more than {max_depth} levels)") from None
        if node is None:
            return None
        _check(node, max_nodes, max_depth)
        return loader.construct_document(node)
    finally:
        loader.dispose()


class _BoundedLoader(yaml.SafeLoader):
    """A SafeLoader that stops composing past `max_depth`, long before Python's recursion limit."""

    def __init__(self, text: str, max_depth: int) -> None:
        super().__init__(text)
        self._depth, self._max_depth = 0, max_depth

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > self._max_depth:
                mark = self.peek_event().start_mark
                raise YAMLLimitError(f"line {mark.line + 1}: the YAML is nested more than {self._max_depth} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check(root: yaml.Node, max_nodes: int, max_depth: int) -> None:
    """Count the nodes the document stands for with aliases expanded, without expanding them
    (each shared node is sized once), and check depth and recursion on the way."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > max_nodes:
                raise YAMLLimitError(
                    f"the YAML stands for more than {max_nodes:,} values once its aliases (*name) are expanded "
                    f"(near line {node.start_mark.line + 1}); an alias bomb? Write the values out instead")
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise YAMLLimitError(f"line {node.start_mark.line + 1}: an alias refers to a value that contains it")
        if depth > max_depth:
            raise YAMLLimitError(f"line {node.start_mark.line + 1}: the YAML is nested more than {max_depth} levels")
        open_nodes.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node) if id(child) not in sizes)
