"""Writing a file whole or not at all: exports and reports."""

from __future__ import annotations

import os
import stat as _stat
import tempfile

from .errors import ExportFailed, InvalidOption


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


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
        path = os.path.realpath(self.name)  # a symlink's target is replaced, not the link
        try:
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
