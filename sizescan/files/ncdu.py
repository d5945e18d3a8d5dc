"""ncdu's JSON export format: the interchange format of ncdu and gdu.

A file is ``[1, 2, {metadata}, <root>]`` where a directory is an array
``[{info}, child, child, ...]`` and anything else is an object ``{info}``.
Each directory's ``asize``/``dsize`` are its own sizes; readers add up the
children.  Names are byte strings: ncdu writes them as they are on disk,
valid UTF-8 or not, and refuses ``\\udcXX`` escapes (which ``json.dumps``
writes for undecodable names), so names are escaped here on bytes: only
control characters, ``"``, ``\\`` and DEL.

This module is an edge of the package: it encodes entries for the workers
(:class:`NcduEncoder`), keeps a scan's export text (:class:`ExportSpool`)
and writes it out, and reads an export back into the scan model
(:func:`read_export`).  The engine knows none of it.
"""

from __future__ import annotations

import json
import os
import re
import stat as _stat
from typing import Optional

from ..engine.records import (
    SKIP_KERNFS,
    SKIP_OTHER_FS,
    SKIP_PATTERN,
)
from ..model.keys import EXCLUDED, READ_ERROR, dir_key, root_key
from ..model.measure import disk_usage

MAJOR, MINOR = 1, 2

_ESCAPE = re.compile('[\x00-\x1f"\\\\\x7f]')
_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}


def _escape(match) -> str:
    c = match.group()
    return _SHORT.get(c) or f"\\u{ord(c):04x}"


def json_name(name: str) -> str:
    """``name`` as the inside of a JSON string, its bytes kept as they are.

    Names are ``str`` with undecodable bytes as lone surrogates (Python's
    ``surrogateescape``); the text is encoded with ``surrogateescape`` when
    written, so those bytes reach the file unchanged.
    """
    if _ESCAPE.search(name) is None:
        return name
    return _ESCAPE.sub(_escape, name)


def entry_info(name: str, st, *, extended: bool, dev: int | None = None) -> str:
    """The ``{info`` of one entry, without its closing brace (flags may follow)."""
    text = f'{{"name":"{json_name(name)}","asize":{st.st_size},"dsize":{disk_usage(st)}'
    if dev is not None:
        text += f',"dev":{dev}'
    if extended:
        text += (
            f',"uid":{st.st_uid},"gid":{st.st_gid},"mode":{st.st_mode},"mtime":{int(st.st_mtime)}'
        )
    fmt = _stat.S_IFMT(st.st_mode)
    if fmt != _stat.S_IFDIR:
        if st.st_nlink > 1:
            text += f',"ino":{st.st_ino},"hlnkc":true,"nlink":{st.st_nlink}'
        if fmt != _stat.S_IFREG:
            text += ',"notreg":true'
    return text


def excluded_entry(name: str, reason: str) -> str:
    """An entry left out: ``reason`` is ``pattern``, ``otherfs`` or ``kernfs``."""
    return f'{{"name":"{json_name(name)}","excluded":"{reason}"}}'


# ncdu 2's words for why an entry was left out (ncdu 1.18 reads them too).
_REASONS = {SKIP_PATTERN: "pattern", SKIP_OTHER_FS: "otherfs", SKIP_KERNFS: "kernfs"}


class NcduEncoder:
    """Encodes entries as the per-entry pipeline meets them (see ``worker``).

    Handed to the workers by the API layer, so the text of a million
    entries is made in parallel, where they are stat'ed.  Each method
    returns the text of one entry, led by the separator that goes before it.
    """

    def __init__(self, extended: bool):
        self.extended = extended

    def sized(self, name: str, st) -> str:
        """A non-directory that was stat'ed."""
        return ",\n" + entry_info(name, st, extended=self.extended) + "}"

    def directory(self, name: str, st, dev: int, parent_dev: int) -> str:
        """A subdirectory's ``{info`` (unclosed), ``dev`` where the device changes
        (``dev`` is the scan's number for ``st.st_dev``: see WorkerConfig.devices)."""
        return entry_info(name, st, extended=self.extended, dev=dev if dev != parent_dev else None)

    def root(self, path: str, st) -> str:
        """The top directory's ``{info``: named by its full path (as given, where
        there is no current directory to complete it), always with ``dev``."""
        try:
            path = os.path.abspath(path)
        except OSError:
            pass
        return entry_info(path, st, extended=self.extended, dev=st.st_dev)

    def skipped(self, name: str, reason: int) -> str:
        """An entry left out (``reason``: one of records.SKIP_*)."""
        return ",\n" + excluded_entry(name, _REASONS[reason])

    def unreadable(self, name: str) -> str:
        """An entry that could not be stat'ed."""
        return f',\n{{"name":"{json_name(name)}","read_error":true}}'


