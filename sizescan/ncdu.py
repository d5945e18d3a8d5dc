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


def read_export(source, *, top: int = 10, apparent: bool = False, max_depth: int | None = None):
    """Read an ncdu-format export (sizescan, ncdu 1.x/2.x, gdu) into a ScanResult.

    ``source`` is a path or a binary file.  The result has views (tree,
    by_type, by_age when the file has mtimes, directories), with the
    directory totals a scan would have given: every directory's own size
    plus its entries, hard links (``ino`` with ``hlnkc``) counted once.
    Raises :class:`sizescan.errors.BadExport` naming what is wrong and where.
    """
    from .collect import Collector
    from .errors import BadExport
    from .worker import AGES, DIRECTORY_KIND, OP_ACCESS, OP_READ, READ_ERROR, kind_of

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
    try:
        doc = json.loads(raw.decode("utf-8", "surrogateescape"))
    except json.JSONDecodeError as exc:
        raise BadExport(f"{name}: line {exc.lineno} column {exc.colno}: not JSON: {exc.msg}") from None
    except RecursionError:
        raise BadExport(f"{name}: nested too deeply for this reader") from None
    try:
        if not (isinstance(doc, list) and len(doc) >= 4 and isinstance(doc[2], dict)):
            raise _Bad("top level", "not an ncdu export (expected [1, 2, {metadata}, [root...]])")
        if doc[0] != MAJOR or not isinstance(doc[1], int):
            raise _Bad("top level", f"unsupported format version {doc[0]!r}.{doc[1]!r} (major 1 is read)")
        root = doc[3]
        if not (isinstance(root, list) and root and isinstance(root[0], dict)):
            raise _Bad("root", "not a directory array [{info}, ...]")
        root_name = root[0].get("name")
        if not isinstance(root_name, str) or not root_name:
            raise _Bad("root", 'no "name"')
        root_path = root_name if root_name == "/" else root_name.rstrip("/") or "/"
        timestamp = doc[2].get("timestamp")
        now = timestamp if isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool) else 0
        collector = Collector([root_path], top=top, apparent=apparent, max_depth=max_depth,
                              views=True, dir_files=top)
        have_mtimes = True
        bounds = [bound for _, bound in AGES[:-1]]

        def bucket(info):
            mtime = info.get("mtime")
            if not isinstance(mtime, (int, float)) or isinstance(mtime, bool):
                return None
            age = now - mtime
            return 3 * sum(1 for bound in bounds if age >= bound)

        # An explicit stack: exports can be thousands of levels deep.
        stack = [(root, root_path, 0, root[0].get("dev", 0))]
        while stack:
            array, path, depth, dev = stack.pop()
            info = array[0]
            if not isinstance(info, dict):
                raise _Bad(path, "a directory's first item is not its {info}")
            if "excluded" in info and depth:
                continue  # ncdu writes excluded directories as arrays too
            own_apparent, own_disk = _size(info, "asize", path), _size(info, "dsize", path)
            errors = []
            flags = 0
            if info.get("read_error"):
                flags = READ_ERROR
                errors.append((path, OP_READ, "read error recorded in the export"))
            kinds = {DIRECTORY_KIND: [1, own_apparent, own_disk]}
            ages = [0] * (3 * len(AGES))
            files = 0
            apparent_sum, disk_sum = own_apparent, own_disk
            links, kept = [], []
            prefix = path if path.endswith("/") else path + "/"
            for position, item in enumerate(array[1:], 1):
                if isinstance(item, list):
                    if not item or not isinstance(item[0], dict):
                        raise _Bad(f"{path} item {position}", "an empty or malformed directory array")
                    sub = item[0].get("name")
                    if not isinstance(sub, str) or not sub or "/" in sub:
                        raise _Bad(f"{path} item {position}", f"bad directory name {sub!r}")
                    stack.append((item, prefix + sub, depth + 1, item[0].get("dev", dev)))
                    continue
                if not isinstance(item, dict):
                    raise _Bad(f"{path} item {position}", f"neither an entry nor a directory: {item!r:.40}")
                entry = item.get("name")
                if not isinstance(entry, str) or not entry or "/" in entry:
                    raise _Bad(f"{path} item {position}", f"bad name {entry!r}")
                if "excluded" in item:
                    continue
                if item.get("read_error"):
                    errors.append((prefix + entry, OP_ACCESS, "read error recorded in the export"))
                    continue
                where = prefix + entry
                size, blocks = _size(item, "asize", where), _size(item, "dsize", where)
                mode = item.get("mode")
                if isinstance(mode, int) and not isinstance(mode, bool):
                    kind = kind_of(entry, mode)
                else:
                    kind = "(other)" if item.get("notreg") else kind_of(entry, _stat.S_IFREG)
                age = bucket(item)
                if age is None:
                    have_mtimes = False
                    age = 0
                if item.get("hlnkc") and isinstance(item.get("ino"), int):
                    links.append((item.get("dev", dev), item["ino"], size, blocks, entry, kind, age))
                    continue
                files += 1
                apparent_sum += size
                disk_sum += blocks
                slot = kinds.setdefault(kind, [0, 0, 0])
                slot[0] += 1
                slot[1] += size
                slot[2] += blocks
                ages[age] += 1
                ages[age + 1] += size
                ages[age + 2] += blocks
                kept.append((size, blocks, entry))
            if top:
                kept.sort(key=lambda f: (f[0] if apparent else f[1], f[2]), reverse=True)
                del kept[top:]
            collector.add([(path, depth, 0, 1, files, apparent_sum, disk_sum, kept, links,
                            errors, 0, (kinds, ages, kept or None, None, None, flags))])
    except _Bad as exc:
        raise BadExport(f"{name}: {exc}") from None
    result = collector.result(str(doc[2].get("progver", "")))
    result.workers = 0
    if not have_mtimes:
        result.model.ages = None
    return result
