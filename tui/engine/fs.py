"""A tiny in-memory filesystem per sandbox, with files synthesized from engine state."""

from __future__ import annotations

import posixpath
from collections.abc import Callable


class FileSystem:
    """Regular files are bytes; synthesized files are computed when read (like /proc)."""

    def __init__(self) -> None:
        self._files: dict[str, bytes] = {}
        self._synth: dict[str, Callable[[], bytes]] = {}
        self._writers: dict[str, Callable[[bytes], None]] = {}
        self._dirs: set[str] = {"/", "/root", "/tmp", "/etc", "/proc", "/var", "/var/run"}

    @staticmethod
    def norm(path: str, cwd: str = "/root") -> str:
        if not path.startswith("/"):
            path = posixpath.join(cwd, path)
        return posixpath.normpath(path).replace("//", "/")

    def synthesize(self, path: str, producer: Callable[[], bytes],
                   writer: Callable[[bytes], None] | None = None) -> None:
        """A file computed from engine state; with ``writer``, writes go to the state (like /proc/sys)."""
        self._synth[path] = producer
        if writer is not None:
            self._writers[path] = writer
        self._add_parents(path)

    def _add_parents(self, path: str) -> None:
        parent = posixpath.dirname(path)
        while parent and parent not in self._dirs:
            self._dirs.add(parent)
            parent = posixpath.dirname(parent)

    def exists(self, path: str) -> bool:
        return path in self._files or path in self._synth or path in self._dirs

    def is_dir(self, path: str) -> bool:
        return path in self._dirs

    def writable(self, path: str) -> bool:
        return path not in self._synth or path in self._writers

    def read(self, path: str) -> bytes | None:
        if path in self._synth:
            return self._synth[path]()
        return self._files.get(path)

    def write(self, path: str, data: bytes, append: bool = False) -> None:
        if path == "/dev/null":
            return
        if path in self._writers:
            if data:
                self._writers[path](data)
            return
        if append and path in self._files:
            self._files[path] += data
        else:
            self._files[path] = data
        self._add_parents(path)

    def remove(self, path: str) -> bool:
        return self._files.pop(path, None) is not None

    def listdir(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        names = {
            p[len(prefix):].split("/", 1)[0]
            for p in (*self._files, *self._synth, *self._dirs)
            if p.startswith(prefix) and p != prefix
        }
        return sorted(names)
