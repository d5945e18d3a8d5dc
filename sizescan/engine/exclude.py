"""``--exclude PATTERN`` with GNU du's semantics.

du hands each pattern to gnulib's ``exclude_fnmatch`` with plain
``fnmatch(3)`` flags: ``*`` and ``?`` match ``/`` and leading dots too, and
a backslash quotes the next character.  A path is excluded when the pattern
matches the whole path as du prints it, or any tail of it that starts just
after a ``/`` (so ``--exclude=cache`` drops every entry named ``cache``,
and ``--exclude='*.log'`` every ``.log`` file).
"""

from __future__ import annotations

import os
import re
import sys

# POSIX character classes inside brackets, as fnmatch(3) has them in the C
# locale (du in another locale may also match non-ASCII letters).
_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "xdigit": "0-9A-Fa-f",
    "cntrl": "\\x00-\\x1f\\x7f",
    "print": "\\x20-\\x7e",
    "graph": "\\x21-\\x7e",
    "punct": "!-/:-@\\[-`{-~",
}


def _bracket(pattern: str, i: int):
    """The bracket expression opening at ``pattern[i - 1]``, as a regex class.

    Returns (regex, index after it), or None when it does not close (then
    the '[' is a literal, as in fnmatch).  A range whose end sorts before
    its start matches nothing, as in fnmatch (``re`` would refuse it).
    """
    n = len(pattern)
    out = []
    negate = i < n and pattern[i] in "!^"
    if negate:
        i += 1
    first = True
    while i < n and (first or pattern[i] != "]"):
        first = False
        if pattern.startswith("[:", i):
            close = pattern.find(":]", i + 2)
            name = pattern[i + 2 : close] if close > 0 else None
            if name in _CLASSES:
                out.append(_CLASSES[name])
                i = close + 2
                continue
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            i += 1
            c = pattern[i]
        i += 1
        if i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
            end = pattern[i + 1]
            if end == "\\" and i + 2 < n:
                i += 1
                end = pattern[i + 1]
            i += 2
            if end < c:
                continue  # [z-a]: no character is in it
            out.append(f"{re.escape(c)}-{re.escape(end)}")
        else:
            out.append(re.escape(c))
    if i >= n:
        return None
    body = "".join(out)
    if negate:
        return f"[^{body}]" if body else "(?s:.)", i + 1
    if not body:  # only empty ranges: nothing matches
        return "(?!)", i + 1
    return f"[{body}]", i + 1


def _translate(pattern: str) -> str:
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "\\" and i < n:
            out.append(re.escape(pattern[i]))
            i += 1
        elif c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            bracket = _bracket(pattern, i)
            if bracket is None:
                out.append(re.escape(c))  # no closing bracket: a literal '['
            else:
                regex, i = bracket
                out.append(regex)
        else:
            out.append(re.escape(c))
    return "".join(out)


class ExcludeMatcher:
    """A callable that tells whether du would exclude a path.

    Picklable (it keeps the patterns and the locale, not the compiled
    regex), so it can be handed to pool workers under every start method.

    A path and patterns all in ASCII are matched by a regex: every locale's
    fnmatch agrees on them.  Beyond ASCII, fnmatch's answer depends on the
    locale, and glibc's in a UTF-8 locale has rules of its own (a name
    matches if it matches as characters or as bytes: ``??`` matches
    ``é`` as ``?`` does), so such a path is asked of the C library's own
    fnmatch, as du asks it, in du's locale (see :func:`du_locale`), set for
    the calling thread alone (``uselocale``).  Where there is no such C
    library, the regex answers, by characters.
    """

    def __init__(self, patterns, locale_name=None):
        self.patterns = tuple(patterns)
        self.locale_name = du_locale() if locale_name is None else locale_name
        self._compile()

    def _compile(self):
        body = "|".join(f"(?:{_translate(p)})" for p in self.patterns)
        # Either the whole path, or a tail starting after a '/' that is not
        # itself followed by '/': exactly gnulib's loop over the path.
        self._match = re.compile(rf"(?s:(?:.*/(?!/))?(?:{body}))\Z").match
        self._ascii = all(p.isascii() for p in self.patterns)
        self._libc = None  # made on the first path beyond ASCII

    def __call__(self, path: str) -> bool:
        if self._ascii and path.isascii():
            return self._match(path) is not None
        if self._libc is None:
            self._libc = _LibcFnmatch.of(self.locale_name, self.patterns) or False
        if self._libc is False:
            return self._match(path) is not None
        return self._libc(path.encode("utf-8", "surrogateescape"))

    def __getstate__(self):
        return self.patterns, self.locale_name

    def __setstate__(self, state):
        self.patterns, self.locale_name = state
        self._compile()


