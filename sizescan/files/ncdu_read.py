"""Reading an ncdu export back into the scan model: ``sizescan -f FILE``.

An export of ncdu, gdu or sizescan becomes a ScanResult with every view,
as if the tree had been scanned: each directory goes through the same
Collector as a scan's records, grouped by the same kinds.  A hostile or
broken file gets one line (BadExport) naming where it went wrong, never a
traceback, never more memory than the file's own text and its tree.
"""

from __future__ import annotations

import json
import re
import stat as _stat
from dataclasses import replace

from ..engine.collect import Collector
from ..engine.records import (
    OP_ACCESS,
    OP_READ,
    Link,
    PathError,
    Record,
)
from ..engine.tally import DirTally
from ..errors import BadExport
from ..model.keys import READ_ERROR, dir_key, dir_prefix, join, path_up, root_key
from ..model.kinds import add_owner, tally_key
from ..model.names import display_message
from ..model.options import ScanOptions
from ..model.tree import unpack_files
from .ncdu import MAJOR


class _Bad(Exception):
    def __init__(self, where, what):
        super().__init__(f"{where}: {what}")


# The largest number a field may hold: sizes are off_t, devices and inodes
# 64-bit, modes, uids and gids 32-bit.  Anything larger is not from a filesystem.
_MAX_SIZE = 2**63 - 1
_LIMITS = {
    "asize": 2**63 - 1,
    "dsize": 2**63 - 1,
    "dev": 2**64 - 1,
    "ino": 2**64 - 1,
    "nlink": 2**64 - 1,
    "mode": 2**32 - 1,
    "uid": 2**32 - 1,
    "gid": 2**32 - 1,
}


def _number(info, key, where, default=0):
    """Field ``key`` of an entry: an int from 0 to its limit, else BadExport."""
    value = info.get(key, default)
    if value is default:
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _LIMITS[key]:
        what = "a byte count" if key in ("asize", "dsize") else "a number in range"
        raise _Bad(where() if callable(where) else where, f'"{key}" is not {what}: {value!r:.40}')
    return value


def _size(info, key, where):
    return _number(info, key, where)


# Lone surrogates that surrogateescape did not make: a JSON "\ud800" escape,
# which stands for no byte at all (a name is bytes).
_NOT_BYTES = re.compile("[\ud800-\udc7f\udd00-\udfff]")


def _name(info, where):
    """The entry's name; ``where`` (called only on error) says where it is."""
    name = info.get("name")
    if not isinstance(name, str) or not name:
        raise _Bad(where(), f'no "name" (or not a string): {name!r:.60}')
    if _NOT_BYTES.search(name):
        raise _Bad(where(), f"a name with a lone surrogate escape, not bytes: {name!r:.60}")
    return name


class _Directory:
    """A directory being read: its record, built as its entries come.

    It knows its name and the directory it is in (``up``), not its path: a
    path is built only for an error, so a deep export costs memory linear
    in its depth (the open directories are those on the way down).
    """

    __slots__ = (
        "up",
        "name",
        "key",
        "depth",
        "dev",
        "skip",
        "files",
        "apparent",
        "disk",
        "tally",
        "links",
        "errors",
        "flags",
        "names",
        "owners",
    )

    def __init__(self, up, name, depth, dev, skip, tally):
        self.up, self.name, self.depth, self.dev, self.skip = up, name, depth, dev, skip
        self.key = root_key(0) if up is None else dir_key(up.key, name)
        self.tally = tally
        self.files = self.apparent = self.disk = self.flags = 0
        self.links, self.errors = [], []
        self.owners = {}  # from entries with uid and gid (--extended, ncdu -e)
        # Names seen so far: two entries of one name, or "." and "..", are
        # not a tree (ncdu would show both; a path can name only one).
        self.names = set()

    @property
    def path(self) -> str:
        names = []
        d = self
        while d is not None:
            names.append(d.name)
            d = d.up
        return path_up(names)

    def claim(self, name, where):
        """Note ``name`` as an entry of this directory; refuse it twice or as . / .."""
        if name in self.names or name in (".", ".."):
            what = "an entry named" if name in (".", "..") else "two entries named"
            if where is None:
                raise _Bad(self.path, f"{what} {name!r}")
            raise _Bad(where(), f"{what} {name!r} in {self.path!r}")
        self.names.add(name)


def _owner(info, where):
    """(uid, gid) of an entry of an extended export, or None without them."""
    if "uid" not in info or "gid" not in info:
        return None
    return _number(info, "uid", where), _number(info, "gid", where)


