"""The page kit: collect a report's blocks as accessible HTML.

A :class:`Page` shows headings with anchors, paragraphs, bullet lists, notes, figures (embedded
SVG with alt text and a numbered caption) and captioned tables, and records each table for the
CSV/Excel export (:mod:`swanalysis.report.tables`). The functions below it (:func:`esc`,
:func:`heading_html`, :func:`table_html`, :func:`html_page`) build the same HTML as strings, so
pages written outside a notebook (the batch index) look and read the same way.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display
from matplotlib.backends.backend_svg import FigureCanvasSVG


class Html(str):
    """Text that is already HTML (a link, a marked-up note): table cells show it unescaped."""


from .parts import PART_KEY  # noqa: E402  (the runner splits the documents on it)

#: Figure and table numbers: "Figure 3." in the paper, "Figure A3." in the annex.
PART_PREFIX = {"paper": "", "annex": "A"}


@dataclass(kw_only=True)
class Page:
    """Display helpers shared by every report: each call shows one block of HTML.

    Blocks go to the committee paper unless shown inside ``with page.annex():`` (the technical
    annex); figures and tables are numbered within each document.
    """

    tables: dict = field(default_factory=dict)
    figures: int = 0
    table_count: int = 0
    part: str = "paper"
    _numbers: dict = field(default_factory=dict)

    @contextlib.contextmanager
    def annex(self):
        """Show what follows in the technical annex (technical.html), not the paper."""
        before, self.part = self.part, "annex"
        try:
            yield self
        finally:
            self.part = before

    def _next(self, kind: str) -> str:
        """The next figure or table number in the current document ("3" or "A3")."""
        key = (kind, self.part)
        self._numbers[key] = self._numbers.get(key, 0) + 1
        return f"{PART_PREFIX.get(self.part, '')}{self._numbers[key]}"

    def show(self, html_text: str) -> None:
        """Display a piece of HTML in the notebook's output, marked for the paper or annex."""
        display(HTML(html_text), metadata={PART_KEY: self.part})

    def heading(self, level: int, text: str, anchor: str | None = None) -> None:
        """Display a heading of ``level`` with an id for the contents list."""
        self.show(heading_html(level, text, anchor))

    def paragraphs(self, texts, css: str | None = None) -> None:
        """Display each non-empty text as an escaped paragraph (in a div of class ``css`` if given)."""
        texts = [t for t in (texts or []) if t]
        if not texts:
            return
        body = "".join(f"<p>{esc(t)}</p>" for t in texts)
        self.show(f'<div class="{css}">{body}</div>' if css else body)

    def bullets(self, texts, css: str | None = None) -> None:
        """Display the non-empty texts as an escaped bulleted list."""
        items = "".join(f"<li>{esc(t)}</li>" for t in texts if t)
        if items:
            self.show(f'<ul class="{css or ""}">{items}</ul>')

    def note(self, text: str) -> None:
        """Display a note (a boxed paragraph)."""
        self.show(f'<div class="note"><p>{esc(text)}</p></div>')

    def figure(self, fig, alt: str, caption: str) -> None:
        """Show a matplotlib figure as an embedded SVG with alt text and a numbered caption.

        SVG, with its text kept as text, stays sharp at any zoom and on paper, and is smaller
        and quicker to make than a PNG (no glyph rasterising, no PNG encoding). The browser
        draws the text in the first of Arial, Liberation Sans, DejaVu Sans it has, with
        sans-serif as the last resort (palette.use); Arial and Liberation Sans share metrics.
        """
        if not alt or not alt.strip():
            raise ValueError("every figure needs alt text")
        self.figures += 1
        number = self._next("figure")
        buf = io.BytesIO()
        # fixed ids and no date: the same figure gives the same bytes in any kernel
        with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "swanalysis"}), \
                text_layouts_shared():
            fig.set_facecolor("white")
            if fig.texts:
                # a figure-level note (fig.text, e.g. a footnote about small years) lies outside
                # every axes, so outside constrained layout: save with the tight bounding box
                fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
            else:
                # Draw ONCE: savefig draws twice when the figure has a layout engine (a first
                # pass to lay out, then the real one), and drawing is most of a warm report's
                # time. Printing straight from the SVG canvas runs constrained layout (tick
                # labels, titles and outside legends kept inside the canvas) within its one draw.
                if fig.get_layout_engine() is None:
                    fig.set_layout_engine("constrained")
                FigureCanvasSVG(fig).print_svg(buf, metadata={"Date": None})
        plt.close(fig)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        self.show(
            f'<figure id="figure-{number.lower()}"><img src="data:image/svg+xml;base64,{data}" '
            f'alt="{esc(alt)}"><figcaption><span class="fig-label">Figure {number}.</span> '
            f"{esc(caption)}</figcaption></figure>"
        )

    def draw(self, draw: Callable, alt: str, caption: str) -> None:
        """Call a plotting function (it makes its own figure and returns an Axes) and show it."""
        out = draw()
        fig = out if hasattr(out, "savefig") else getattr(out, "figure", None)
        if fig is None:
            fig = plt.gcf()
        self.figure(fig, alt, caption)

    def record(self, name: str, data: pd.DataFrame) -> None:
        """Record a table for export only (CSV and workbook), without showing it."""
        if name in self.tables:
            raise ValueError(f"table {name!r} recorded twice")
        self.tables[name] = data.reset_index(drop=True)

    def table(
        self,
        name: str,
        data: pd.DataFrame,
        caption: str,
        display: pd.DataFrame | None = None,
        highlight: Callable[[pd.Series], bool] | None = None,
        export: bool = True,
    ) -> None:
        """Show a captioned table and record ``data`` for ``tables/<name>.csv`` and the workbook."""
        if export:
            self.record(name, data)
        self.table_count += 1
        number = self._next("table")
        self.show(table_html(display if display is not None else data, caption,
                             f"table-{number.lower()}", number, highlight))


