"""How a name is shown to people: one line, nothing a terminal would act on.

A leaf (it imports nothing of sizescan): the people formatter, the export
reader's messages and the HTML report all escape names this way.
"""

from __future__ import annotations

import base64
import re
import unicodedata

# Control characters (C0, DEL, C1) and the lone surrogates that stand for
# bytes that are not UTF-8: none of them may reach a terminal as they are,
# or a name could split a line or send an escape sequence.
# The backslash itself is escaped too (as ``ls -b`` does): else a name
# holding a backslash and an n would print as one holding a newline.
_UNSAFE = re.compile("[\\\\\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\"}
# And, beyond ASCII, Unicode's other invisible troublemakers: format
# characters (Cf: U+202E RIGHT-TO-LEFT OVERRIDE shows invoice\u202efdp.exe
# as invoiceexe.pdf; U+200B, U+200D, U+2066-2069, U+FEFF) and the line and
# paragraph separators (Zl, Zp: a line break in some terminals and logs).
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _escape_char(c: str) -> str:
    if c in _NAMED:
        return _NAMED[c]
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def display_path(path: str) -> str:
    """A path safe to print on one terminal line: unsafe characters escaped
    (``\\n``, ``\\xNN`` for a byte that is not UTF-8, ``\\u202e``...)."""
    if path.isascii():
        return _UNSAFE.sub(lambda m: _escape_char(m.group()), path)
    return "".join(
        _escape_char(c)
        if _UNSAFE.match(c)
        or (not c.isprintable() and unicodedata.category(c) in _UNSAFE_CATEGORIES)
        else c
        for c in path
    )


def display_message(text: str) -> str:
    """A message safe to print on one line, whose names may already be
    quoted with ``repr`` (which escapes with backslashes): control and
    invisible characters escaped as :func:`display_path` does, backslashes
    left as they are, so repr's own escapes are not doubled."""
    return "\\".join(display_path(part) for part in text.split("\\"))


def quote(path: str) -> str:
    """A path as du quotes it in messages: in single quotes, escaped."""
    shown = display_path(path)
    if "'" in shown:
        return '"' + shown + '"'
    return "'" + shown + "'"


def exact_b64(path: str) -> str | None:
    """A path's exact bytes in base64 when it is not valid UTF-8 (else None):
    how --json and the report keep a name they cannot show as it is."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return base64.b64encode(path.encode("utf-8", "surrogateescape")).decode("ascii")
    return None


def path_fields(path: str) -> dict:
    """A path as JSON fields: ``path``, and ``path_b64`` when it is not UTF-8."""
    raw = exact_b64(path)
    if raw is None:
        return {"path": path}
    return {
        "path": path.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
        "path_b64": raw,
    }
