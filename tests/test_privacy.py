"""Privacy gate: nothing a report or a batch writes holds a worker identifier or a birth date.

A report is run on a council's own files (synthetic CSWW returns with SWENos and birth dates,
a payroll extract keyed by SWENo and its column map, with three records broken: a non-numeric
FTE, a truncated SWENo, an impossible birth date), and a small batch with ``synthetic: true``. Then EVERY file under the output folder —
HTML, CSV, the Excel workbook (unzipped, every XML part), logs, params, the index — and
everything the commands printed is scanned for

* SWENo-shaped strings (two letters and ten digits, ``[A-Za-z]{2}\\d{10}``), anywhere;
* the exact SWENos of the synthetic returns;
* the exact birth dates of the synthetic returns, in any common format (ISO, UK and US
  numeric, with dashes, dots or slashes, compact, day-month-name, two-digit years) and as
  Excel date cells.

Embedded base64 images are decoded before scanning (SVG is text; PNG bytes are scanned
with the exact-value checks only, since a random byte run can look like a SWENo).
The gate is shown to fail on planted identifiers (test_gate_detects_planted_identifiers).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


from swanalysis.cli import main

SWENO_SHAPE = re.compile(r"[A-Za-z]{2}\d{10}")
DATA_URI = re.compile(r"data:(?P<mime>[\w.+/-]+);base64,(?P<data>[A-Za-z0-9+/=\s]+)")
TEXT_SUFFIXES = {".html", ".htm", ".csv", ".txt", ".log", ".yaml", ".yml", ".json", ".md",
                 ".xml", ".svg", ".tsv", ".js", ".css"}


# ---------------------------------------------------------------------------------------------
# The scanner
# ---------------------------------------------------------------------------------------------

def date_spellings(d: dt.date) -> set[str]:
    """Every common way a birth date might be written."""
    day, month, year = d.day, d.month, d.year
    mon_long, mon_short = d.strftime("%B"), d.strftime("%b")
    yy = f"{year % 100:02d}"
    out = set()
    for D in {f"{day:02d}", str(day)}:
        for M in {f"{month:02d}", str(month)}:
            for sep in "/-.":
                out |= {f"{D}{sep}{M}{sep}{year}", f"{M}{sep}{D}{sep}{year}",
                        f"{year}{sep}{M}{sep}{D}", f"{D}{sep}{M}{sep}{yy}"}
        for mon in (mon_long, mon_short):
            out |= {f"{D} {mon} {year}", f"{D}-{mon}-{year}", f"{mon} {D}, {year}",
                    f"{mon} {D} {year}", f"{D} {mon.upper()} {year}", f"{D}-{mon.upper()}-{year}"}
    out.add(f"{year}{month:02d}{day:02d}")
    return out


@dataclass
class Finding:
    where: str
    what: str


@dataclass
class Gate:
    swenos: set = field(default_factory=set)
    birth_dates: set = field(default_factory=set)  # dt.date
    literals: set = field(default_factory=set)     # other strings that must not appear

    def __post_init__(self):
        self._spellings = {}
        for d in self.birth_dates:
            for s in date_spellings(d):
                self._spellings.setdefault(s, d)
        # longest first so that "07/03/1985" is reported rather than "07/03/19"
        self._date_re = re.compile(
            r"(?<![\d])(" + "|".join(re.escape(s) for s in
                                      sorted(self._spellings, key=len, reverse=True)) + r")(?![\d])",
            re.IGNORECASE) if self._spellings else None

    # -- text ----------------------------------------------------------------------------------
    def scan_text(self, text: str, where: str, shape: bool = True) -> list[Finding]:
        found = []
        # decode embedded images and scan them too, then take them out of the text
        for m in DATA_URI.finditer(text):
            try:
                raw = base64.b64decode(re.sub(r"\s", "", m.group("data")))
            except ValueError:
                continue
            found += self.scan_bytes(raw, f"{where} [{m.group('mime')} data URI]",
                                     shape="svg" in m.group("mime"))
        text = DATA_URI.sub("data:;base64,", text)
        if shape:
            found += [Finding(where, f"SWENo-shaped string {s!r}") for s in SWENO_SHAPE.findall(text)]
        found += [Finding(where, f"SWENo {s}") for s in self.swenos if s in text]
        found += [Finding(where, f"personal value {s!r}") for s in self.literals if s in text]
        if self._date_re is not None:
            found += [Finding(where, f"birth date {m.group(1)!r}")
                      for m in self._date_re.finditer(text)]
        return found

    def scan_bytes(self, raw: bytes, where: str, shape: bool) -> list[Finding]:
        return self.scan_text(raw.decode("utf-8", errors="replace"), where, shape=shape)

    # -- files ---------------------------------------------------------------------------------
    def scan_xlsx(self, path: Path) -> list[Finding]:
        found = []
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                found += self.scan_bytes(z.read(name), f"{path}!{name}",
                                         shape=name.endswith((".xml", ".rels")))
        # dates stored as Excel date cells (numbers with a date format) are not visible as text
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                for v in row:
                    if isinstance(v, (dt.datetime, dt.date)):
                        d = v.date() if isinstance(v, dt.datetime) else v
                        if d in self.birth_dates:
                            found.append(Finding(f"{path}!{ws.title}", f"birth date cell {d}"))
        wb.close()
        return found

    def scan_file(self, path: Path) -> list[Finding]:
        raw = path.read_bytes()
        if raw[:4] == b"PK\x03\x04" and path.suffix.lower() in (".xlsx", ".xlsm", ".docx", ".zip"):
            return self.scan_xlsx(path)
        text_like = path.suffix.lower() in TEXT_SUFFIXES or b"\x00" not in raw[:4096]
        return self.scan_bytes(raw, str(path), shape=text_like)

    def scan_tree(self, root: Path) -> tuple[list[Finding], int]:
        found, n = [], 0
        for p in sorted(Path(root).rglob("*")):
            if p.is_file():
                n += 1
                found += self.scan_file(p)
        return found, n


# ---------------------------------------------------------------------------------------------
# Synthetic councils: what identifiers and birth dates they hold
# ---------------------------------------------------------------------------------------------

def identifiers_in(folder: Path) -> tuple[set, set]:
    """SWENos and birth dates in every return (XML) and extract (CSV) in a folder."""
    from defusedxml import ElementTree as ET

    swenos, births = set(), set()
    for xml in sorted(Path(folder).rglob("*.xml")):
        for el in ET.parse(xml).getroot().iter():
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "SWENo" and el.text:
                swenos.add(el.text.strip())
            elif tag == "PersonBirthDate" and el.text:
                births.add(dt.date.fromisoformat(el.text.strip()[:10]))
    for csv in sorted(Path(folder).rglob("*.csv")):
        swenos |= set(SWENO_SHAPE.findall(csv.read_text(encoding="utf-8", errors="replace")))
    return swenos, births


def regenerate(authority: str, year: int, seed: int, years: int, scale: float, data_dir,
               folder: Path):
    """The synthetic council a report with these parameters generates (synth is seeded)."""
    from swanalysis import synth

    council = synth.generate(authority, list(range(year - years + 1, year + 1)), seed=seed,
                             data_dir=str(data_dir), scale=scale)
    council.write(folder)
    return identifiers_in(folder)


# ---------------------------------------------------------------------------------------------
# The gate can fail
# ---------------------------------------------------------------------------------------------

def test_gate_detects_planted_identifiers(tmp_path):
    import openpyxl

    dob = dt.date(1987, 3, 7)
    gate = Gate(swenos={"QX1234567890", "QX12345"}, birth_dates={dob}, literals={"1987-02-30"})
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "clean.html").write_text("<p>Turnover 12.3% in 2025; worker a1b2c3d4e5f60718</p>")
    (scratch / "table.csv").write_text("team,n\nNorth,QX1234567890\n")
    (scratch / "other.log").write_text("row 4: worker Ab0987654321 rejected\n")
    (scratch / "uk.html").write_text("<td>07/03/1987</td>")
    (scratch / "words.txt").write_text("born 7 March 1987")
    (scratch / "report.log").write_text("record 12: PersonBirthDate 1987-02-30 is not a date\n")
    svg = base64.b64encode(b"<svg><text>Zz5555555555</text></svg>").decode()
    (scratch / "figure.html").write_text(f'<img src="data:image/svg+xml;base64,{svg}" alt="x">')
    wb = openpyxl.Workbook()
    wb.active.append(["name", "born"])
    wb.active.append(["someone", dt.datetime(1987, 3, 7)])
    wb.create_sheet("ids").append(["Mm1111111111"])
    wb.save(scratch / "tables.xlsx")

    found, n = gate.scan_tree(scratch)
    text = "\n".join(f"{f.where}: {f.what}" for f in found)
    assert n == 8
    assert "clean.html" not in text
    assert "table.csv: SWENo QX1234567890" in text
    assert "other.log: SWENo-shaped string 'Ab0987654321'" in text
    assert "uk.html: birth date '07/03/1987'" in text
    assert "words.txt: birth date '7 March 1987'" in text
    assert "report.log: personal value '1987-02-30'" in text
    assert "data URI]: SWENo-shaped string 'Zz5555555555'" in text
    assert "tables.xlsx!xl/worksheets/sheet2.xml: SWENo-shaped string 'Mm1111111111'" in text
    assert "birth date cell 1987-03-07" in text


def test_date_spellings_cover_common_formats():
    s = date_spellings(dt.date(1990, 11, 4))
    for form in ("1990-11-04", "04/11/1990", "4/11/1990", "11/04/1990", "04.11.1990",
                 "19901104", "4 November 1990", "04 Nov 1990", "November 4, 1990", "04/11/90",
                 "04-Nov-1990"):
        assert form in s


# ---------------------------------------------------------------------------------------------
# A report and a batch on synthetic worker data
# ---------------------------------------------------------------------------------------------

def _assert_clean(gate: Gate, root: Path, printed: str, min_files: int):
    found, n = gate.scan_tree(root)
    found += gate.scan_text(printed, "<printed output>")
    assert n >= min_files, f"only {n} files written under {root}"
    assert not found, "\n".join(f"{f.where}: {f.what}" for f in found[:20])


def _plant_bad_records(xml: Path) -> tuple[str, str]:
    """Break three records of a return the way real extracts go wrong; return the malformed
    SWENo and the impossible birth date, which must not be echoed into any output either."""
    text = xml.read_text(encoding="utf-8")
    workers = text.split("<CSWWWorker>")
    assert len(workers) > 4
    workers[1] = re.sub(r"<FTE>[^<]*</FTE>", "<FTE>zero point five</FTE>", workers[1], count=1)
    swe = re.search(r"<SWENo>([A-Za-z]{2}\d{10})</SWENo>", workers[2]).group(1)
    short = swe[:9]                                    # a truncated SWENo
    workers[2] = workers[2].replace(f"<SWENo>{swe}</SWENo>", f"<SWENo>{short}</SWENo>", 1)
    year = re.search(r"<PersonBirthDate>(\d{4})-", workers[3]).group(1)
    bad_dob = f"{year}-02-30"
    workers[3] = re.sub(r"<PersonBirthDate>[^<]*</PersonBirthDate>",
                        f"<PersonBirthDate>{bad_dob}</PersonBirthDate>", workers[3], count=1)
    xml.write_text("<CSWWWorker>".join(workers), encoding="utf-8")
    return short, bad_dob


def test_report_with_worker_data_leaks_nothing(tmp_path, data_dir, capfd):
    """A council's own files (returns + payroll extract + column map), three of them broken."""
    from swanalysis import synth

    src = tmp_path / "council-files"              # personal data: outside the output folder
    council = synth.generate("Hartlepool", [2022, 2023, 2024], seed=11, data_dir=str(data_dir),
                             scale=0.6).write(src)
    swenos, births = identifiers_in(src)
    short_swe, bad_dob = _plant_bad_records(Path(council.returns[-1]))
    out = tmp_path / "out"
    params = tmp_path / "params.yaml"
    params.write_text(
        "la: Hartlepool\nyear: 2024\ncsww:\n"
        + "".join(f"  - {p}\n" for p in council.returns)
        + f"hr: {council.payroll_path}\nhr_map: {council.hr_map_path}\ndata_dir: {data_dir}\n",
        encoding="utf-8")
    code = main(["report", "--params", str(params), "--out", str(out)])
    printed = "".join(capfd.readouterr())
    assert code == 0, printed[-2000:]
    assert len(swenos) >= 20 and len(births) >= 20     # the files really hold them
    gate = Gate(swenos=swenos | {short_swe}, birth_dates=births, literals={bad_dob})
    report = out / "2024" / "hartlepool"
    assert (report / "report.html").is_file() and (report / "tables.xlsx").is_file()
    tables = {p.stem for p in (report / "tables").glob("*.csv")}
    assert {"retention", "workforce", "benchmark"} <= tables   # worker-level sections ran
    _assert_clean(gate, out, printed, min_files=10)


