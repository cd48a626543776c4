"""Reports and the batch index opened in headless Debian Chromium: no console errors, nothing
fetched from the network, axe-core finds no serious or critical accessibility violation, every
figure embedded with alt text, no code cells; a screenshot of the first screen is saved.

Needs /usr/bin/chromium and tests/browser/node_modules/axe-core (``make browser-deps``, which
``make test`` runs first).  When they are missing these tests FAIL rather than skip: the
browser check is part of the definition of done.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "browser"))
from cdp import AXE_JS, CHROMIUM, Chromium  # noqa: E402

from swanalysis.report.batch import run_batch  # noqa: E402

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "outputs" / "screenshots"   # git-ignored; kept for people (and CI artefacts)

PROBES = {
    "images": "Array.from(document.images).map(i => "
              "({src: i.getAttribute('src').slice(0, 11), w: i.naturalWidth, alt: i.alt || ''}))",
    "code_cells": "document.querySelectorAll('.jp-InputArea, .input_area, .jp-CodeCell .jp-InputPrompt').length",
    "h1": "document.querySelectorAll('h1').length",
    "lang": "document.documentElement.lang",
    "tables_without_caption": "Array.from(document.querySelectorAll('table'))"
                              ".filter(t => !t.querySelector('caption')).length",
    "body_text": "document.body.innerText.slice(0, 4000)",
}


def _describe(violations) -> str:
    return "; ".join(f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']}"
                     for v in violations)


@pytest.fixture(scope="module")
def chromium():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)")
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run `make browser-deps` (npm ci in tests/browser)")
    with Chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def pages(tmp_path_factory, data_dir):
    """The demo report (params/demo.yaml: published benchmarks plus a synthetic council, printed to
    PDF by the runner) with its annex and the batch index, and Wokingham 2022 from the published
    statistics only (params/benchmark_only.yaml), printed too."""
    from swanalysis.report.params import load_yaml
    from swanalysis.report.runner import render_report

    out = tmp_path_factory.mktemp("browser")
    demo = load_yaml(REPO / "params" / "demo.yaml")
    year = demo.pop("year")
    demo.pop("la")
    result = run_batch(year, out, data_dir=data_dir, las=["Wokingham"], workers=1,
                       progress=False, params={**demo, "pdf": True})
    assert result.exit_code == 0, [r.reason for r in result.failures]
    folder = Path(result.results[0].report_dir)
    published = render_report({**load_yaml(REPO / "params" / "benchmark_only.yaml"),
                               "data_dir": str(data_dir), "pdf": True}, out / "published")
    return {"report": folder / "report.html", "annex": folder / "technical.html",
            "pdf": folder / "report.pdf", "index": result.index,
            "published": published.html, "published_pdf": published.pdf}


def _save(shot: Path, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SHOTS / name)


def test_report_in_chromium(chromium, pages, tmp_path):
    shot = tmp_path / "report-first-screen.png"
    r = chromium.check(pages["report"], screenshot=shot, probes=PROBES)
    assert r.console_errors == []
    assert r.network_requests == [], "the report must open offline"
    assert r.serious() == [], _describe(r.serious())
    assert r.title and "Wokingham" in r.title
    assert r.probes["lang"]
    assert r.probes["h1"] == 1
    assert r.probes["code_cells"] == 0
    images = r.probes["images"]
    assert len(images) >= 3                                  # the figures are there ...
    assert all(i["src"].startswith("data:image/") for i in images)   # ... embedded ...
    assert all(i["w"] > 0 for i in images)                   # ... and decode
    assert all(len(i["alt"]) > 20 for i in images)           # with alt text that says something
    assert r.probes["tables_without_caption"] == 0
    assert "synthetic data" in r.probes["body_text"].lower()  # watermark on screen
    assert shot.is_file() and shot.stat().st_size > 10_000   # a real picture, not blank
    _save(shot, "report-first-screen.png")


def test_printed_report_is_a4_and_every_page_carries_the_watermark(chromium, pages, tmp_path):
    """Chromium prints the synthetic-data report with the print stylesheet: A4 pages, each one
    marked "Synthetic data — illustration only" (a fixed-position element repeats on every
    printed page; this checks that it does), and the figures and tables are still there."""
    from pypdf import PdfReader

    r = chromium.check(pages["report"], axe=False, pdf=tmp_path / "report.pdf")
    reader = PdfReader(r.pdf)
    assert len(reader.pages) >= 3
    for n, page in enumerate(reader.pages, start=1):
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(w - 595.3) < 2 and abs(h - 841.9) < 2, f"page {n} is {w:.0f}x{h:.0f} pt, not A4"
        text = " ".join(page.extract_text().split())
        assert "illustration only" in text, f"page {n} has no synthetic-data watermark"
    everything = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "At a glance" in everything and "Figure 1." in everything and "Table 1." in everything


def test_annex_in_chromium(chromium, pages):
    r = chromium.check(pages["annex"], probes=PROBES)
    assert r.console_errors == [] and r.network_requests == []
    assert r.serious() == [], _describe(r.serious())
    assert r.probes["h1"] == 1 and r.probes["code_cells"] == 0
    assert r.probes["tables_without_caption"] == 0
    assert r.title.startswith("Technical annex")


def _a4_pages(pdf) -> int:
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    for n, page in enumerate(reader.pages, start=1):
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(w - 595.3) < 2 and abs(h - 841.9) < 2, f"page {n} is {w:.0f}x{h:.0f} pt, not A4"
    return len(reader.pages)


def test_the_committee_paper_fits_its_page_budget(pages, chromium):
    """Printed by Chromium (swanalysis report --pdf): at most 6 A4 pages from the published
    statistics alone (Wokingham 2022) and at most 10 with worker data (the demo); the published
    report still passes axe."""
    assert pages["published_pdf"].is_file() and pages["pdf"].is_file()
    published, demo = _a4_pages(pages["published_pdf"]), _a4_pages(pages["pdf"])
    print(f"committee paper: {published} pages published-only, {demo} pages with worker data")
    assert 2 <= published <= 6
    assert 3 <= demo <= 10
    r = chromium.check(pages["published"], probes=PROBES)
    assert r.serious() == [], _describe(r.serious())
    assert r.console_errors == [] and r.network_requests == []


def test_batch_index_in_chromium(chromium, pages, tmp_path):
    shot = tmp_path / "index-first-screen.png"
    r = chromium.check(pages["index"], screenshot=shot, probes=PROBES)
    assert r.console_errors == []
    assert r.network_requests == []
    assert r.serious() == [], _describe(r.serious())
    assert r.probes["tables_without_caption"] == 0
    assert "Wokingham" in r.probes["body_text"]
    assert shot.is_file() and shot.stat().st_size > 5_000
    _save(shot, "index-first-screen.png")


def test_the_check_catches_a_bad_page(chromium, tmp_path):
    """The gate can fail: console errors, network use and serious violations are reported."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        '<p style="color:#bbb;background:#fff">pale text</p>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<script>console.error("planted error")</script>'
        '<img src="http://127.0.0.1:9/x.png" alt="remote">'
        '</body></html>', encoding="utf-8")
    r = chromium.check(bad)
    assert any("planted error" in e for e in r.console_errors)
    assert r.network_requests == ["http://127.0.0.1:9/x.png"]
    found = {v["id"] for v in r.serious()}
    assert {"color-contrast", "image-alt", "html-has-lang", "document-title"} <= found