def du_locale() -> str:
    """The LC_CTYPE locale du would run in, from this process's environment.

    Python itself may have changed it: started in the C or POSIX locale, it
    coerces LC_CTYPE to C.UTF-8 (PEP 538, cron's case: no LANG at all) and
    turns on its UTF-8 mode; du, started from the same environment, runs in
    C.  So a C.UTF-8 LC_CTYPE that came with the UTF-8 mode, with no LC_ALL,
    was C.
    """
    env = os.environ
    if env.get("LC_ALL"):
        return env["LC_ALL"]
    ctype = env.get("LC_CTYPE") or env.get("LANG") or "C"
    if (
        env.get("LC_CTYPE") in ("C.UTF-8", "C.utf8", "UTF-8")
        and sys.flags.utf8_mode
        and env.get("PYTHONUTF8") != "1"
        and env.get("LANG", "C") in ("", "C", "POSIX")
    ):
        return "C"
    return ctype


class _LibcFnmatch:
    """The C library's fnmatch(3) with du's flags, in one locale, for one
    list of patterns; None from :meth:`of` where it cannot be had."""

    _LC_CTYPE_MASK = 1 << 0  # glibc's LC_CTYPE category is 0
    _LC_COLLATE_MASK = 1 << 3  # and LC_COLLATE 3: ranges follow collation

    @classmethod
    def of(cls, locale_name, patterns):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            newlocale, uselocale, fnmatch = libc.newlocale, libc.uselocale, libc.fnmatch
        except (OSError, AttributeError):
            return None
        newlocale.restype = uselocale.restype = ctypes.c_void_p
        newlocale.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p]
        uselocale.argtypes = [ctypes.c_void_p]
        fnmatch.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
        name = locale_name.encode("ascii", "replace")
        handle = newlocale(cls._LC_CTYPE_MASK | cls._LC_COLLATE_MASK, name, None)
        if not handle:  # not installed: the C library would run in C
            handle = newlocale(cls._LC_CTYPE_MASK | cls._LC_COLLATE_MASK, b"C", None)
        if not handle:
            return None
        return cls(handle, uselocale, fnmatch, patterns)

    def __init__(self, handle, uselocale, fnmatch, patterns):
        self.handle, self.uselocale, self.fnmatch = handle, uselocale, fnmatch
        self.patterns = [p.encode("utf-8", "surrogateescape") for p in patterns]

    def __call__(self, path: bytes) -> bool:
        # gnulib's exclude_fnmatch: the whole path, then each tail that
        # starts after a '/' not followed by another.
        tails = [path] + [
            path[i + 1 :]
            for i in range(len(path))
            if path[i] == 0x2F and path[i + 1 : i + 2] != b"/"
        ]
        previous = self.uselocale(self.handle)
        try:
            return any(
                self.fnmatch(pattern, tail, 0) == 0 for pattern in self.patterns for tail in tails
            )
        finally:
            self.uselocale(previous)


# git's own ASCII ctype (its ctype.c and wildmatch.c), whatever the
# locale: the sets [[:class:]] stands for, as bytes.
def _ascii(test) -> bytes:
    return bytes(c for c in range(128) if test(c))


_GIT_CLASSES = {
    b"alnum": _ascii(lambda c: chr(c).isalnum()),
    b"alpha": _ascii(lambda c: chr(c).isalpha()),
    b"blank": b" \t",
    b"cntrl": _ascii(lambda c: c < 32 or c == 127),
    b"digit": b"0123456789",
    b"graph": _ascii(lambda c: 33 <= c <= 126),
    b"lower": _ascii(lambda c: 97 <= c <= 122),
    b"print": _ascii(lambda c: 32 <= c <= 126),
    b"punct": _ascii(lambda c: 33 <= c <= 126 and not chr(c).isalnum()),
    b"space": b" \t\n\r",  # git's isspace: not \v nor \f
    b"upper": _ascii(lambda c: 65 <= c <= 90),
    b"xdigit": b"0123456789abcdefABCDEF",
}


