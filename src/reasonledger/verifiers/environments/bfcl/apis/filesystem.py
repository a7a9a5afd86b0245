"""BFCL's GorillaFileSystem: a small in-memory tree with a current directory. Only the tree is state
(BFCL compares `root`; the current directory is private). Names are local to the current directory."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Union

from reasonledger.verifiers.environments.base import ToolError
from reasonledger.verifiers.environments.bfcl.apis._api import Api

_BAD_NAME_CHARACTERS = set('|/\\?%*:"><')


@dataclass
class File:
    name: str
    content: str = ""


@dataclass
class Directory:
    name: str
    contents: dict[str, Union["File", "Directory"]] = field(default_factory=dict)

    def add(self, item: Union["File", "Directory"]) -> None:
        if item.name in self.contents:
            kind = "File" if isinstance(item, File) else "Directory"
            raise ToolError(f"{kind} '{item.name}' already exists in directory '{self.name}'.")
        self.contents[item.name] = item

    def get(self, name: str) -> Union["File", "Directory", None]:
        return self if name == "." else self.contents.get(name)


def _tree(node: File | Directory) -> dict[str, Any]:
    if isinstance(node, File):
        return {"type": "file", "name": node.name, "content": node.content}
    return {"type": "directory", "name": node.name, "contents": {key: _tree(item) for key, item in node.contents.items()}}


def _load(name: str, spec: Mapping[str, Any]) -> Directory:
    directory = Directory(name)
    for child, data in (spec or {}).items():
        if data.get("type") == "directory":
            directory.contents[child] = _load(child, data.get("contents") or {})
        elif data.get("type") == "file":
            directory.contents[child] = File(child, data.get("content", ""))
    return directory


def _valid_name(name: str) -> bool:
    return not any(character in _BAD_NAME_CHARACTERS for character in name)


class GorillaFileSystem(Api):
    name: ClassVar[str] = "GorillaFileSystem"
    tools: ClassVar[tuple[str, ...]] = (
        "pwd", "ls", "cd", "mkdir", "touch", "echo", "cat", "find", "wc", "sort", "grep", "du", "tail",
        "diff", "mv", "rm", "rmdir", "cp")

    def load(self, config: Mapping[str, Any]) -> None:
        super().load(config)
        root = config.get("root")
        if root:
            ((name, spec),) = list(root.items())[:1]
            self.root = _load(name, spec.get("contents") or {})
        else:
            self.root = Directory("/")
        self._path = [self.root]  # the current directory and its ancestors, root first

    def state(self) -> dict[str, Any]:
        return {"root": _tree(self.root)}

    @property
    def _here(self) -> Directory:
        return self._path[-1]

    def pwd(self) -> dict:
        return {"current_working_directory": "/" + "/".join(directory.name for directory in self._path)}

    def ls(self, a: bool = False) -> dict:
        names = list(self._here.contents)
        return {"current_directory_content": names if a else [name for name in names if not name.startswith(".")]}

    def cd(self, folder: str) -> dict:
        folder = folder.rstrip("/") or "/"
        if folder not in {".", "..", "/"} and "/" in folder:
            return {"error": f"cd: {folder}: Unsupported path. Only one folder level at a time is supported."}
        if folder == "..":
            if len(self._path) == 1:
                return {"error": "Current directory is already the root. Cannot go back."}
            self._path.pop()
            return {}
        if folder == "/":
            self._path = [self.root]
            return {"current_working_directory": self.root.name}
        target = self._here.get(folder)
        if not isinstance(target, Directory):
            return {"error": f"cd: {folder}: No such directory. You cannot use path to change directory."}
        if target is not self._here:
            self._path.append(target)
        return {"current_working_directory": target.name}

    def mkdir(self, dir_name: str) -> dict | None:
        if not _valid_name(dir_name):
            return {"error": f"mkdir: cannot create directory '{dir_name}': Invalid character"}
        if dir_name in self._here.contents:
            return {"error": f"mkdir: cannot create directory '{dir_name}': File exists"}
        self._here.add(Directory(dir_name))
        return None

    def touch(self, file_name: str) -> dict | None:
        if not _valid_name(file_name):
            return {"error": f"touch: cannot touch '{file_name}': Invalid character"}
        if file_name in self._here.contents:
            return {"error": f"touch: cannot touch '{file_name}': File exists"}
        self._here.add(File(file_name))
        return None

    def echo(self, content: str, file_name: str | None = None) -> dict | None:
        if file_name is None or file_name == "":
            return {"terminal_output": content}
        if not _valid_name(file_name):
            return {"error": f"echo: cannot touch '{file_name}': Invalid character"}
        item = self._here.contents.get(file_name)
        if item is None:
            return {"error": f"echo: cannot write to '{file_name}': No such file"}
        if not isinstance(item, File):
            raise ToolError(f"echo: {file_name}: Is a directory")
        item.content = content
        return None

    def cat(self, file_name: str) -> dict:
        if not _valid_name(file_name):
            return {"error": f"cat: '{file_name}': Invalid character"}
        item = self._here.contents.get(file_name)
        if item is None:
            return {"error": f"cat: {file_name}: No such file or directory"}
        if not isinstance(item, File):
            return {"error": f"cat: {file_name}: Is a directory"}
        return {"file_content": item.content}

    def find(self, path: str = ".", name: str | None = None) -> dict:
        """Searches below the current directory (as BFCL does: `path` only prefixes the matches)."""
        matches: list[str] = []

        def walk(directory: Directory, base: str) -> None:
            for item_name, item in directory.contents.items():
                item_path = f"{base}/{item_name}"
                if name is None or name in item_name:
                    matches.append(item_path)
                if isinstance(item, Directory):
                    walk(item, item_path)

        walk(self._here, path.rstrip("/"))
        return {"matches": matches}

    def _file(self, file_name: str) -> File | None:
        item = self._here.contents.get(file_name)
        return item if isinstance(item, File) else None

    def wc(self, file_name: str, mode: str = "l") -> dict:
        if mode not in ("l", "w", "c"):
            return {"error": f"wc: invalid mode '{mode}'"}
        file = self._file(file_name)
        if file is None:
            return {"error": f"wc: {file_name}: No such file or directory"}
        if mode == "l":
            return {"count": len(file.content.splitlines()), "type": "lines"}
        if mode == "w":
            return {"count": len(file.content.split()), "type": "words"}
        return {"count": len(file.content), "type": "characters"}

    def sort(self, file_name: str) -> dict:
        file = self._file(file_name)
        if file is None:
            return {"error": f"sort: {file_name}: No such file or directory"}
        return {"sorted_content": "\n".join(sorted(file.content.splitlines()))}

    def grep(self, file_name: str, pattern: str) -> dict:
        file = self._file(file_name)
        if file is None:
            return {"error": f"grep: {file_name}: No such file or directory"}
        return {"matching_lines": [line for line in file.content.splitlines() if pattern in line]}

    def du(self, human_readable: bool = False) -> dict:
        def size(item: File | Directory) -> int:
            if isinstance(item, File):
                return len(item.content.encode("utf-8"))
            return sum(size(child) for child in item.contents.values())

        total: float = size(self._here)
        if not human_readable:
            return {"disk_usage": f"{int(total)} bytes"}
        for unit in ("B", "KB", "MB", "GB", "TB"):
            if total < 1024:
                return {"disk_usage": f"{total:.2f} {unit}"}
            total /= 1024
        return {"disk_usage": f"{total:.2f} PB"}

    def tail(self, file_name: str, lines: int = 10) -> dict:
        file = self._file(file_name)
        if file is None:
            return {"error": f"tail: {file_name}: No such file or directory"}
        content = file.content.splitlines()
        lines = min(lines, len(content))
        return {"last_lines": "\n".join(content[-lines:])}

    def diff(self, file_name1: str, file_name2: str) -> dict:
        first, second = self._file(file_name1), self._file(file_name2)
        if first is None or second is None:
            return {"error": f"diff: {file_name1} or {file_name2}: No such file or directory"}
        pairs = zip(first.content.splitlines(), second.content.splitlines())
        return {"diff_lines": "\n".join(f"- {a}\n+ {b}" for a, b in pairs if a != b)}

    def mv(self, source: str, destination: str) -> dict:
        return self._transfer("mv", "move", source, destination, keep_source=False)

    def cp(self, source: str, destination: str) -> dict:
        return self._transfer("cp", "copy", source, destination, keep_source=True)

    def _transfer(self, command: str, verb: str, source: str, destination: str, keep_source: bool) -> dict:
        item = self._here.contents.get(source)
        if item is None:
            return {"error": f"{command}: cannot {verb} '{source}': No such file or directory"}
        if "/" in destination:
            return {"error": f"{command}: no path allowed in destination. Only file name and folder name is supported for this operation."}
        target = self._here.contents.get(destination)
        moved = copy.deepcopy(item) if keep_source else item
        done = "copied" if keep_source else "moved"
        if target is not None:
            if not isinstance(target, Directory):
                return {"error": f"{command}: cannot {verb} '{source}' to '{destination}': Not a directory"}
            if not keep_source and source in target.contents:
                return {"error": f"{command}: cannot {verb} '{source}' to '{destination}/{source}': File exists"}
            if not keep_source:
                del self._here.contents[source]
            target.add(moved)
            return {"result": f"'{source}' {done} to '{destination}/{source}'"}
        if not keep_source:
            del self._here.contents[source]
        moved.name = destination
        self._here.add(moved)
        return {"result": f"'{source}' {done} to '{destination}'"}

    def rm(self, file_name: str) -> dict:
        if file_name not in self._here.contents:
            return {"error": f"rm: cannot remove '{file_name}': No such file or directory"}
        del self._here.contents[file_name]
        return {"result": f"'{file_name}' removed"}

    def rmdir(self, dir_name: str) -> dict:
        item = self._here.contents.get(dir_name)
        if item is None:
            return {"error": f"rmdir: cannot remove '{dir_name}': No such file or directory"}
        if not isinstance(item, Directory):
            return {"error": f"rmdir: cannot remove '{dir_name}': Not a directory"}
        if item.contents:
            return {"error": f"rmdir: failed to remove '{dir_name}': Directory not empty"}
        del self._here.contents[dir_name]
        return {"result": f"'{dir_name}' removed"}
