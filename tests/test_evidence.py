"""Every claim has its evidence in the same report: 20 authorities' reports (10 in 2022, 10 in
2025, warm batch kernels, published figures) and the demo report (synthetic worker data).

* a paragraph that cites the funnel plot sits in a section that draws one;
* "significant" / "not a significant difference" agrees with where the funnel plot's alt text
  puts the authority, and with the summary table's "Against England" cell;
* "too few to report" / "too few to describe" for a year is never followed, in its section, by a
  table row of numbers for that year.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from swanalysis.cli import main

REPO = Path(__file__).resolve().parents[1]
LAS_2022 = ["Wokingham", "Dorset", "Cumbria", "Isles of Scilly", "Slough",
            "Northumberland", "Coventry", "Richmond upon Thames", "Rutland", "Barnsley"]
LAS_2025 = ["Wokingham", "Westmorland and Furness", "Cumberland", "Isles of Scilly", "Stockport",
            "Northumberland", "City of London", "North Northamptonshire", "Hartlepool", "Somerset"]


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def sections(page: str) -> list[tuple[str, str]]:
    """(heading, body) for every h2/h3 section."""
    body = page[page.find("<body"):]
    parts = re.split(r"(<h[23][^>]*>.*?</h[23]>)", body, flags=re.S)
    out = []
    for i in range(1, len(parts) - 1, 2):
        out.append((text(parts[i]), parts[i + 1]))
    return out


def paragraphs(body: str) -> list[str]:
    body = re.sub(r"<figure.*?</figure>", " ", body, flags=re.S)
    return [text(p) for p in re.findall(r"<p[^>]*>(.*?)</p>", body, flags=re.S)]


def check_report(path: Path) -> list[str]:
    page = path.read_text(encoding="utf-8")
    problems = []
    against = {}
    m = re.search(r"<table[^>]*>.*?Against England.*?</table>", page, flags=re.S)
    if m:
        head = [text(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", m.group(0), flags=re.S)]
        col = head.index("Against England") if "Against England" in head else None
        for row in re.findall(r"<tr>(.*?)</tr>", m.group(0), flags=re.S):
            cells = [text(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
            if col is not None and len(cells) > col and cells[0] != "Measure":
                against[cells[0].lower()] = cells[col]
    for heading, body in sections(page):
        alts = [html.unescape(a) for a in re.findall(r'alt="([^"]*)"', body)]
        funnel = [a for a in alts if a.startswith("Funnel plot")]
        for p in paragraphs(body):
            where = f"{path.parent.name} / {heading}"
            if "funnel plot" in p.lower() and heading != "Data and methods" and not funnel:
                problems.append(f"{where}: cites a funnel plot the section does not draw")
            said = ("no" if "not a significant difference" in p else
                    "above" if "a significant difference, above England" in p else
                    "below" if "a significant difference, below England" in p else None)
            if said and funnel:
                alt = funnel[0].split(") lies ", 1)[-1]
                shown = ("no" if alt.startswith("within the limits") else
                         "above" if alt.startswith("above") else "below")
                if said != shown:
                    problems.append(f"{where}: text says {said}, funnel shows {shown}")
            if said and heading.lower() in against:
                cell = against[heading.lower()]
                if (said == "no") != cell.endswith("within limits"):
                    problems.append(f"{where}: text says {said}, the table says {cell!r}")
            few = re.search(r"(\d{4}),? too few to (report|describe)", p) or \
                re.search(r"30 September (\d{4}): too few to (report|describe)", p)
            if few:
                year = few.group(1)
                for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
                    cells = [text(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
                    if cells and cells[0] == year and any(re.fullmatch(r"[\d.,%]+", c) for c in cells[1:]):
                        problems.append(f"{where}: 'too few to report' for {year}, then {cells}")
    return problems


@pytest.fixture(scope="module")
def reports(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("evidence")
    for year, las in ((2022, LAS_2022), (2025, LAS_2025)):
        code = main(["batch", "--year", str(year), "--la", ",".join(las), "--workers", "1",
                     "--out", str(out), "--data-dir", str(data_dir)])
        assert code == 0
    code = main(["report", "--params", str(REPO / "params" / "demo.yaml"), "--out", str(out),
                 "--data-dir", str(data_dir)])
    assert code == 0
    # the committee papers and their technical annexes (where the funnel plots and tables are)
    return sorted(out.glob("*/*/report.html")) + sorted(out.glob("*/*/technical.html"))


@pytest.mark.slow
def test_every_claim_has_its_evidence(reports):
    assert len(reports) >= 42
    problems = [p for r in reports for p in check_report(r)]
    assert problems == []


def test_the_checker_finds_a_claim_without_evidence(tmp_path):
    page = ("<html><body><h3>Vacancy rate</h3><p>The gap from England is within the spread "
            "(inside the 95% funnel limits; see the funnel plot), so it is not a significant "
            "difference.</p><h3>Newly qualified</h3><p>Fewer than 10 started in the year to "
            "September 2024, too few to report.</p><table><tr><td>2024</td><td>6</td></tr></table>"
            "</body></html>")
    (tmp_path / "x").mkdir()
    f = tmp_path / "x" / "report.html"
    f.write_text(page, encoding="utf-8")
    got = check_report(f)
    assert any("cites a funnel plot" in g for g in got)
    assert any("too few to report" in g for g in got)
