"""The committee paper (report.html) and its technical annex (technical.html): the paper opens with
At a glance, uses plain words (no method names, no analyst instructions), shows local targets as
met or not met, and describes every council's people; the annex holds the rest, cross-linked."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from swanalysis.report.batch import run_batch

#: Words a councillor should not meet in the committee paper (they belong in the annex).
FORBIDDEN = ["Cox", "Schoenfeld", "Aalen", "Wilson", "log-log", "p-value", "log scale", "symbol",
             "swanalysis "]

#: 20 authorities of every kind: small and large, a joint return, councils created by boundary
#: changes, London boroughs, a county, one with children's figures suppressed (Barnet).
AUTHORITIES = ["Wokingham", "Slough", "Northumberland", "Warwickshire", "Rutland", "Barnet",
               "Kingston upon Thames", "Cumberland", "Westmorland and Furness", "Birmingham",
               "Isles of Scilly", "City of London", "Kent", "Hartlepool", "Stockport",
               "Bournemouth, Christchurch and Poole", "North Northamptonshire", "Cornwall",
               "Tower Hamlets", "Blackpool"]


def _visible_text(html: str) -> str:
    """The page as read: no style, no embedded images, no tags."""
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    html = re.sub(r'src="data:[^"]*"', "", html)
    return re.sub(r"<[^>]+>", " ", html)


def _main(html: str) -> str:
    return html[html.index('<main id="main">'):]


NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "council_report.ipynb"


def _notebook_sections() -> list[str]:
    """The section calls of the council notebook, in order (the test follows the notebook)."""
    import json

    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    calls = []
    for cell in nb["cells"]:
        src = "".join(cell["source"]).strip()
        m = re.fullmatch(r"sections\.(\w+)\(rep\)", src)
        if cell["cell_type"] == "code" and m and m.group(1) != "finish":
            calls.append(m.group(1))
    return calls


class Paper:
    """One authority's two documents as the sections show them (in this process, no kernel)."""

    def __init__(self, rep, blocks):
        self.rep = rep
        self.tables = rep.tables
        self.paper = "".join(h for part, h in blocks if part == "paper")
        self.annex = "".join(h for part, h in blocks if part == "annex")


@pytest.fixture(scope="module")
def papers(data_dir):
    """The council notebook's sections for 20 authorities (published statistics only, local
    targets set), run in this process; figures keep their alt text and caption but are not drawn
    (drawing is most of a report's time and has no words of its own)."""
    from unittest import mock

    from swanalysis.report import sections
    from swanalysis.report.page import esc

    calls = _notebook_sections()
    assert calls[0] == "at_a_glance" and "our_social_workers" in calls
    out = {}
    with mock.patch("IPython.display.display", lambda *a, **k: None):
        for la in AUTHORITIES:
            blocks = []
            with mock.patch.object(sections.Report, "show",
                                   lambda self, h: blocks.append((self.part, h))), \
                    mock.patch.object(sections.Report, "draw", lambda self, draw, alt, caption:
                                      self.show(f'<figure><img alt="{esc(alt)}"><figcaption>'
                                                f"{esc(caption)}</figcaption></figure>")):
                rep = sections.start({"la": la, "year": 2024, "data_dir": str(data_dir),
                                      "date_produced": "2025-03-01",
                                      "targets": {"agency_rate": 15, "absence_rate": 3.5}})
                for name in calls:
                    getattr(sections, name)(rep)
            out[la] = Paper(rep, blocks)
    return out


def test_every_paper_opens_with_at_a_glance_and_plain_words(papers):
    assert len(papers) == len(AUTHORITIES)
    for la, doc in papers.items():
        first = re.search(r'<h2 id="([^"]+)"', doc.paper)
        assert first and first.group(1) == "at-a-glance", la
        text = _visible_text(doc.paper)
        for word in FORBIDDEN:
            assert word not in text, f"{la}: the committee paper says {word!r}"
        assert "--csww" not in text and "--synthetic" not in text, la
        assert 'href="technical.html#' in doc.paper, la          # the paper points to the annex
        assert 'id="glossary"' in doc.annex and 'id="at-a-glance"' not in doc.annex, la
        assert "was not supplied for this report" in doc.annex, la  # said in the annex, not the paper
        assert "was not supplied" not in doc.paper, la


