"""ncdu's JSON export format: the interchange format of ncdu and gdu.

A file is ``[1, 2, {metadata}, <root>]`` where a directory is an array
``[{info}, child, child, ...]`` and anything else is an object ``{info}``.
Each directory's ``asize``/``dsize`` are its own sizes; readers add up the
children.  Names are byte strings: ncdu writes them as they are on disk,
valid UTF-8 or not, and refuses ``\\udcXX`` escapes (which ``json.dumps``
writes for undecodable names), so names are escaped here on bytes: only
control characters, ``"``, ``\\`` and DEL.

This module writes entries (for the per-entry pipeline in ``worker``),
streams a whole export from a scan's spool (:func:`write_export`), and
reads one back into the scan model (:func:`read_export`).
"""

from __future__ import annotations

import json
import os
import re
import stat as _stat

from .kinds import AGES, DIRECTORY_KIND, age_slot, kind_of, merge_suffixes

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
    text = f'{{"name":"{json_name(name)}","asize":{st.st_size},"dsize":{st.st_blocks * 512}'
    if dev is not None:
        text += f',"dev":{dev}'
    if extended:
        text += f',"uid":{st.st_uid},"gid":{st.st_gid},"mode":{st.st_mode},"mtime":{int(st.st_mtime)}'
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


def unreadable_entry(name: str) -> str:
    """An entry that could not be stat'ed."""
    return f'{{"name":"{json_name(name)}","read_error":true}}'


def write_export(index, root: str, root_info: str, out, *, progver: str, timestamp: int) -> None:
    """Stream a scan's export to the binary file ``out``, from its spool.

    ``index`` says where each directory's text went in the spool file (see
    :class:`sizescan.result.ExportIndex`).  The nesting is rebuilt here,
    directory by directory with an explicit stack (trees can be thousands
    of levels deep); each directory's entries are copied from the spool as
    they are written, so memory stays bounded by directories.
    """
    from .worker import EXCLUDED, READ_ERROR

    dirs, flags, infos, fragments = index.dirs, index.flags, index.infos, index.fragments
    children = {}
    for path, slot in dirs.items():
        if path != root and (slot[3] or flags.get(path, 0) & EXCLUDED):
            cut = path.rindex("/")
            children.setdefault(path[:cut] or "/", []).append(path)
    write = out.write
    header = {"progname": "sizescan", "progver": progver, "timestamp": timestamp}
    write(f"[{MAJOR},{MINOR},{json.dumps(header, separators=(',', ':'))},\n".encode())
    spool = os.open(index.spool, os.O_RDONLY | os.O_CLOEXEC)
    try:
        def open_dir(path, info):
            flag = flags.get(path, 0)
            write(b"[" + info.encode("utf-8", "surrogateescape")
                  + (b',"read_error":true}' if flag & READ_ERROR else b"}"))
            for offset, length in fragments.get(path, ()):
                write(os.pread(spool, length, offset))
            return iter(children.get(path, ()))

        stack = [open_dir(root, root_info)]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                write(b"]")
                stack.pop()
                continue
            name = child[child.rindex("/") + 1:]
            write(b",\n")
            if flags.get(child, 0) & EXCLUDED:
                write(excluded_entry(name, "pattern").encode("utf-8", "surrogateescape"))
                continue
            info = infos.get(child) or f'{{"name":"{json_name(name)}"'
            stack.append(open_dir(child, info))
        write(b"]\n")
    finally:
        os.close(spool)


class _Bad(Exception):
    def __init__(self, where, what):
        super().__init__(f"{where}: {what}")


def _size(info, key, where):
    value = info.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Bad(where, f'"{key}" is not a byte count: {value!r}')
    return value


def _name(info, where):
    """The entry's name; ``where`` (called only on error) says where it is."""
    name = info.get("name")
    if not isinstance(name, str) or not name:
        raise _Bad(where(), f'no "name" (or not a string): {name!r:.60}')
    return name


class _Directory:
    """A directory being read: its record, built as its entries come."""

    __slots__ = ("path", "depth", "dev", "skip", "files", "apparent", "disk", "kinds", "suffixes",
                 "ages", "kept", "floor", "links", "errors", "flags")

    def __init__(self, path, depth, dev, skip):
        self.path, self.depth, self.dev, self.skip = path, depth, dev, skip
        self.files = self.apparent = self.disk = self.flags = 0
        self.kinds, self.suffixes, self.ages, self.links, self.errors = {}, {}, None, [], []
        # Largest files as (sort size, other size, name, apparent, disk), and
        # the smallest that may still get in: see _plain_files.
        self.kept, self.floor = [], (-1, -1)