class _NeverMatches(Exception):
    """A pattern git's wildmatch gives up on whatever the name (an unclosed
    bracket, an unknown [:class:]): it matches nothing."""


def _byte_set(members: set, negate: bool, pathname: bool) -> bytes:
    if pathname:
        if negate:
            members = members | {0x2F}  # a bracket never matches '/' there
        else:
            members = members - {0x2F}
    if not negate and not members:
        return b"(?!)"
    body = b"".join(re.escape(bytes([c])) for c in sorted(members))
    if negate:
        return b"[^" + body + b"]" if body else b"(?s:.)"
    return b"[" + body + b"]"


def _git_bracket(p: bytes, i: int, pathname: bool):
    """The bracket expression whose '[' is ``p[i - 1]``, as git's wildmatch
    reads it: (a regex of one byte, index after its ']')."""
    n = len(p)
    negate = i < n and p[i] in b"!^"
    if negate:
        i += 1
    members: set = set()
    prev = None  # the last single byte, a range's possible start
    first = True
    while True:
        if i >= n:
            raise _NeverMatches()
        c = p[i]
        if c == 0x5D and not first:  # ']'
            return _byte_set(members, negate, pathname), i + 1
        first = False
        if c == 0x5C:  # '\\': the next byte as it is
            i += 1
            if i >= n:
                raise _NeverMatches()
            members.add(p[i])
            prev = p[i]
            i += 1
        elif c == 0x2D and prev is not None and i + 1 < n and p[i + 1] != 0x5D:  # a range
            end = p[i + 1]
            i += 2
            if end == 0x5C:
                if i >= n:
                    raise _NeverMatches()
                end = p[i]
                i += 1
            members.update(range(prev, end + 1))  # empty if end < prev, as in git
            prev = None
        elif c == 0x5B and i + 1 < n and p[i + 1] == 0x3A:  # '[:'
            close = p.find(b"]", i + 2)
            if close < 0:
                raise _NeverMatches()
            if close - 1 < i + 2 or p[close - 1] != 0x3A:  # no ':]': a plain '['
                members.add(c)
                prev = c
                i += 1
                continue
            name = p[i + 2 : close - 1]
            if name not in _GIT_CLASSES:
                raise _NeverMatches()
            members.update(_GIT_CLASSES[name])
            prev = None
            i = close + 1
        else:
            members.add(c)
            prev = c
            i += 1


def _git_translate(p: bytes, pathname: bool) -> bytes:
    """A git wildmatch pattern as a bytes regex, byte for byte (``?`` is one
    byte, not one character).  ``pathname`` is WM_PATHNAME: ``*``, ``?``
    and brackets do not match '/', and ``**`` between slashes matches any
    number of directories."""
    out = []
    i, n = 0, len(p)
    while i < n:
        c = p[i]
        i += 1
        if c == 0x5C:  # '\\'
            if i >= n:
                raise _NeverMatches()  # a trailing backslash matches nothing
            out.append(re.escape(p[i : i + 1]))
            i += 1
        elif c == 0x3F:  # '?'
            out.append(b"[^/]" if pathname else b"(?s:.)")
        elif c == 0x2A:  # '*'
            start = i - 1
            while i < n and p[i] == 0x2A:
                i += 1
            double = i - start > 1
            if not pathname:
                out.append(b"(?s:.*)")
            elif (
                double
                and (start == 0 or p[start - 1] == 0x2F)
                and (i == n or p[i] == 0x2F or p[i : i + 2] == b"\\/")
            ):
                if i == n:
                    out.append(b"(?s:.*)")  # a trailing "/**": everything below
                else:
                    # "**/": no directory, or any number of them.
                    i += 1 if p[i] == 0x2F else 2
                    out.append(b"(?s:(?:.*/)?)")
            else:
                out.append(b"[^/]*")
        elif c == 0x5B:  # '['
            regex, i = _git_bracket(p, i, pathname)
            out.append(regex)
        else:
            out.append(re.escape(p[i - 1 : i]))
    return b"".join(out)