_LAYOUTS: dict = {}


@contextlib.contextmanager
def text_layouts_shared():
    """Within the block, a text's layout (its lines' sizes and its box at the origin) is worked
    out once for every set of the things it depends on, not again each time the figure is laid
    out and drawn: constrained layout measures every tick label and title twice before the draw
    measures them again. Matplotlib's ``Text._get_layout`` is a function of the text, its font,
    size, rotation, alignments, line spacing, the figure's dpi and the kind of renderer (the
    settings read from rcParams do not change within the block), so the cached result is the
    one it would compute: the same figure, byte for byte (tests/test_report.py). Texts with
    mathtext or TeX, and wrapped texts, are measured every time."""
    from matplotlib.text import Text

    original = Text._get_layout
    # the settings a layout reads from rcParams (which font a family name means, hinting)
    rc = tuple(str(v) for k, v in sorted(mpl.rcParams.items()) if k.startswith(("font.", "text.")))
    if len(_LAYOUTS) > 20_000 or _LAYOUTS.get("rc") != rc:
        _LAYOUTS.clear()
        _LAYOUTS["rc"] = rc
    cache = _LAYOUTS

    def layout(self, renderer):
        text = self.get_text()
        if self.get_wrap() or self.get_usetex() or "$" in text:
            return original(self, renderer)
        fp = self._fontproperties
        key = (text, tuple(fp.get_family()), fp.get_style(), fp.get_variant(), fp.get_weight(),
               fp.get_stretch(), fp.get_size_in_points(), fp.get_file(),
               fp.get_math_fontfamily(), self._linespacing, self._get_multialignment(),
               self.get_rotation(), self.get_rotation_mode(), self._horizontalalignment,
               self._verticalalignment, self.get_parse_math(),
               self.get_figure(root=True).dpi, type(renderer), getattr(renderer, "dpi", None))
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = original(self, renderer)
        bbox, lines, box = hit
        return bbox.frozen(), list(lines), box

    Text._get_layout = layout
    try:
        yield
    finally:
        Text._get_layout = original


