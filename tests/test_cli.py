"""The command line's start-up: what `swanalysis --help` and `swanalysis validate` import."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from swanalysis.cli import build_parser


def _modules_after(args, cwd, env=None) -> set[str]:
    """Run ``swanalysis ARGS`` in a fresh interpreter; the modules loaded by the end."""
    code = ("import sys, json\nfrom swanalysis.cli import main\n"
            "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code\n"
            "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)
    return set(json.loads(proc.stderr.strip().splitlines()[-1])), proc


def test_help_imports_no_command_internals(tmp_path):
    mods, proc = _modules_after(["--help"], tmp_path)
    assert "usage: swanalysis" in proc.stdout
    for name in ("validate", "report", "batch", "data", "ingest", "synth"):
        assert f"  {name}" in proc.stdout
    heavy = {"pandas", "numpy", "swanalysis.published.fetch", "swanalysis.measures", "swanalysis.workerdata"}
    assert not heavy & mods


def test_parser_without_argv_is_complete():
    parser = build_parser()
    args = parser.parse_args(["data", "fetch"])
    assert args.dataset_id and args.api_url.startswith("https://")
    args = parser.parse_args(["validate", "x.xml", "--issues", "i.csv"])
    assert args.paths == ["x.xml"] and args.issues == "i.csv"
    # only the named command gets its options; --help lists all of them anyway
    lazy = build_parser(["validate", "x.xml"])
    assert lazy.parse_args(["validate", "x.xml"]).paths == ["x.xml"]
    with pytest.raises(SystemExit):
        build_parser(["validate"]).parse_args(["validate"])  # PATH is still required