def _trim_trailing_spaces(line: bytes) -> bytes:
    """git's trim_trailing_spaces: trailing spaces go, unless the last one is
    quoted with a backslash."""
    last_space = None
    i = 0
    while i < len(line):
        c = line[i]
        if c == 0x20:
            if last_space is None:
                last_space = i
        else:
            last_space = None
            if c == 0x5C:
                i += 1
                if i >= len(line):
                    break
        i += 1
    return line if last_space is None else line[:last_space]


class _Pattern:
    """One line of a gitignore file, as git's dir.c parses it."""

    __slots__ = ("negative", "dir_only", "basename", "regex")

    def __init__(self, line: bytes):
        self.negative = line.startswith(b"!")
        if self.negative:
            line = line[1:]
        self.dir_only = line.endswith(b"/")
        if self.dir_only:
            line = line[:-1]
        # No '/' left: matched against the name alone, at any depth.
        self.basename = b"/" not in line
        if not self.basename and line.startswith(b"/"):
            line = line[1:]  # anchored to the top, as any pattern with a '/'
        # Matched against the whole relative path: a name has no '/', so
        # a basename pattern's wildcards may as well not match one.
        self.regex = _git_translate(line, pathname=True)


class GitignoreMatcher:
    """``--exclude-from FILE``: gitignore patterns, matched exactly as git does.

    Paths are matched relative to the PATH being scanned, as if the file
    were a ``.gitignore`` at its top: the last pattern that matches decides
    (``!`` re-includes); a pattern without a ``/`` (but a trailing one)
    matches a name at any depth, one with a ``/`` the path from the top; a
    trailing ``/`` matches directories only.  Wildcards are git's
    wildmatch, byte for byte: ``?`` and a bracket expression match one byte
    (of a multi-byte character, or of a name that is not UTF-8), POSIX
    classes are git's ASCII sets, ``**`` between slashes any number of
    directories.  As in git, nothing inside an excluded directory can be
    re-included: it is never read.  ``tests/test_exclusions.py`` checks
    this against ``git ls-files`` on generated patterns and names.

    Written here, not taken from pathspec: pathspec drops every directory
    under git's "ignore everything except" idiom (``*``, ``!*/``,
    ``!README``), matches one character where git matches one byte, and
    knows no POSIX class.
    """

    def __init__(self, lines):
        self.lines = tuple(lines)
        self._compile()

    def _compile(self):
        patterns = []
        for number, line in enumerate(self.lines):
            raw = line.encode("utf-8", "surrogateescape") if isinstance(line, str) else line
            if number == 0 and raw.startswith(b"\xef\xbb\xbf"):  # a byte order mark
                raw = raw[3:]
            if raw.endswith(b"\r"):  # a CRLF file's line, as git reads it
                raw = raw[:-1]
            if not raw or raw.startswith(b"#"):
                continue
            raw = _trim_trailing_spaces(raw)
            if not raw:
                continue  # a line of spaces: a pattern of nothing, matching nothing
            try:
                patterns.append(_Pattern(raw))
            except _NeverMatches:
                continue
        # The last match decides: runs of patterns of one sign, last first,
        # each run one regex for files and one for directories.
        runs = []
        for pattern in reversed(patterns):
            if not runs or runs[-1][0] != pattern.negative:
                runs.append((pattern.negative, [], []))
            _, for_files, for_dirs = runs[-1]
            regex = (b"(?:.*/)?" + pattern.regex) if pattern.basename else pattern.regex
            for_dirs.append(regex)
            if not pattern.dir_only:
                for_files.append(regex)
        self._checks = [
            (negative, _any(for_files), _any(for_dirs)) for negative, for_files, for_dirs in runs
        ]

    def __call__(self, relative: str, is_dir: bool) -> bool:
        path = relative.encode("utf-8", "surrogateescape")
        for negative, files, dirs in self._checks:
            match = dirs if is_dir else files
            if match is not None and match(path) is not None:
                return not negative
        return False

    def __getstate__(self):
        return self.lines

    def __setstate__(self, lines):
        self.lines = lines
        self._compile()


def _any(regexes):
    """One matcher of the whole path for any of ``regexes``, or None."""
    if not regexes:
        return None
    return re.compile(b"(?s:" + b"|".join(b"(?:" + r + b")" for r in regexes) + b")\\Z").match
