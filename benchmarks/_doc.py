"""Shared by the benchmark scripts: write a run into its marked section of docs/performance.md."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def write_section(name: str, text: str, doc: Path = DOC) -> None:
    """Replace what lies between ``<!-- name:begin -->`` and ``<!-- name:end -->`` with ``text``."""
    s = doc.read_text()
    a, b = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if a in s and b in s:
        doc.write_text(s[:s.index(a) + len(a)] + "\n" + text + "\n" + s[s.index(b):])
        print(f"wrote {doc}")
    else:
        print(f"markers {a} ... {b} not in {doc}; not written")
