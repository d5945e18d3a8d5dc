"""Write docs/cli.md from the command's own --help, so the reference never drifts.

    python docs/make_cli_reference.py          # rewrite docs/cli.md
    python docs/make_cli_reference.py --check  # exit 1 if docs/cli.md is stale

tests/test_docs.py runs the check, and fails when an option is missing.
"""

from __future__ import annotations

import os
import sys

from click.testing import CliRunner

from sizescan.command.cli import main

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "cli.md")

INTRO = """# Command-line reference

Generated from `--help` by `docs/make_cli_reference.py`; do not edit by hand. What the
numbers mean is in [semantics.md](semantics.md), the JSON document in [json.md](json.md),
exports, imports and diff in [exports.md](exports.md), the history in [history.md](history.md),
failures in [faults.md](faults.md).
"""


def help_text(*args: str) -> str:
    # A fixed width, whatever terminal runs this: click wraps at min(COLUMNS, 80) - 2.
    result = CliRunner().invoke(main, [*args, "--help"], env={"COLUMNS": "100"})
    if result.exit_code != 0:
        raise SystemExit(f"sizescan {' '.join(args)} --help failed: {result.output}")
    return result.output


def reference() -> str:
    parts = [INTRO]
    for title, args in (
        ("Scanning: `sizescan [OPTIONS] [PATH]...`", ()),
        ("Comparing: `sizescan diff [OPTIONS] OLD NEW`", ("diff",)),
        ("The history: `sizescan history [OPTIONS] [PATH]`", ("history",)),
        ("What grew: `sizescan growth [OPTIONS] [PATH]`", ("growth",)),
        ("One directory over time: `sizescan trend [OPTIONS] DIRECTORY`", ("trend",)),
    ):
        parts.append(f"## {title}\n\n```text\n{help_text(*args).rstrip()}\n```\n")
    return "\n".join(parts)


def main_() -> int:
    text = reference()
    if "--check" in sys.argv[1:]:
        with open(TARGET, encoding="utf-8") as f:
            if f.read() != text:
                print(
                    "docs/cli.md is stale: run python docs/make_cli_reference.py", file=sys.stderr
                )
                return 1
        return 0
    with open(TARGET, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main_())