class SpoolFailed(OSError):
    """The export's temporary file could not be written (a full $TMPDIR):
    the API says it as the export not written (ExportFailed)."""


class ExportSpool:
    """Where a scan's export text waits until the walk is over.

    The collector hands it every record it takes (once each): the text is
    appended to a temporary file as it comes, and only where it went is
    kept, so memory is bounded by directories.  It pickles without its
    descriptor, so it travels to the collector process and back; the file
    is reopened by whichever process writes next.  :meth:`write` rebuilds
    the nesting at the end.
    """

    def __init__(self, path: str):
        self.path = path
        self._fd: Optional[int] = None
        # Directories are known by key (model.keys.dir_key), never by path.
        # (key, parent key, name) of those that get an array: their own
        # record came, or they are excluded.
        self.nested: list = []
        self.infos: dict = {}  # directory key -> its {info (from its parent's record)
        self.fragments: dict = {}  # directory key -> [(offset, length)] in the file
        self.flags: dict = {}  # directory key -> READ_ERROR | EXCLUDED

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_fd"] = None
        return state

    def close(self) -> None:
        """Close the file; the next record opens it again (in any process)."""
        fd, self._fd = self._fd, None  # forgotten first: never closed twice
        if fd is not None:
            os.close(fd)

    def add(self, record) -> None:
        """Keep what ``record`` says for the export (see records.Detail)."""
        key, detail = record.key, record.detail
        if record.own or detail.flags & EXCLUDED:
            self.nested.append((key, record.parent, record.name))
        if detail.flags:
            self.flags[key] = self.flags.get(key, 0) | detail.flags
        if detail.fragment:
            data = detail.fragment.encode("utf-8", "surrogateescape")
            try:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
                offset = os.lseek(self._fd, 0, os.SEEK_END)
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view) :]
            except OSError as exc:  # $TMPDIR full, most often
                raise SpoolFailed(
                    exc.errno, f"cannot write its temporary file {self.path!r}: {exc.strerror}"
                ) from None
            self.fragments.setdefault(key, []).append((offset, len(data)))
        if detail.subdirs:
            for name, info in detail.subdirs:
                self.infos[dir_key(key, name)] = info

    def write(self, out, root_info: str, *, progver: str, timestamp: int) -> None:
        """Stream the export to the binary file ``out``.

        The nesting is rebuilt directory by directory with an explicit
        stack (trees can be thousands of levels deep); each directory's
        entries are copied from the spool file as they are written.
        """
        self.close()
        flags, infos, fragments = self.flags, self.infos, self.fragments
        children: dict = {}
        for key, parent, name in self.nested:
            if parent is not None:
                children.setdefault(parent, []).append((key, name))
        write = out.write
        header = {"progname": "sizescan", "progver": progver, "timestamp": timestamp}
        write(f"[{MAJOR},{MINOR},{json.dumps(header, separators=(',', ':'))},\n".encode())
        spool = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        try:

            def open_dir(key, info):
                flag = flags.get(key, 0)
                write(
                    b"["
                    + info.encode("utf-8", "surrogateescape")
                    + (b',"read_error":true}' if flag & READ_ERROR else b"}")
                )
                for offset, length in fragments.get(key, ()):
                    write(os.pread(spool, length, offset))
                return iter(children.get(key, ()))

            stack = [open_dir(root_key(0), root_info)]  # an export holds one PATH
            while stack:
                child, name = next(stack[-1], (None, None))
                if child is None or name is None:
                    write(b"]")
                    stack.pop()
                    continue
                write(b",\n")
                if flags.get(child, 0) & EXCLUDED:
                    write(excluded_entry(name, "pattern").encode("utf-8", "surrogateescape"))
                    continue
                info = infos.get(child) or f'{{"name":"{json_name(name)}"'
                stack.append(open_dir(child, info))
            write(b"]\n")
        finally:
            os.close(spool)