def esc(text: Any) -> str:
    """``text`` escaped for HTML; :class:`Html` passes through unchanged."""
    if isinstance(text, Html):
        return str(text)
    return html.escape(str(text), quote=True)


def anchor_for(text: str) -> str:
    """The id a heading's text gets: lower case, runs of other characters as one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def heading_html(level: int, text: str, anchor: str | None = None) -> str:
    """``<hN id=...>text</hN>``, escaped."""
    anchor = anchor or anchor_for(text)
    return f'<h{level} id="{esc(anchor)}">{esc(text)}</h{level}>'


#: Number-like text, right-aligned like numbers: 24.2, -1.5, +0.8 points, 24.2%, <5, £3.94
#: million, £20,000, 86.3 FTE, 100% (95%–100%), 0.85 to 1.10.
_NUMERIC_RE = re.compile(
    r"^(?:[<>≤≥]\s?)?[+\-−]?£?[\d,]+(?:\.\d+)?%?"
    r"(?:\s?(?:million|billion|thousand|points?|pp|FTE|months?|years?|cases?))?"
    r"(?:\s?\([^()]*\)|\s(?:to|–)\s[+\-−]?£?[\d,.]+%?)?$")


_GAPS = {"–", "-", "—", "not published", "none set", "not shown", "n/a", ""}


def _cell(value: Any) -> tuple[str, bool]:
    """Text of a table cell and whether it is numeric (right-aligned)."""
    if isinstance(value, Html):
        return value, False
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–", True
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return f"{value:,.1f}", True
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return "–", True
    text = str(value)
    return text, bool(_NUMERIC_RE.match(text))


def table_html(df: pd.DataFrame, caption: str, anchor: str, number: int | None,
               highlight: Callable[[pd.Series], bool] | None = None,
               numeric: Callable[[str, Any], bool] | None = None) -> str:
    """An accessible table: caption, column headers with scope, first column as row headers.

    ``number`` labels the caption "Table N." (None: no label). ``numeric(column, value)``
    overrides which cells are right-aligned (default: numbers and number-like text).
    """
    cols = list(df.columns)
    # a column of numbers is right-aligned throughout, its gaps ("–", "not published") included
    num_col = {}
    for c in cols:
        cells = [_cell(v) for v in df[c]]
        num_col[c] = (any(n and t not in _GAPS for t, n in cells)
                      and all(n or t in _GAPS for t, n in cells))
    num_th = ' class="num"'
    head = "".join(f'<th scope="col"{num_th if num_col[c] and j > 0 else ""}>{esc(c)}</th>'
                   for j, c in enumerate(cols))
    rows = []
    for _, r in df.iterrows():
        cells = []
        for j, c in enumerate(cols):
            text, is_num = _cell(r[c])
            is_num = is_num or num_col[c]
            if numeric is not None:
                is_num = numeric(c, r[c])
            cls = ' class="num"' if is_num and j > 0 else ""
            if j == 0:
                cells.append(f'<th scope="row"{cls}>{esc(text)}</th>')
            else:
                cells.append(f"<td{cls}>{esc(text)}</td>")
        mark = ' class="highlight"' if highlight is not None and highlight(r) else ""
        rows.append(f"<tr{mark}>{''.join(cells)}</tr>")
    label = f'<span class="tab-label">Table {number}.</span> ' if number is not None else ""
    return (
        f'<div class="table-wrap" role="region" aria-labelledby="{anchor}-caption" tabindex="0">'
        f'<table id="{anchor}"><caption id="{anchor}-caption">{label}'
        f"{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def html_page(title: str, body: str, css: str = "") -> str:
    """A whole, standalone HTML document (English, UTF-8, responsive) around ``body``."""
    style = f"<style>{css}</style>\n" if css else ""
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
{style}</head>
<body>
<main>
{heading_html(1, title)}
{body}
</main>
</body>
</html>
"""
