"""The report's sections: each notebook cell calls one function here.

A section computes with the analysis modules (benchmark, tenure, drivers, costs, ...), then DISPLAYS
the result as HTML — headings with anchors, generated prose, figures as embedded PNG ``<img>`` with
alt text, tables with ``<caption>`` — and records each table for the CSV/Excel export. Nothing is
computed in the notebook itself.

    rep = sections.start(params)      # resolve the authority, title block metadata
    sections.key_messages(rep)
    sections.how_we_compare(rep)
    ...
    sections.finish(rep)              # tables/<name>.csv and tables.xlsx in params["output_dir"]

Everything a report computes lives on its :class:`Report` object, so nothing leaks from one
authority to the next; :func:`reset_state` clears what little module state there is (used by the
warm-kernel runner between authorities).
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from . import params as params_mod
from .errors import UserError

META_MIMETYPE = "application/vnd.swanalysis.meta+json"

MEASURE_LABELS = {
    "turnover_rate": "Turnover rate (%)",
    "agency_rate": "Agency rate (%)",
    "vacancy_rate": "Vacancy rate (%)",
    "caseload": "Average caseload",
    "absence_rate": "Sickness absence rate (%)",
    "inpost_fte": "Social workers in post (FTE)",
    "starters_fte": "Starters (FTE)",
    "leavers_fte": "Leavers (FTE)",
    "agency_fte": "Agency workers (FTE)",
}

SOURCES = (
    "Department for Education, Children's social work workforce statistics "
    "(Open Government Licence v3.0)"
)


def reset_state() -> None:
    """Clear module-level state that could carry one authority's results into the next report."""
    _STATE.clear()


_STATE: dict[str, Any] = {}


# ---------------------------------------------------------------------------------------------
# The report object