_SPACE = re.compile(r"[ \t\n\r]*")
# ",{name, sizes, maybe mtime}": what most entries of sizescan, ncdu and gdu
# exports look like; a name with escapes is decoded as a JSON string.
_SIMPLE = (
    r'[ \t\n\r]*,[ \t\n\r]*\{"name":"((?:[^"\\\x00-\x1f]|\\.)*)"'
    r'(?:,"asize":(\d{1,19}))?(?:,"dsize":(\d{1,19}))?(?:,"mtime":(\d{1,19}))?\}'
)
_SIMPLE_ENTRY = re.compile(_SIMPLE)
# A run of such entries, found in one match and split by findall: the
# regular-expression engine does the scanning, Python only the counting.
_SIMPLE_RUN = re.compile(f"(?:{_SIMPLE})+")


def read_export(source, *, top: int = 10, apparent: bool = False, max_depth: int | None = None):
    """Read an ncdu-format export (sizescan, ncdu 1.x/2.x, gdu) into a ScanResult.

    ``source`` is a path or a binary file.  The result has views (tree,
    by_type, by_age when the file has mtimes, directories), with the
    directory totals a scan would have given: every directory's own size
    plus its entries, hard links (``ino`` with ``hlnkc``) counted once.
    Ages are measured from the export's timestamp.

    The nesting is followed with an explicit stack and each entry decoded
    on its own, so a tree of any depth is read and only the directories
    open at a time are held.  Raises :class:`sizescan.errors.BadExport`
    naming what is wrong and where (line and column, or the path).
    """
    name = getattr(source, "name", source)
    raw = _read_all(source, name)
    if raw.startswith(_BINARY_MAGIC):
        raise _bad_export(
            f"{name}: ncdu's binary export format is not read; "
            "export JSON with ncdu -o instead of -O"
        )
    if raw.startswith(_ZSTD_MAGIC):
        raise _bad_export(
            f"{name}: compressed with zstd (ncdu -c); decompress it first: "
            f"zstd -dc FILE | sizescan -f -"
        )
    if raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark, as editors write
        raw = raw[3:]
    if not raw.strip():
        raise _bad_export(f"{name}: empty file, not an ncdu export")
    # Names are bytes: undecodable ones become lone surrogates, and go back
    # to the same bytes wherever they are used as paths.
    text = raw.decode("utf-8", "surrogateescape")
    del raw
    reader = _Reader(text, top=top, apparent=apparent, max_depth=max_depth)
    try:
        return reader.read()
    except _Bad as exc:
        raise _bad_export(f"{name}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise _bad_export(
            f"{name}: line {exc.lineno} column {exc.colno}: not JSON: {exc.msg}"
        ) from None
    except RecursionError:
        raise _bad_export(f"{name}: an entry is nested too deeply") from None
    except ValueError as exc:  # a number of thousands of digits, among others
        raise _bad_export(f"{name}: not an export sizescan can read: {exc}") from None


def _bad_export(message: str) -> BadExport:
    # Names in a message are data: escaped like every name shown to people
    # (a newline or U+202E in a file name must not split or reorder the line).
    return BadExport(display_message(message))


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_BINARY_MAGIC = b"\xbfncduEX1"  # ncdu 2's own format (-O)
_CHUNK = 1 << 20


def _read_all(source, name) -> bytes:
    """The whole file, refused at the first NUL byte (JSON has none), so that
    /dev/zero or a binary file fails at once instead of filling memory."""
    chunks: list = []
    try:
        f = source if hasattr(source, "read") else open(source, "rb")
        try:
            while True:
                chunk = f.read(_CHUNK)
                if not chunk:
                    break
                if b"\0" in chunk:
                    if not chunks and chunk.startswith((_BINARY_MAGIC, _ZSTD_MAGIC)):
                        return chunk  # enough to say what it is
                    raise _bad_export(f"{name}: a zero byte in the file: not a JSON export")
                chunks.append(chunk)
        finally:
            if f is not source:
                f.close()
    except OSError as exc:
        raise _bad_export(f"{name}: {exc.strerror}") from None
    return b"".join(chunks)


