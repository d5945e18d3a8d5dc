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
            j = i
            if j < n and pattern[j] in "!^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(re.escape(c))  # no closing bracket: a literal '['
                continue
            body = pattern[i:j]
            i = j + 1
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            body = body.replace("\\", "\\\\").replace("^", "\\^").replace("[", "\\[")
            out.append(f"[{'^' if negate else ''}{body}]")
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
        import pathspec

        self._spec = pathspec.GitIgnoreSpec.from_lines(self.lines)

    def __call__(self, relative: str, is_dir: bool) -> bool:
        return self._spec.match_file(relative + "/" if is_dir else relative)

    def __getstate__(self):
        return self.lines

    def __setstate__(self, lines):
        self.lines = lines
        self._compile()