@dataclass
class Report:
    """One authority's report in the making: parameters, cached results, recorded tables."""

    params: dict
    authority: str = ""
    year: int = 0
    area: Any = None
    panel: Any = None
    tables: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    figures: int = 0
    table_count: int = 0
    _cache: dict = field(default_factory=dict)

    @property
    def has_worker_data(self) -> bool:
        return params_mod.has_worker_data(self.params)

    @property
    def synthetic(self) -> bool:
        return bool(self.params.get("synthetic"))

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute once per report (sections share results: key messages reuse benchmarks)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    # -- display helpers -----------------------------------------------------------------------
    def show(self, html_text: str) -> None:
        from IPython.display import HTML, display

        display(HTML(html_text))

    def heading(self, level: int, text: str, anchor: str | None = None) -> None:
        self.show(heading_html(level, text, anchor))

    def paragraphs(self, texts, css: str | None = None) -> None:
        texts = [t for t in (texts or []) if t]
        if not texts:
            return
        body = "".join(f"<p>{esc(t)}</p>" for t in texts)
        self.show(f'<div class="{css}">{body}</div>' if css else body)

    def bullets(self, texts, css: str | None = None) -> None:
        items = "".join(f"<li>{esc(t)}</li>" for t in texts if t)
        if items:
            self.show(f'<ul class="{css or ""}">{items}</ul>')

    def note(self, text: str) -> None:
        self.show(f'<div class="note"><p>{esc(text)}</p></div>')

    def figure(self, fig, alt: str, caption: str) -> None:
        """Show a matplotlib figure as an embedded PNG with alt text and a numbered caption."""
        import matplotlib.pyplot as plt

        if not alt or not alt.strip():
            raise ValueError("every figure needs alt text")
        self.figures += 1
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, bbox_inches="tight",
                    metadata={"Software": None}, facecolor="white")
        plt.close(fig)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        self.show(
            f'<figure id="figure-{self.figures}"><img src="data:image/png;base64,{data}" '
            f'alt="{esc(alt)}"><figcaption><span class="fig-label">Figure {self.figures}.</span> '
            f"{esc(caption)}</figcaption></figure>"
        )

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
            if name in self.tables:
                raise ValueError(f"table {name!r} recorded twice")
            self.tables[name] = data.reset_index(drop=True)
        self.table_count += 1
        self.show(table_html(display if display is not None else data, caption,
                             f"table-{self.table_count}", self.table_count, highlight))


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def anchor_for(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def heading_html(level: int, text: str, anchor: str | None = None) -> str:
    anchor = anchor or anchor_for(text)
    return f'<h{level} id="{esc(anchor)}">{esc(text)}</h{level}>'


def _cell(value: Any) -> tuple[str, bool]:
    """Text of a table cell and whether it is numeric (right-aligned)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–", True
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return f"{value:,.1f}", True
    try:
        if pd.isna(value):
            return "–", True
    except (TypeError, ValueError):
        pass
    return str(value), False


def table_html(df: pd.DataFrame, caption: str, anchor: str, number: int,
               highlight: Callable[[pd.Series], bool] | None = None) -> str:
    """An accessible table: caption, column headers with scope, first column as row headers."""
    cols = list(df.columns)
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in cols)
    rows = []
    for _, r in df.iterrows():
        cells = []
        for j, c in enumerate(cols):
            text, numeric = _cell(r[c])
            cls = ' class="num"' if numeric and j > 0 else ""
            if j == 0:
                cells.append(f'<th scope="row"{cls}>{esc(text)}</th>')
            else:
                cells.append(f"<td{cls}>{esc(text)}</td>")
        mark = ' class="highlight"' if highlight is not None and highlight(r) else ""
        rows.append(f"<tr{mark}>{''.join(cells)}</tr>")
    return (
        f'<div class="table-wrap" role="region" aria-labelledby="{anchor}-caption" tabindex="0">'
        f'<table id="{anchor}"><caption id="{anchor}-caption"><span class="tab-label">Table {number}.'
        f"</span> {esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


# ---------------------------------------------------------------------------------------------
# Setting up


def identify(params: Mapping[str, Any]) -> tuple[str, int]:
    """The authority's published name and the report year (newest with figures when not given).

    Raises a one-line UserError for an unknown authority or a year without data.
    """
    from .data import load_panel, resolve_area

    panel = load_panel(params.get("data_dir"))
    year = params.get("year")
    area = resolve_area(params["la"], panel=panel, year=year)
    if year is None:
        if not area.years:
            raise UserError(f"{area.name}: no published figures in the data folder")
        year = max(area.years)
    year = int(year)
    available = sorted(int(y) for y in panel["time_period"].unique())
    if year not in available:
        raise UserError(
            f"no published figures for {year}: the data folder has {available[0]}–{available[-1]}"
        )
    return area.name, year


def _plot_style() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plots import palette

    plt.close("all")
    matplotlib.rcdefaults()
    palette.use()
    matplotlib.rcParams.update({
        "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11,
        "svg.hashsalt": "swanalysis", "figure.figsize": (8, 4.5),
    })


def start(params: Mapping[str, Any]) -> Report:
    """First cell: check parameters, resolve the authority, show the title-block metadata."""
    from IPython.display import display

    from .data import load_panel, resolve_area

    reset_state()
    _plot_style()
    p = params_mod.resolve(params)
    if not p.get("la"):
        raise UserError("no authority given: set 'la' (a name or code)")
    panel = load_panel(p.get("data_dir"))
    authority, year = identify(p)
    area = resolve_area(p["la"], panel=panel, year=year)
    rep = Report(params=p, authority=authority, year=year, area=area, panel=panel)
    rep.notes.extend(getattr(area, "notes", []) or [])

    releases = sorted(int(r) for r in panel.attrs.get("releases", sorted(panel["release"].unique())))
    newest = releases[-1] if releases else year
    release = p.get("release_label") or (
        f"Children's social work workforce, release of {newest} (figures to 30 September {newest})"
    )
    title = p.get("title") or f"Social worker recruitment and retention: {authority}, {year}"
    period = f"1 October {year - 1} to 30 September {year}"
    sources = SOURCES
    if p.get("csww"):
        sources += f"; {authority}'s own CSWW census returns ({len(p['csww'])} files)"
    if p.get("hr"):
        sources += "; the council's payroll extract"
    if rep.synthetic:
        sources += "; a synthetic council generated to resemble the authority (illustration only)"
    facts = [
        ("Authority", authority),
        ("Period", f"Year to 30 September {year} ({period})"),
        ("Data sources", sources),
        ("Release", release),
        ("Date produced", p["date_produced"]),
    ]
    meta = {
        "title": title,
        "authority": authority,
        "year": year,
        "facts": facts,
        "synthetic": rep.synthetic,
        "kicker": "Children's social care workforce: report to scrutiny committee",
        "footer": (
            f"Produced on {p['date_produced']} with swanalysis from {sources}. "
            "Figures are full-time equivalent (FTE) at 30 September unless stated."
        ),
    }
    display({META_MIMETYPE: meta, "text/plain": title}, raw=True)
    return rep


# ---------------------------------------------------------------------------------------------
# Published statistics


def _published(rep: Report) -> pd.DataFrame:
    """The authority's newest published figures, one row per year, one column per measure."""
    from .data import latest

    def compute():
        rows = latest(rep.area.rows(rep.panel))
        out = rows.pivot_table(index="time_period", columns="measure", values="value", aggfunc="first")
        return out.sort_index()

    return rep.cached("published", compute)


def how_we_compare(rep: Report) -> None:
    """How we compare: the authority against its statistical neighbours, region and England."""
    rep.heading(2, "How we compare", "how-we-compare")
    pub = _published(rep)
    if rep.year not in pub.index:
        rep.note(f"The published statistics have no figures for {rep.authority} in {rep.year}.")
        return
    measures = [m for m in MEASURE_LABELS if m in pub.columns]
    this = pub.loc[rep.year]
    rows = [{"measure": m, "area_name": rep.authority, "area_type": "la",
             "time_period": rep.year, "value": this.get(m)} for m in measures]
    data = pd.DataFrame(rows)
    shown = pd.DataFrame({"Measure": [MEASURE_LABELS[m] for m in measures],
                          rep.authority: [this.get(m) for m in measures]})
    rep.table("benchmark", data, f"{rep.authority}: published figures for {rep.year}.", display=shown)


# ---------------------------------------------------------------------------------------------
# Finishing: tables to CSV and Excel


def _sheet_name(name: str, used: set) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "table"
    out, i = base, 2
    while out.lower() in used:
        suffix = f"_{i}"
        out = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(out.lower())
    return out


def write_tables(tables: Mapping[str, pd.DataFrame], output_dir, date_produced: str) -> Path:
    """``tables/<name>.csv`` for each table and ``tables.xlsx`` with a sheet per table.

    The workbook is made byte-for-byte reproducible: its document dates are ``date_produced``
    and the zip entries carry that date too.
    """
    out = Path(output_dir)
    tdir = out / "tables"
    tdir.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(tdir / f"{name}.csv", index=False, lineterminator="\n")
    buf = io.BytesIO()
    used: set = set()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        if not tables:
            pd.DataFrame({"note": ["no tables"]}).to_excel(writer, sheet_name="notes", index=False)
        for name, df in tables.items():
            df.to_excel(writer, sheet_name=_sheet_name(name, used), index=False)
    _deterministic_xlsx(buf.getvalue(), out / "tables.xlsx", date_produced)
    return tdir


def _deterministic_xlsx(raw: bytes, path: Path, date_produced: str) -> None:
    stamp = f"{date_produced}T00:00:00Z"
    y, m, d = (int(x) for x in date_produced.split("-"))
    src = zipfile.ZipFile(io.BytesIO(raw))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:created[^>]*>)[^<]*(</dcterms:created>)", rf"\g<1>{stamp}\g<2>", text)
                text = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>", text)
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=(max(y, 1980), m, d, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, data)