_SPACE = re.compile(r"[ \t\n\r]*")
# ",{name, sizes, maybe mtime}": what most entries of sizescan, ncdu and gdu
# exports look like; a name with escapes is decoded as a JSON string.
_SIMPLE = (r'[ \t\n\r]*,[ \t\n\r]*\{"name":"((?:[^"\\\x00-\x1f]|\\.)*)"'
           r'(?:,"asize":(\d+))?(?:,"dsize":(\d+))?(?:,"mtime":(\d+))?\}')
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
    from .errors import BadExport

    name = getattr(source, "name", source)
    try:
        if hasattr(source, "read"):
            raw = source.read()
        else:
            with open(source, "rb") as f:
                raw = f.read()
    except OSError as exc:
        raise BadExport(f"{name}: {exc.strerror}") from None
    if raw.startswith(b"\xbfncduEX1"):
        raise BadExport(f"{name}: ncdu's binary export format is not read; "
                        "export JSON with ncdu -o instead of -O")
    if not raw.strip():
        raise BadExport(f"{name}: empty file, not an ncdu export")
    # Names are bytes: undecodable ones become lone surrogates, and go back
    # to the same bytes wherever they are used as paths.
    text = raw.decode("utf-8", "surrogateescape")
    del raw
    reader = _Reader(text, top=top, apparent=apparent, max_depth=max_depth)
    try:
        return reader.read()
    except _Bad as exc:
        raise BadExport(f"{name}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BadExport(f"{name}: line {exc.lineno} column {exc.colno}: not JSON: {exc.msg}") from None
    except RecursionError:
        raise BadExport(f"{name}: an entry is nested too deeply") from None


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
        return self.text[self.pos:self.pos + 1]

    def _expect(self, char, what):
        if self._peek() != char:
            found = self.text[self.pos:self.pos + 12] or "the end of the file"
            raise _Bad(self._where(), f"expected {what}, found {found!r}")
        self.pos += 1

    def _value(self):
        self._skip()
        value, self.pos = self._decode(self.text, self.pos)
        return value

    def read(self):
        from .collect import Collector

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
        self.collector = Collector([root], top=self.top, apparent=self.apparent,
                                   max_depth=self.max_depth, views=True, dir_files=self.top)
        self._walk(self._open(root, 0, info.get("dev", 0), info))
        self._skip()
        if self.pos < len(self.text):
            if self.text[self.pos] != "]":
                raise _Bad(self._where(), "expected ']' closing the export after the root directory")
        result = self.collector.result(str(meta.get("progver", "")))
        result.workers = 0
        if not self.have_mtimes:
            result.model.ages = None
        return result

    def _open(self, path, depth, dev, info, skip=False):
        from .worker import OP_READ, READ_ERROR

        d = _Directory(path, depth, dev if isinstance(dev, int) else 0, skip or "excluded" in info)
        if d.skip:
            return d
        own_size, own_disk = _size(info, "asize", path), _size(info, "dsize", path)
        d.apparent, d.disk = own_size, own_disk
        d.kinds[DIRECTORY_KIND] = [1, own_size, own_disk]
        d.ages = [0] * (3 * len(AGES))
        if info.get("read_error"):
            d.flags = READ_ERROR
            d.errors.append((path, OP_READ, "read error recorded in the export"))
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
            char = text[self.pos:self.pos + 1]
            if char == "]":
                self.pos += 1
                stack.pop()
                self._close(d)
                continue
            if char != ",":
                found = text[self.pos:self.pos + 12] or "the end of the file"
                raise _Bad(self._where(), f"expected ',' or ']' in {d.path!r}, found {found!r}")
            self.pos += 1
            self._skip()
            at = self.pos
            if text[at:at + 1] == "[":
                self.pos += 1
                info = self._value()
                if not isinstance(info, dict):
                    raise _Bad(self._where(at), f"a directory in {d.path!r} has no {{info}}")
                sub = _name(info, lambda: self._where(at))
                if "/" in sub:
                    raise _Bad(self._where(at), f"a name with '/': {sub!r}")
                prefix = d.path if d.path.endswith("/") else d.path + "/"
                stack.append(self._open(prefix + sub, d.depth + 1, info.get("dev", d.dev), info,
                                        d.skip))
                continue
            item = self._value()
            if not isinstance(item, dict):
                raise _Bad(self._where(at), f"neither an entry nor a directory in {d.path!r}: {item!r:.40}")
            if not d.skip:
                self._entry(d, item, at)

    def _entry(self, d, item, at):
        from .worker import OP_ACCESS

        entry = _name(item, lambda: self._where(at))
        if "/" in entry:
            raise _Bad(self._where(at), f"a name with '/': {entry!r}")
        if "excluded" in item:
            return
        prefix = d.path if d.path.endswith("/") else d.path + "/"
        if item.get("read_error"):
            d.errors.append((prefix + entry, OP_ACCESS, "read error recorded in the export"))
            return
        where = prefix + entry
        size, blocks = _size(item, "asize", where), _size(item, "dsize", where)
        mode = item.get("mode")
        if not isinstance(mode, int) or isinstance(mode, bool):
            mode = None if item.get("notreg") else _stat.S_IFREG
        mtime = item.get("mtime")
        if not isinstance(mtime, (int, float)) or isinstance(mtime, bool):
            mtime = None
        ino = item.get("ino")
        link = None
        if item.get("hlnkc") and isinstance(ino, int):
            link = (item.get("dev", d.dev), ino)
        self._file(d, entry, size, blocks, mtime, link, mode)

    def _file(self, d, entry, size, blocks, mtime, link, mode=_stat.S_IFREG):
        """Count one non-directory: the same bookkeeping as a worker's."""
        kind = "(other)" if mode is None else kind_of(entry, mode)
        if mtime is None:
            self.have_mtimes = False
            age = 0
        else:
            age = age_slot(self.now - mtime)
        if link is not None:
            d.links.append((*link, size, blocks, entry, kind, age))
            return
        d.files += 1
        d.apparent += size
        d.disk += blocks
        slot = d.kinds.get(kind)
        if slot is None:
            d.kinds[kind] = [1, size, blocks]
        else:
            slot[0] += 1
            slot[1] += size
            slot[2] += blocks
        d.ages[age] += 1
        d.ages[age + 1] += size
        d.ages[age + 2] += blocks
        if self.top:
            key, other = (size, blocks) if self.apparent else (blocks, size)
            d.kept.append((key, other, entry, size, blocks))

    def _plain_files(self, d, rows):
        """Regular files with one link, as matched: (name, asize, dsize, mtime) strings."""
        suffixes, ages, kept = d.suffixes, d.ages, d.kept
        now, top, by_apparent = self.now, self.top, self.apparent
        day, week, month, year = (bound for _, bound in AGES[:-1])
        floor, floor_other = d.floor
        apparent = disk = 0
        for name, size, blocks, mtime in rows:
            if "\\" in name:
                name = json.loads(f'"{name}"')
            if not name or "/" in name:
                raise _Bad(d.path, f"bad name {name!r}")
            size = int(size) if size else 0
            blocks = int(blocks) if blocks else 0
            apparent += size
            disk += blocks
            dot = name.rfind(".")
            suffix = name[dot:] if dot > 0 else ""
            slot = suffixes.get(suffix)
            if slot is None:
                suffixes[suffix] = [1, size, blocks]
            else:
                slot[0] += 1
                slot[1] += size
                slot[2] += blocks
            if mtime:
                age = now - int(mtime)
                i = (0 if age < day else 3 if age < week else 6 if age < month
                     else 9 if age < year else 12)
            else:
                self.have_mtimes = False
                i = 0
            ages[i] += 1
            ages[i + 1] += size
            ages[i + 2] += blocks
            if top:
                key, other = (size, blocks) if by_apparent else (blocks, size)
                if key > floor or (key == floor and other > floor_other) or len(kept) < top:
                    kept.append((key, other, name, size, blocks))
                    if len(kept) >= 2 * top:  # trimmed now and then: bounded, and cheap
                        kept.sort(reverse=True)
                        del kept[top:]
                        floor, floor_other = kept[-1][:2]
        d.floor = (floor, floor_other)
        d.files += len(rows)
        d.apparent += apparent
        d.disk += disk

    def _close(self, d):
        if d.skip:
            return
        merge_suffixes(d.suffixes, into=d.kinds)
        kept = sorted(d.kept, reverse=True)[:self.top]
        files = [(k[3], k[4], k[2]) for k in kept]
        self.collector.add([(d.path, d.depth, 0, 1, d.files, d.apparent, d.disk, files, d.links,
                             d.errors, 0, (d.kinds, d.ages, files or None, None, None, d.flags))])
