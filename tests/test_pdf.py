"""report.pdf: printed by headless Chromium on A4; a clear one-line error without Chromium."""

from __future__ import annotations

import pytest

from swanalysis.errors import UserError
from swanalysis.report import pdf as P


def test_missing_chromium_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv(P.CHROMIUM_ENV, str(tmp_path / "no-chromium"))
    assert P.find_chromium() is None
    page = tmp_path / "r.html"
    page.write_text("<p>x</p>")
    with pytest.raises(UserError) as exc:
        P.print_pdf(page, tmp_path / "r.pdf")
    assert "needs Chromium" in str(exc.value) and "\n" not in str(exc.value)
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.browser
def test_prints_a4_pages_as_the_stylesheet_asks(tmp_path):
    from pypdf import PdfReader

    if P.find_chromium() is None:
        pytest.fail("Chromium is missing: run `make browser-deps`")
    page = tmp_path / "r.html"
    body = "".join(f'<p style="break-after: page">Page {i}</p>' for i in range(1, 4))
    page.write_text('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title>'
                    "<style>@page { size: A4; margin: 20mm }</style></head>"
                    f"<body>{body}</body></html>", encoding="utf-8")
    out = P.print_pdf(page, tmp_path / "r.pdf")
    reader = PdfReader(out)
    assert len(reader.pages) == P.page_count(out) == 3
    for n, p in enumerate(reader.pages, start=1):
        w, h = float(p.mediabox.width), float(p.mediabox.height)
        assert abs(w - 595.3) < 2 and abs(h - 841.9) < 2
        assert f"Page {n}" in p.extract_text()
