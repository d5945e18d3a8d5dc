"""``--exclude PATTERN`` with GNU du's semantics.

du hands each pattern to gnulib's ``exclude_fnmatch`` with plain
``fnmatch(3)`` flags: ``*`` and ``?`` match ``/`` and leading dots too, and
a backslash quotes the next character.  A path is excluded when the pattern
matches the whole path as du prints it, or any tail of it that starts just
after a ``/`` (so ``--exclude=cache`` drops every entry named ``cache``,
and ``--exclude='*.log'`` every ``.log`` file).
"""

from __future__ import annotations

import re


# POSIX character classes inside brackets, as fnmatch(3) has them in the C
# locale (du in another locale may also match non-ASCII letters).
_CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v", "blank": " \\t", "xdigit": "0-9A-Fa-f",
    "cntrl": "\\x00-\\x1f\\x7f", "print": "\\x20-\\x7e", "graph": "\\x21-\\x7e",
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
            name = pattern[i + 2:close] if close > 0 else None
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

    Picklable (it keeps the patterns, not the compiled regex), so it can be
    handed to pool workers under every start method.
    """

    def __init__(self, patterns):
        self.patterns = tuple(patterns)
        self._compile()

    def _compile(self):
        body = "|".join(f"(?:{_translate(p)})" for p in self.patterns)
        # Either the whole path, or a tail starting after a '/' that is not
        # itself followed by '/': exactly gnulib's loop over the path.
        self._match = re.compile(rf"(?s:(?:.*/(?=[^/]))?(?:{body}))\Z").match

    def __call__(self, path: str) -> bool:
        return self._match(path) is not None

    def __getstate__(self):
        return self.patterns

    def __setstate__(self, patterns):
        self.patterns = patterns
        self._compile()


def _with_posix_classes(line: str) -> str:
    """``[[:alpha:]]`` and the like, which git's wildmatch knows and pathspec
    does not, as plain ranges (the C locale's, as in _CLASSES)."""
    out = []
    i, n = 0, len(line)
    in_bracket = False
    while i < n:
        c = line[i]
        if c == "\\" and i + 1 < n:
            out.append(line[i:i + 2])
            i += 2
            continue
        if in_bracket and line.startswith("[:", i):
            close = line.find(":]", i + 2)
            name = line[i + 2:close] if close > 0 else None
            if name in _CLASSES:
                out.append(_CLASSES[name].replace("\\\\", "\\"))
                i = close + 2
                continue
        if c == "[" and not in_bracket:
            in_bracket = True
            out.append(c)
            i += 1
            if i < n and line[i] in "!^":
                out.append(line[i])
                i += 1
            if i < n and line[i] == "]":  # a leading ] is a member
                out.append("]")
                i += 1
            continue
        if c == "]" and in_bracket:
            in_bracket = False
        out.append(c)
        i += 1
    return "".join(out)


class GitignoreMatcher:
    """``--exclude-from FILE``: gitignore patterns, matched by ``pathspec``.

    gitignore's rules (anchoring on a leading or inner ``/``, ``**``,
    directory-only patterns ending in ``/``, ``!`` to re-include, the last
    matching pattern winning) are subtle enough that a hand-written matcher
    would drift from git's; pathspec's GitIgnoreSpec follows git's own
    tests.  Paths are matched relative to the PATH being scanned, as if the
    file were a ``.gitignore`` at its top.  As in git, nothing inside an
    excluded directory can be re-included: it is never read.
    """

    def __init__(self, lines):
        self.lines = tuple(lines)
        self._compile()

    def _compile(self):
        import warnings

        import pathspec

        lines = list(self.lines)
        if lines and lines[0].startswith("\ufeff"):  # a byte order mark, as editors write
            lines[0] = lines[0][1:]
        kept = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # re's FutureWarning on "[[" in a class
            for line in map(_with_posix_classes, lines):
                try:
                    pathspec.GitIgnoreSpec.from_lines([line])
                except Exception:
                    continue  # git ignores a line it cannot read ("\\", "!", "[z-a]")
                kept.append(line)
            self._spec = pathspec.GitIgnoreSpec.from_lines(
                [part for line in kept for part in _inside_only(line, dirs=False)])
            self._dir_spec = pathspec.GitIgnoreSpec.from_lines(
                [part for line in kept for part in _inside_only(line, dirs=True)])

    def __call__(self, relative: str, is_dir: bool) -> bool:
        if is_dir:
            return self._dir_spec.match_file(relative + "/")
        return self._spec.match_file(relative)

    def __getstate__(self):
        return self.lines

    def __setstate__(self, lines):
        self.lines = lines
        self._compile()


def _inside_only(line: str, dirs: bool) -> list:
    """``line`` as the patterns directories (``dirs``) or files are matched with.

    In git, ``X/**`` matches what is inside X but not X, so ``logs/**``
    with ``!logs/keep.txt`` keeps logs/keep.txt; ``X/**/`` matches the
    directories inside X, and no file.  pathspec matches X itself with both
    (its issue 137), and the files directly in X with ``X/**/``: the
    directory was left out whole, or those files.  So ``X/**`` is asked as
    ``X/*`` (X's entries; pathspec extends it to what is below them) and
    ``X/*/**`` (what is below them, should pathspec ever stop extending
    ``X/*``), for directories; ``X/**/`` likewise, for both.
    """
    body = line.rstrip(" ")  # unless the last space is escaped: then no suffix matches
    slash = "/" if body.endswith("/**/") else ""
    if not body.endswith("/**" + slash) or not (dirs or slash):
        return [line]
    head = body[:-len("/**" + slash)]
    if head.lstrip("!/") in ("", "**") or head.endswith("\\"):
        return [line]
    return [head + "/*" + slash, head + "/*/**" + slash]
