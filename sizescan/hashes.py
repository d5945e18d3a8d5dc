"""Hash functions from CPython's own modules, hashlib only where they are absent.

Importing hashlib loads OpenSSL, 3.7 MiB more in every process of a scan,
for the two hashes sizescan uses (a directory's key, a report's script).
And under ulimit -v, where neither OpenSSL nor CPython's modules can be
mapped, hashlib logs a traceback for each of its algorithms and goes on
without them: a scan that runs out of memory must say so in one line.
"""

from __future__ import annotations

import importlib
import sys

# Where CPython keeps each hash of its own (3.12 put the SHA-2 family in one
# module).  SHA-512 is random's, which falls back to hashlib as loudly (see
# _launch, which loads it first).
_MODULES = {
    "blake2b": "_blake2",
    "sha256": "_sha2" if sys.version_info >= (3, 12) else "_sha256",
    "sha512": "_sha2" if sys.version_info >= (3, 12) else "_sha512",
}


def builtin(name: str):
    """The constructor of hash ``name`` (a key of _MODULES), as hashlib's."""
    try:
        return getattr(importlib.import_module(_MODULES[name]), name)
    except ModuleNotFoundError:
        pass  # another Python, or a CPython built without it (Fedora keeps only BLAKE2)
    # A module that could not be mapped is an ImportError that is not this:
    # out of memory, raised as it is.
    import logging

    disabled = logging.root.manager.disable
    logging.disable(logging.CRITICAL)  # no traceback per algorithm (see above)
    try:
        import hashlib
    finally:
        logging.disable(disabled)
    found = getattr(hashlib, name, None)
    if found is None:  # neither OpenSSL's nor CPython's could be loaded
        raise MemoryError(f"cannot load the {name} hash")
    return found