def finish(rep: Report) -> None:
    """Last cell: write every recorded table to ``output_dir`` (when given)."""
    out = rep.params.get("output_dir")
    if out:
        write_tables(rep.tables, out, rep.params["date_produced"])


def params_from(namespace: Mapping[str, Any]) -> dict:
    """The report parameters among a notebook's globals (the Papermill ``parameters`` cell)."""
    known = set(params_mod.defaults()) | params_mod.RUNTIME_KEYS
    return {k: namespace[k] for k in sorted(known) if k in namespace}


# ---------------------------------------------------------------------------------------------
# Sections (wired to the analysis modules as they land)

NO_WORKER_DATA = (
    "This section needs the council's own worker-level data (CSWW census returns, optionally with "
    "a payroll extract), which was not supplied for this report. Run `swanalysis report` with "
    "--csww FILES (and --hr FILE --hr-map YAML), or --synthetic for an illustration."
)


def key_messages(rep: Report) -> None:
    rep.heading(2, "Key messages", "key-messages")
    rep.bullets(["Key messages will summarise every section."], css="key-messages")


def _worker_section(rep: Report, title: str, anchor: str) -> bool:
    rep.heading(2, title, anchor)
    if not rep.has_worker_data:
        rep.note(NO_WORKER_DATA)
        return False
    return True


def who_we_have(rep: Report) -> None:
    rep.heading(2, "Who we have", "who-we-have")


def how_long_they_stay(rep: Report) -> None:
    _worker_section(rep, "How long they stay", "how-long-they-stay")


def why_they_leave(rep: Report) -> None:
    _worker_section(rep, "Why they leave", "why-they-leave")


def agency_costs(rep: Report) -> None:
    rep.heading(2, "What agency cover costs", "agency-costs")


def nqsw_cohorts(rep: Report) -> None:
    _worker_section(rep, "Newly qualified social workers", "newly-qualified")


def methods(rep: Report) -> None:
    rep.heading(2, "Data and methods", "data-and-methods")
    rep.paragraphs(rep.notes)
