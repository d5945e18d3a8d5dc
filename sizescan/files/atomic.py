"""Writing a file whole or not at all: exports and reports."""

from __future__ import annotations

import errno
import os
import stat as _stat
import tempfile

from ..engine.fs import MAX_SYMLINKS
from ..errors import ExportFailed, InvalidOption


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


_STICKY_OPEN = _stat.S_ISVTX | _stat.S_IWOTH


class PlantedLink(OSError):
    """A symlink the kernel's fs.protected_symlinks rule would not follow."""

    def __init__(self, link):
        super().__init__(
            errno.EACCES,
            "not following a symlink on its way, another user's in "
            "a sticky world-writable directory (fs.protected_symlinks)",
            link,
        )


def resolve_for_writing(path: str) -> str:
    """``path`` with every symlink on its way resolved, as ``realpath`` does,
    but refusing (:class:`PlantedLink`) the links Linux's
    ``fs.protected_symlinks`` refuses to follow: in a sticky world-writable
    directory (``/tmp``), a link owned neither by this process's user nor by
    the directory's owner.  There another user may have planted it, to make
    a root run replace a file of root's; the shell's ``>`` would be refused.
    A user's own links, and links anywhere else, are followed.
    """
    if not path.startswith("/"):
        path = os.path.join(os.getcwd(), path)
    pending = path.split("/")[::-1]  # the components left, next last
    resolved = ""  # "" is "/"
    followed = 0
    euid = os.geteuid()
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            resolved = resolved[: resolved.rfind("/")]
            continue
        candidate = f"{resolved}/{part}"
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            # Nothing there (yet): the rest is kept as it is, as realpath does.
            return "/".join([candidate, *(p for p in reversed(pending) if p not in ("", "."))])
        if not _stat.S_ISLNK(st.st_mode):
            resolved = candidate
            continue
        followed += 1
        if followed > MAX_SYMLINKS:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
        folder = os.stat(resolved or "/")
        if (
            folder.st_mode & _STICKY_OPEN == _STICKY_OPEN
            and st.st_uid != euid
            and st.st_uid != folder.st_uid
        ):
            raise PlantedLink(candidate)
        target = os.readlink(candidate)
        if target.startswith("/"):
            resolved = ""
        pending.extend(target.split("/")[::-1])
    return resolved or "/"


class OutputFile:
    """Where an export or a report goes: a file object as it is, or a path
    written atomically.

    A path gets a temporary file beside it, renamed over it only once the
    file is complete, so a failed, interrupted or out-of-space scan
    leaves the old file as it was (a cron job's last snapshot survives an
    unmounted PATH).  What is not a regular file (a FIFO, /dev/stdout) is
    written in place: a rename would replace the device, not feed it.
    """

    def __init__(self, export, what: str = "export"):
        # ``what`` ("export", "report") names the file in messages.
        self.name = None
        self.what = what
        self.out = None
        self._temp = None
        if hasattr(export, "write"):
            self.name = str(getattr(export, "name", f"the {what} file"))
            self.out = export
            self._owned = False
            return
        if isinstance(export, bool) or not isinstance(export, (str, bytes, os.PathLike)):
            raise InvalidOption(f"{what} must be a path or a binary file, not {export!r}")
        self.name = os.fsdecode(export)
        self._owned = True
        try:
            # A symlink's target is replaced, not the link.
            path = resolve_for_writing(self.name)
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise ExportFailed(self.name, exc, self.what) from None
        try:
            if st is not None and not _stat.S_ISREG(st.st_mode):
                self.out = open(path, "wb")
                return
            folder, base = os.path.split(path)
            fd, self._temp = tempfile.mkstemp(prefix=f".{base}.", suffix=".part", dir=folder)
            self._final = path
            if st is not None:  # the new file keeps the old one's mode and owner
                os.fchmod(fd, _stat.S_IMODE(st.st_mode))
                try:
                    os.fchown(fd, st.st_uid, st.st_gid)
                except OSError:
                    pass  # not ours to give away: the file is ours then
            else:
                os.fchmod(fd, 0o666 & ~_umask())
            self.out = os.fdopen(fd, "wb")
        except OSError as exc:
            self.abandon()
            raise ExportFailed(self.name, exc, self.what) from None

    def commit(self):
        """The output is complete: make it the file (raises ExportFailed)."""
        try:
            self.out.flush()
            if self._owned:
                # No fsync: the promise is that a failed, interrupted or
                # out-of-space scan never leaves a partial file, which the
                # rename gives (a full disk fails write() or close() first);
                # flushing 50 MB to the platter cost 6% of an export's time.
                self.out.close()
                if self._temp is not None:
                    os.replace(self._temp, self._final)
                    self._temp = None
        except OSError as exc:
            raise ExportFailed(self.name, exc, self.what) from None

    def abandon(self):
        """Leave everything as it was before the scan (what can be closed is closed)."""
        if self._owned and self.out is not None:
            try:
                self.out.close()
            except OSError:
                pass  # already failing: that error is the one reported
        if self._temp is not None:
            try:
                os.unlink(self._temp)
            except OSError:
                pass
            self._temp = None
