"""Shared by the benchmark scripts: write a run into its marked section of docs/performance.md;
extract a baseline commit's package to run beside ours."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "performance.md"


def baseline_tree(rev: str, work: Path) -> Path:
    """The package as of commit ``rev`` (``git archive`` of swanalysis/), extracted once into
    ``work/baseline-<commit>``; put that folder first on PYTHONPATH to run the baseline."""
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev], capture_output=True,
                            text=True, check=True).stdout.strip()
    dest = Path(work) / f"baseline-{commit}"
    if not (dest / "swanalysis" / "__init__.py").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "swanalysis"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


def write_section(name: str, text: str, doc: Path = DOC) -> None:
    """Replace what lies between ``<!-- name:begin -->`` and ``<!-- name:end -->`` with ``text``."""
    s = doc.read_text()
    a, b = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if a in s and b in s:
        doc.write_text(s[:s.index(a) + len(a)] + "\n" + text + "\n" + s[s.index(b):])
        print(f"wrote {doc}")
    else:
        print(f"markers {a} ... {b} not in {doc}; not written")