def test_at_a_glance_lists_every_headline_measure_with_a_status_word(papers):
    statuses = {"Target met", "Target not met", "Improving", "Worsening", "Steady", "Rising",
                "Falling", "No comparison", "Not published"}
    for la, doc in papers.items():
        html = doc.paper
        section = html[html.index('id="at-a-glance"'):html.index('id="key-messages"')]
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", section, flags=re.S)[1:]
        names = [re.sub(r"<[^>]+>", "", re.search(r"<th[^>]*>(.*?)</th>", r).group(1)) for r in rows]
        assert names == ["Agency rate", "Turnover rate", "Vacancy rate", "Caseload",
                         "Sickness absence rate", "Social workers in post"], la
        words = re.findall(r'<span class="status[^"]*">([^<]+)</span>', section)
        assert len(words) == 6 and set(words) <= statuses, (la, words)
        # the targets from params: agency and absence are met or not met
        g = doc.tables["at_a_glance"].set_index("measure")
        for i, m in ((0, "agency_rate"), (4, "absence_rate")):
            value, target = g.loc[m, "value"], g.loc[m, "target"]
            want = ("Not published" if value != value else
                    "Target met" if value <= target else "Target not met")
            assert words[i] == want, (la, m, value, words[i])
        msgs = re.search(r'<ul class="key-messages">(.*?)</ul>', html, flags=re.S).group(1)
        assert 3 <= msgs.count("<li>") <= 5, la


def test_every_council_has_its_people_described(papers):
    for la, doc in papers.items():
        assert 'id="our-social-workers"' in doc.paper, la
        assert 'id="childrens-experience"' in doc.paper, la
        t = doc.tables["characteristics"]
        assert list(t.columns) == ["area_name", "area_type", "time_period", "role",
                                   "breakdown_topic", "breakdown", "fte", "fte_pct", "headcount",
                                   "headcount_pct"]
        assert {"la", "england", "region"} <= set(t["area_type"]), la
        assert set(t["time_period"]) == set(range(2019, 2025)), la
    # Barnet's looked-after children figures are suppressed: said, not guessed
    assert "is not published" in papers["Barnet"].paper.split('id="childrens-experience"')[1]


def test_wokingham_2022_characteristics_csv_gives_the_published_13_9(tmp_path, data_dir):
    from swanalysis.report.runner import render_report

    out = render_report({"la": "Wokingham", "year": 2022, "data_dir": str(data_dir),
                         "benchmark_only": True, "date_produced": "2025-03-01",
                         "targets": {"agency_rate": 15}, "purpose": "To update the committee.",
                         "recommendations": ["To note the report."],
                         "commentary": {"how_we_compare": "Agency use is falling in 2023."}},
                        tmp_path)
    with open(out.tables_dir / "characteristics.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["area_type"] == "la" and r["time_period"] == "2022"
                and r["role"] == "Total" and r["breakdown"] == "20 to 29 years old"]
    assert [float(r["fte_pct"]) for r in rows] == [13.9]
    html = out.html.read_text(encoding="utf-8")
    text = _visible_text(html)
    for word in FORBIDDEN:
        assert word not in re.sub(r'src="data:[^"]*"', "", html), word  # nor in alt text or CSS
    assert re.search(r'<h2 id="([^"]+)"', _main(html)).group(1) == "at-a-glance"
    assert "Target not met" in text                      # 24.2% against 15%
    assert "To update the committee." in text and "To note the report." in text
    assert "Officer commentary" in text and "Agency use is falling in 2023." in text
    assert 'href="technical.html"' in html and (out.report_dir / "technical.html").is_file()
    annex = (out.report_dir / "technical.html").read_text(encoding="utf-8")
    assert 'href="report.html"' in annex and "Technical annex" in annex
