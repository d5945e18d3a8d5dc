"""A directory's key and path, and the flags its record carries.

A leaf (of sizescan it imports only its hash): the scan's records, the
model and the export reader all name directories this way.
"""

from __future__ import annotations

from typing import Optional

from ..hashes import builtin

blake2b = builtin("blake2b")

# Flags of a Detail.
READ_ERROR = 1  # the directory could not be read
EXCLUDED = 2  # a cache directory (CACHEDIR.TAG): counted nowhere


def dir_prefix(path: str) -> str:
    """``path`` with exactly one trailing '/', ready for a name to be appended."""
    return path if path.endswith("/") else path + "/"


def join(directory: str, name: Optional[str]) -> str:
    """The path of entry ``name`` in ``directory``; ``None`` names the path itself."""
    if name is None:
        return directory
    return dir_prefix(directory) + name


def path_up(names: list) -> str:
    """The path of a directory from its name and its ancestors', nearest
    first, its PATH last: one join, in time of the path's length."""
    top = names[-1]
    return dir_prefix(top) + "/".join(reversed(names[:-1])) if len(names) > 1 else top


# A directory is known by a 16-byte key chained from its parent's, not by
# its path: the paths of a deep tree add up to the square of its depth (a
# 20,000-level chain's to 400 MB), its keys to 16 bytes a level.  Keys are
# relative to the PATH's index, so the same tree under two PATHs, or in a
# scan and in its export, has the same keys below its top.  128 bits make a
# collision among 10^12 directories about 10^-15 likely.
_ROOT = b"sizescan-root"


def root_key(index: int) -> bytes:
    """The key of the PATH at ``index`` (see :func:`dir_key`)."""
    return blake2b(str(index).encode(), digest_size=16, person=_ROOT).digest()


def dir_key(parent: bytes, name: str) -> bytes:
    """The key of directory ``name`` inside the directory keyed ``parent``."""
    return blake2b(parent + name.encode("utf-8", "surrogateescape"), digest_size=16).digest()


def name_of(path: str, parent: Optional[bytes]) -> str:
    """The name a record goes by: ``path``'s last component, the whole of it for a PATH."""
    return path if parent is None else path[path.rindex("/") + 1 :]