class _Reader:
    def __init__(self, text, *, top, apparent, max_depth):
        self.text = text
        self.pos = 0
        self.top = top
        self.apparent = apparent
        self.max_depth = max_depth
        self._decode = json.JSONDecoder().raw_decode

    def _where(self, pos=None):
        pos = self.pos if pos is None else pos
        line = self.text.count("\n", 0, pos) + 1
        return f"line {line} column {pos - (self.text.rfind(chr(10), 0, pos) + 1) + 1}"

    def _skip(self):
        self.pos = _SPACE.match(self.text, self.pos).end()

    def _peek(self):
        self._skip()
        return self.text[self.pos : self.pos + 1]

    def _expect(self, char, what):
        if self._peek() != char:
            found = self.text[self.pos : self.pos + 12] or "the end of the file"
            raise _Bad(self._where(), f"expected {what}, found {found!r}")
        self.pos += 1

    def _value(self):
        self._skip()
        value, self.pos = self._decode(self.text, self.pos)
        return value

    def read(self):
        self._expect("[", "'[' (an ncdu export starts with [1, 2, {metadata}, ...])")
        major = self._value()
        self._expect(",", "','")
        minor = self._value()
        if major != MAJOR or isinstance(minor, bool) or not isinstance(minor, int):
            raise _Bad("header", f"unsupported format version {major!r}.{minor!r} (1.x is read)")
        self._expect(",", "','")
        at = self.pos
        meta = self._value()
        if not isinstance(meta, dict):
            raise _Bad(self._where(at), "the metadata is not an object")
        self._expect(",", "','")
        stamp = meta.get("timestamp")
        self.now = stamp if isinstance(stamp, (int, float)) and not isinstance(stamp, bool) else 0
        self.have_mtimes = True
        self._expect("[", "'[' opening the root directory")
        at = self.pos
        info = self._value()
        if not isinstance(info, dict):
            raise _Bad(self._where(at), "the root directory has no {info}")
        root = _name(info, lambda: "root")
        root = root.rstrip("/") or "/"
        self.options = ScanOptions(
            top=self.top,
            apparent=self.apparent,
            max_depth=self.max_depth,
            views=True,
            by_owner=True,
        )
        self.collector = Collector([root], self.options)
        self._walk(self._open(None, root, _number(info, "dev", "root"), info))
        self._expect("]", "']' closing the export after the root directory")
        self._skip()
        if self.pos < len(self.text):  # as ncdu: nothing may follow
            raise _Bad(
                self._where(),
                f"trailing garbage after the export: {self.text[self.pos : self.pos + 12]!r}",
            )
        result = self.collector.result(str(meta.get("progver", "")), imported=True)
        model = result.model
        if not self.have_mtimes and model is not None:
            model = replace(model, ages=None)  # an export without mtimes has no ages
        return replace(result, workers=0, started_at=self.now or None, model=model)

    def _open(self, up, name, dev, info, skip=False):
        tally = DirTally(self.now, self.top, self.options.apparent)
        d = _Directory(
            up,
            name,
            0 if up is None else up.depth + 1,
            dev if isinstance(dev, int) else 0,
            skip or "excluded" in info,
            tally,
        )
        if d.skip:
            return d
        where = lambda: d.path  # noqa: E731 (built only for an error)
        d.apparent, d.disk = _size(info, "asize", where), _size(info, "dsize", where)
        tally.own(d.apparent, d.disk)
        owner = _owner(info, where)
        if owner is not None:
            add_owner(d.owners, *owner, d.apparent, d.disk)
        if info.get("read_error"):
            d.flags = READ_ERROR
            d.errors.append(PathError(d.path, OP_READ, "read error recorded in the export"))
        return d

    def _walk(self, root):
        """Read entries until the root directory's array closes."""
        stack = [root]
        text = self.text
        run = _SIMPLE_RUN.match
        split = _SIMPLE_ENTRY.findall
        space = _SPACE.match
        while stack:
            d = stack[-1]
            # Most entries are a name and sizes (perhaps an mtime): a run of
            # them is matched at once; anything else is decoded as JSON.
            m = run(text, self.pos)
            if m is not None:
                rows = split(text, self.pos, m.end())
                self.pos = m.end()
                if not d.skip:
                    self._plain_files(d, rows)
                continue
            self.pos = space(text, self.pos).end()
            char = text[self.pos : self.pos + 1]
            if char == "]":
                self.pos += 1
                stack.pop()
                self._close(d)
                continue
            if char != ",":
                found = text[self.pos : self.pos + 12] or "the end of the file"
                raise _Bad(self._where(), f"expected ',' or ']' in {d.path!r}, found {found!r}")
            self.pos += 1
            self._skip()
            at = self.pos
            if text[at : at + 1] == "[":
                self.pos += 1
                info = self._value()
                if not isinstance(info, dict):
                    raise _Bad(self._where(at), f"a directory in {d.path!r} has no {{info}}")
                sub = _name(info, lambda: self._where(at))
                if "/" in sub:
                    raise _Bad(self._where(at), f"a name with '/': {sub!r}")
                d.claim(sub, lambda: self._where(at))
                stack.append(
                    self._open(
                        d, sub, _number(info, "dev", lambda: self._where(at), d.dev), info, d.skip
                    )
                )
                continue
            item = self._value()
            if not isinstance(item, dict):
                raise _Bad(
                    self._where(at), f"neither an entry nor a directory in {d.path!r}: {item!r:.40}"
                )
            if not d.skip:
                self._entry(d, item, at)

    def _entry(self, d, item, at):
        entry = _name(item, lambda: self._where(at))
        if "/" in entry:
            raise _Bad(self._where(at), f"a name with '/': {entry!r}")
        d.claim(entry, lambda: self._where(at))
        if "excluded" in item:
            return
        if item.get("read_error"):
            d.errors.append(
                PathError(join(d.path, entry), OP_ACCESS, "read error recorded in the export")
            )
            return
        where = lambda: join(d.path, entry)  # noqa: E731 (built only for an error)
        size, blocks = _size(item, "asize", where), _size(item, "dsize", where)
        mode = _number(item, "mode", where, None)
        if mode is None:
            mode = None if item.get("notreg") else _stat.S_IFREG
        mtime = item.get("mtime")
        if not isinstance(mtime, (int, float)) or isinstance(mtime, bool) or mtime != mtime:
            mtime = None  # absent, or not a time (NaN)
        ino = _number(item, "ino", where, None)
        link = None
        if item.get("hlnkc") and ino is not None:
            link = (_number(item, "dev", where, d.dev), ino)
        self._file(d, entry, size, blocks, mtime, link, mode, _owner(item, where))

    def _file(self, d, entry, size, blocks, mtime, link, mode=_stat.S_IFREG, owner=None):
        """Count one non-directory, through the tally every scan counts with."""
        key = "(other)" if mode is None else tally_key(entry, mode)
        if link is not None:
            kind, age = d.tally.link_view(key, mtime)
            d.links.append(Link(*link, size, blocks, entry, kind, age, owner))
            return
        d.files += 1
        d.apparent += size
        d.disk += blocks
        d.tally.add((key, size, blocks, mtime, entry))
        if owner is not None:
            add_owner(d.owners, *owner, size, blocks)

    def _plain_files(self, d, rows):
        """Regular files with one link, as matched: (name, asize, dsize, mtime) strings."""
        add = d.tally.add
        apparent = disk = 0
        for name, size, blocks, mtime in rows:
            if "\\" in name:
                name = json.loads(f'"{name}"')
                if _NOT_BYTES.search(name):
                    raise _Bad(
                        d.path, f"a name with a lone surrogate escape, not bytes: {name!r:.60}"
                    )
            if not name or "/" in name:
                raise _Bad(d.path, f"bad name {name!r}")
            d.claim(name, None)
            size = int(size) if size else 0
            blocks = int(blocks) if blocks else 0
            if size > _MAX_SIZE or blocks > _MAX_SIZE:
                raise _Bad(dir_prefix(d.path) + name, f"a size past 2^63: {max(size, blocks)}")
            apparent += size
            disk += blocks
            dot = name.rfind(".")  # kinds.tally_key of a file, inlined: once per file
            add((name[dot:] if dot > 0 else "", size, blocks, int(mtime) if mtime else None, name))
        d.files += len(rows)
        d.apparent += apparent
        d.disk += disk

    def _close(self, d):
        if d.skip:
            return
        detail = d.tally.detail(flags=d.flags)
        if d.tally.mtimes_missing:  # known once the tally has summed its entries
            self.have_mtimes = False
        if d.owners:
            detail = detail._replace(owners=d.owners)
        # The directory's largest files are its candidates for the largest of all.
        self.collector.add(
            [
                Record(
                    d.key,
                    None if d.up is None else d.up.key,
                    d.name,
                    d.depth,
                    0,
                    1,
                    d.files,
                    d.apparent,
                    d.disk,
                    tops=unpack_files(detail.largest) if detail.largest else (),
                    links=d.links,
                    errors=d.errors,
                    detail=detail,
                )
            ]
        )