def test_batch_with_worker_data_leaks_nothing(tmp_path, data_dir, capfd):
    out = tmp_path / "out"
    params = tmp_path / "params.yaml"
    params.write_text("synthetic: true\nsynthetic_seed: 5\nsynthetic_years: 3\nsynthetic_scale: 0.6\n",
                      encoding="utf-8")
    las = ["Rutland", "Darlington"]
    # one worker: the second council's report runs in the kernel the first one used
    code = main(["batch", "--year", "2025", "--la", ",".join(las), "--workers", "1",
                 "--params", str(params), "--out", str(out), "--data-dir", str(data_dir)])
    printed = "".join(capfd.readouterr())
    assert code == 0, printed[-2000:]
    swenos, births = set(), set()
    for la in las:                          # the same seeded councils the reports generated
        s, b = regenerate(la, 2025, seed=5, years=3, scale=0.6, data_dir=data_dir,
                          folder=tmp_path / f"regen-{la}")
        swenos |= s
        births |= b
    assert len(swenos) >= 20 and len(births) >= 20
    gate = Gate(swenos=swenos, birth_dates=births)
    for slug in ("rutland", "darlington"):
        assert (out / "2025" / slug / "report.html").is_file()
    assert (out / "2025" / "index.html").is_file() and (out / "2025" / "batch.log").is_file()
    _assert_clean(gate, out, printed, min_files=12)
