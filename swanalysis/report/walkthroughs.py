"""Execute the teaching notebooks (``notebooks/walkthrough_*.ipynb``) and publish them as HTML.

``make notebooks`` runs ``python -m swanalysis.report.walkthroughs --out outputs/notebooks``: each
walkthrough is executed in a fresh Jupyter kernel (nbclient; any error stops with the cell that
failed), rendered with its code visible (nbconvert's ``lab`` page without its internet scripts,
``templates/walkthrough``: these pages teach, so the code is part of the lesson) and listed in ``index.html``. ``tests/test_walkthroughs.py`` calls
:func:`publish` so the notebooks never rot. The walkthroughs live in the repository, not in the
installed package.
"""

from __future__ import annotations

import argparse
import html
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO / "notebooks"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
PATTERN = "walkthrough_*.ipynb"
TIMEOUT = 300  # seconds per cell


@dataclass(frozen=True)
class Published:
    """One executed walkthrough: its source, title, first paragraph and HTML page."""

    source: Path
    title: str
    summary: str
    html: Path


def walkthroughs(folder: str | os.PathLike | None = None) -> list[Path]:
    """The walkthrough notebooks in ``folder`` (default: the repository's ``notebooks/``), sorted."""
    folder = Path(folder) if folder else NOTEBOOK_DIR
    found = sorted(folder.glob(PATTERN))
    if not found:
        raise UserError(f"no {PATTERN} in {folder}")
    return found


def _title_and_summary(nb) -> tuple[str, str]:
    """The first markdown cell's heading and the paragraph after it (plain text)."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.strip().splitlines()
        title = lines[0].lstrip("#").strip() if lines and lines[0].startswith("#") else ""
        rest = "\n".join(lines[1:] if title else lines).strip().split("\n\n")[0]
        return title, " ".join(rest.split())
    return "", ""


def execute(path: str | os.PathLike, *, timeout: int = TIMEOUT):
    """Execute one notebook in a fresh kernel, in a temporary working folder; return the notebook.

    Raises nbclient's ``CellExecutionError`` (naming the cell and the error) when a cell fails.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="swanalysis-walkthrough-") as work:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": work}}).execute()
    return nb


def _index_page(items: list[Published]) -> str:
    rows = "\n".join(
        f'<li><a href="{html.escape(p.html.name)}">{html.escape(p.title or p.source.stem)}</a>'
        f"<p>{html.escape(p.summary)}</p></li>"
        for p in items)
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>swanalysis walkthroughs</title>
<style>
body {{ font-family: Arial, Helvetica, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #0b0c0c; }}
a {{ color: #12436d; }}
li {{ margin-bottom: 1.2rem; }}
</style>
</head>
<body>
<main>
<h1>swanalysis walkthroughs</h1>
<p>Notebooks that explain, step by step, how swanalysis analyses children's social worker
recruitment and retention. Each page shows the code and what it produced; the notebooks are in the
repository's <code>notebooks/</code> folder.</p>
<ul>
{rows}
</ul>
</main>
</body>
</html>
"""


def publish(out_dir: str | os.PathLike, notebooks: list[Path] | None = None, *,
            timeout: int = TIMEOUT) -> list[Published]:
    """Execute each walkthrough and write ``<name>.html`` and ``index.html`` into ``out_dir``."""
    from nbconvert import HTMLExporter

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="walkthrough", extra_template_basedirs=[str(TEMPLATE_DIR)])
    done = []
    for path in notebooks or walkthroughs():
        nb = execute(path, timeout=timeout)
        title, summary = _title_and_summary(nb)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title or path.stem}})
        target = out / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        done.append(Published(Path(path), title, summary, target))
    (out / "index.html").write_text(_index_page(done), encoding="utf-8")
    return done


def main(argv: list[str] | None = None) -> int:
    """``python -m swanalysis.report.walkthroughs``: execute the walkthrough notebooks, publish them as HTML; return 0."""
    parser = argparse.ArgumentParser(prog="python -m swanalysis.report.walkthroughs",
                                     description="Execute the walkthrough notebooks and publish them as HTML.")
    parser.add_argument("--out", default="outputs/notebooks", help="folder for the HTML pages")
    args = parser.parse_args(argv)
    for p in publish(args.out):
        print(f"{p.html}  ({p.title})")
    print(Path(args.out) / "index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
