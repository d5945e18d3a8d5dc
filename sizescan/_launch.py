"""The ``sizescan`` command's entry point: signals first, then everything else.

A Ctrl-C or SIGTERM can come at any instant, the imports included (about
0.2 s of them): the handlers are installed before any import of ours, and
every way out of the command passes through :func:`main`, so an
interrupted run exits 130 or 143 with nothing on stderr, whenever the
signal came.  This module imports nothing of sizescan at the top, and the
package's own ``__init__`` imports lazily.
"""

import signal
import sys


class Interrupted(BaseException):
    """SIGINT or SIGTERM.  Not a KeyboardInterrupt: click would turn that into
    "Aborted!" and exit 1, which means "some path unreadable"."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _interrupt(signum, frame):
    # The first signal decides the status; the teardown it starts (pool,
    # collector, a temporary export) is not cut short by a second one.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Interrupted(signum)


def main(argv=None):
    """Run the command; exit with its status (128 + the signal when interrupted)."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        from .cli import run

        status = run(sys.argv[1:] if argv is None else argv)
    except Interrupted as exc:
        status = 128 + exc.signum
    except KeyboardInterrupt:  # SIGINT raised by the default handler, before ours
        status = 128 + signal.SIGINT
    sys.exit(status)
