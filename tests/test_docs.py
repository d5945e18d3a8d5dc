"""The docs say what the code does: the CLI reference is --help, the README fits a screen."""

from __future__ import annotations

import os
import subprocess
import sys

from sizescan.command.cli import main

ROOT = os.path.join(os.path.dirname(__file__), "..")


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def test_cli_reference_is_generated_from_help():
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "docs", "make_cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def test_every_option_is_in_the_cli_reference():
    reference = _read("docs", "cli.md")
    missing = []
    for command in main.commands.values():
        for param in command.params:
            for flag in (*param.opts, *param.secondary_opts):
                if flag.startswith("-") and flag not in reference:
                    missing.append(f"{command.name} {flag}")
    assert missing == []


def test_readme_fits_a_newcomer():
    readme = _read("README.md")
    assert len(readme) < 8000
    lines = readme.splitlines()
    # The two set-up commands come first, exactly as .ci/run runs the second.
    assert lines[2].strip().endswith(".venv/bin/sizescan sample_tree")
    assert lines[3].strip() in _read(".ci", "run")
    # The first screen shows what it is and one real output.
    first_screen = "\n".join(lines[:40])
    assert "where did my space go?" in first_screen
    assert "$ sizescan sample_tree" in first_screen


def test_readme_example_is_real_output():
    # Apparent sizes do not depend on the filesystem, so the README's can be checked.
    out = subprocess.run(
        [sys.executable, "-m", "sizescan", "sample_tree", "--no-progress", "-b"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    summary = out.stdout.splitlines()[0]
    assert summary.startswith("sample_tree: ") and summary.endswith(
        " disk usage, 1925555 apparent size, 51 files, 44 dirs"
    )
    readme = _read("README.md")
    assert "sample_tree: 2.0 MiB disk usage, 1.8 MiB apparent size, 51 files, 44 dirs" in readme
    assert "`du -sb sample_tree` (1925555)" in readme


def test_scan_options_are_declared_once():
    # ScanOptions' fields are the settings: scan() takes each as a keyword
    # with the same default, the command offers each that names its flags
    # with the same help and default, and both references list them.
    import inspect

    from sizescan import scan
    from sizescan.model.options import settings

    declared = settings()
    keywords = inspect.signature(scan).parameters
    for setting in declared:
        assert keywords[setting.name].default == setting.default, setting.name
    params = {p.name: p for p in main.commands["scan"].params}
    reference, library = _read("docs", "cli.md"), _read("docs", "library.md")
    offered = [s for s in declared if s.metadata["flags"]]
    assert len(offered) >= 12
    for setting in offered:
        param = params[setting.name]
        assert tuple(param.opts) == setting.metadata["flags"], setting.name
        assert param.help == setting.metadata["help"], setting.name
        if param.is_flag:
            assert setting.default is False, setting.name
        elif not param.multiple:
            assert param.default == setting.default, setting.name
        assert setting.metadata["flags"][-1] in reference, setting.name
    for setting in declared:
        assert f"`{setting.name}={setting.default!r}`" in library, setting.name


def test_history_tables_are_documented_as_made():
    from sizescan.history.schema import TABLES

    doc = _read("docs", "history.md")
    for statement in TABLES:
        assert statement + ";" in doc, statement.splitlines()[0]
