"""Reader comparison (issue 10): our HTML/PDF readers against trafilatura, readability-lxml and pdfplumber.

    nice -n 10 python -m eval.compare_readers [--write] [--repeat N]

Documents: the HTML and PDF files of ../shared/corpus that have a dev record in eval/gold/structure.jsonl
(4 HTML pages, 2 PDFs; no test document is read). Readers, each giving text in the readers' convention
(a paragraph per line, a table row per line with tab-joined cells):

- HTML: ``ours`` (kb.readers.read_html); ``trafilatura`` (trafilatura.extract with tables, its metadata
  title put first, its "| a | b |" table rows turned into tab rows); ``readability`` (readability-lxml's
  summary, its title put first, the summary rendered by our HTML renderer so tables stay rows);
  ``readability-unhidden`` (the same after dropping a ``<body style="visibility: hidden">``, which two
  pages carry until their script shows them and which makes readability drop the whole body).
- PDF: ``ours`` (kb.readers.read_pdf); ``pdfplumber-raw`` (page.extract_text() of every page, as a user gets
  it); ``pdfplumber`` (lines outside pdfplumber's tables, page numbers dropped, wrapped lines re-joined by a
  plain rule, every table row of find_tables() as a tab row with merged cells filled from the cell
  rectangles; a row holding one text across the table (framed body text, a caption) is read as a text line).

Measures per document and reader:

- recall: share of the record's gold snippets (same_clause, different, lead tasks) whose canonical text
  (eval.common.canon) stands in the canonical extracted text.
- boilerplate: share of non-whitespace characters on lines outside the document proper, a line being
  outside when (1) it lies before the first line holding the title (or its first 12 characters) or the
  文号, (2) it lies after the last line holding a gold snippet, a table row, a 年月日 date or 印发, (3) it is
  page chrome: a short line (at most 60 characters, no 。 or ；, no table cell) matching the lexicon
  ``CHROME`` (navigation, share/print, copyright, ICP, page numbers), or (4) it
  also stands (canonical, at least 6 characters, no gold snippet in it) in the same reader's text of
  another page of the same site.
- table rows: lines the reader gives as a table row starting with a serial number, and the task rows our
  pipeline (kb.parse.parse_text) builds from the text, against the record's task_rows.
- rows in context: ``ROW_PROBES``, table rows written from the dev documents; a probe passes when its
  parts (serial, merged section/task cell, content, lead or figures) stand in order on one line.
- structure: the text fed to kb.parse.parse_text and scored by eval.run_structure.check_record; the pass
  rate of all checks, and of the clause-structure checks (top_parts, labels, same_clause, different).
- seconds: CPU seconds of reading one file (process time, best of ``--repeat`` runs, imports excluded).

``--write`` writes eval/results/reader_comparison.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from eval.common import RESULTS_DIR, SHARED_CORPUS, canon, markdown_table

COMMAND = "nice -n 10 python -m eval.compare_readers --write"
STRUCTURE_FIELDS = ("top_parts", "labels", "same_clause", "different")
#: page chrome: a line matching this is boilerplate wherever it stands
CHROME = re.compile(
    r"扫一扫|版权所有|ICP\s*备|公网安备|网站标识码|网站地图|联系我们|主办单位|承办单位|技术支持|当前位置|您的位置|"
    r"无障碍|适老化|返回顶部|点击查看|浏览次数|访问量|上一篇|下一篇|相关(?:链接|文件|阅读|新闻|稿件)|分享到|"
    r"^\s*【?\s*(?:打印|关闭|收藏|纠错|关闭窗口|打印本页|字号|字体)\s*】?\s*[：:]?\s*(?:大\s*中\s*小)?\s*$|"
    r"^\s*[—–\-－―]*\s*\d{1,4}\s*[—–\-－―]*\s*$|^\s*第\s*\d{1,4}\s*页|^\s*\d{1,4}\s*/\s*\d{1,4}\s*$"
)
#: chrome lines are short (a menu item, a footer line, a page number)
CHROME_MAX = 60
#: table rows in context, written from the dev documents themselves: each probe's parts must stand, in
#: this order, on one line of the reader's text (a row with its merged section/task cell and its figures)
ROW_PROBES: dict[str, list[tuple[str, ...]]] = {
    "gz_family_doctor_plan_2023": [
        ("1", "有序扩大家庭医生来源", "每千常住人口基层卫生人员数不低于3.5人", "各区政府"),
        ("3", "完善家庭医生培养培训体系", "培育省、市家庭医生培训示范基地"),
        ("6", "保障合理用药", "处方用药量最长放宽至3个月", "市医保局"),
    ],
    "ganzhou_digital_economy_2022": [
        ("1", "构筑资源承载新高地", "推动与大湾区数据资源互通", "市行政审批局"),
        ("12", "夯实基础设施新支撑", "争取建设国家互联网骨干直联点", "市工信局"),
        ("41", "构建安全保障体系", "加强数字化项目网络安全审查", "市委网信办"),
        ("46", "加强相关专业培训", "市委党校"),
    ],
    "hongze_gov_info_disclosure_report_2023": [
        ("三、本年度办理结果", "（一）予以公开", "0000000"),
        ("（三）不予公开", "6.属于四类过程性信息", "1000001"),
        ("（四）无法提供", "1.本机关不掌握相关政府信息", "100000010"),
        ("（五）不予处理", "1.信访举报投诉类申请", "1000001"),
        ("（七）总计", "210000021"),
        ("行政处罚", "4119"),
    ],
}
_DATE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[〇零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月")
_SERIAL_ROW = re.compile(r"^\s*\d{1,4}\s*\t")
_MD_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_TERMINAL = set("。！？；：!?;:")


# ----------------------------------------------------------------------------------------------- readers


@dataclass
class Reader:
    name: str
    fmt: str  # "html" | "pdf"
    read: Callable[[Path], str]
    available: bool = True
    note: str = ""


def read_ours(path: Path) -> str:
    from kb.readers import read_file

    return read_file(path).text


def _html(path: Path) -> str:
    from kb.readers.html import _decode_html

    return _decode_html(path.read_bytes())


def markdown_rows_to_tabs(text: str) -> str:
    """trafilatura's "| a | b |" table rows as tab rows (the readers' convention)."""
    out = []
    for line in text.splitlines():
        m = _MD_ROW.match(line)
        if m:
            cells = [c.strip() for c in m.group(1).split(" | ")]
            out.append("\t".join(cells))
        else:
            out.append(line)
    return "\n".join(out)


def with_title(title: str, text: str) -> str:
    """Put the library's title first unless one of the first lines already is it (as our reader does)."""
    bare = canon(title)
    lines = text.splitlines()
    if bare and not any(canon(line) == bare for line in lines[:8]):
        lines.insert(0, title.strip())
    return "\n".join(lines) + "\n"


def read_trafilatura(path: Path) -> str:
    import trafilatura

    html = _html(path)
    text = trafilatura.extract(html, include_tables=True, include_comments=False, output_format="txt") or ""
    meta = trafilatura.extract_metadata(html)
    return with_title((meta.title if meta else "") or "", markdown_rows_to_tabs(text))


_HIDDEN_BODY = re.compile(r"(<body\b[^>]*?)\sstyle\s*=\s*(['\"])[^'\">]*(?:visibility\s*:\s*hidden|display\s*:\s*none)[^'\">]*\2",
                          re.IGNORECASE)


def unhide_body(html: str) -> str:
    """Drop a <body style="visibility: hidden"> (shown by the page's script; readability drops hidden nodes)."""
    return _HIDDEN_BODY.sub(r"\1", html, count=1)


def read_readability(path: Path, unhide: bool = False) -> str:
    from bs4 import BeautifulSoup
    from readability import Document

    from kb.readers.html import _clean_lines, _render

    html = _html(path)
    doc = Document(unhide_body(html) if unhide else html)
    soup = BeautifulSoup(doc.summary(html_partial=True), "lxml")
    lines = _clean_lines(_render(soup.body or soup))
    return with_title(doc.short_title() or "", "\n".join(lines))


def read_pdfplumber_raw(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages) + "\n"


def join_cell(text: str | None) -> str:
    """A wrapped cell's pieces joined (Chinese with nothing between, Latin words with a space)."""
    from kb.readers.pdf import _join

    out = ""
    for piece in (text or "").split("\n"):
        piece = piece.strip()
        out = _join(out, piece) if out else piece
    return out


def _edges(values: list[float], tol: float = 2.0) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _span(edges: list[float], lo: float, hi: float, tol: float = 2.0) -> range:
    """Indices of the grid intervals [edges[i], edges[i+1]] lying within lo..hi."""
    return range(*[next((i for i, e in enumerate(edges) if abs(e - x) <= tol), 0) for x in (lo, hi)])


def table_grid(page, table) -> list[tuple[float, list[str], float, float]]:
    """A pdfplumber table as a full grid: a merged cell's text copied into every row and column it covers
    (the readers' convention). The grid lines are the distinct cell edges; pdfplumber gives None there.
    (top, cells, right end of its text, font size) per grid row."""
    cells = table.cells
    xs = _edges([c[0] for c in cells] + [c[2] for c in cells])
    ys = _edges([c[1] for c in cells] + [c[3] for c in cells])
    grid: list[list[str | None]] = [[None] * max(1, len(xs) - 1) for _ in range(max(1, len(ys) - 1))]
    ends = [0.0] * len(grid)  # right end of the text in each grid row
    sizes = [12.0] * len(grid)
    for cell in sorted(cells, key=lambda c: (c[1], c[0])):
        crop = page.crop(cell, strict=False)
        text = join_cell(crop.extract_text())
        if crop.chars:
            for r in _span(ys, cell[1], cell[3]):
                ends[r] = max(ends[r], max(ch["x1"] for ch in crop.chars))
                sizes[r] = max(ch.get("size", 12.0) for ch in crop.chars)
        for r in _span(ys, cell[1], cell[3]):
            for c in _span(xs, cell[0], cell[2]):
                if grid[r][c] is None:
                    grid[r][c] = text
    return [(ys[r], [cell or "" for cell in row], ends[r], sizes[r]) for r, row in enumerate(grid)]


def is_text_row(cells: list[str]) -> bool:
    """One text across the whole row: a line of body text in a framed box, or a caption row."""
    return len({c for c in cells if c}) == 1


def join_lines(lines: list[tuple[str, float, float, float]]) -> list[str]:
    """Re-join hard-wrapped lines: a line continues the previous one unless that ends a sentence, stops
    short of its page's right edge, or the line starts with numbering. (text, x1, font size, right edge)."""
    from kb.readers.pdf import _NUMBERED, _join

    out: list[str] = []
    prev_open = False
    for text, x1, size, right in lines:
        t = text.strip()
        if not t:
            prev_open = False
            continue
        if prev_open and out and not _NUMBERED.match(t):
            out[-1] = _join(out[-1], t)
        else:
            out.append(t)
        prev_open = t[-1] not in _TERMINAL and x1 >= right - 1.5 * size
    return out


def read_pdfplumber(path: Path) -> str:
    import pdfplumber

    items: list[str] = []
    current: list[tuple[str, float, float, float]] = []  # a paragraph may run on over a page break
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            tables = [(table, table_grid(page, table)) for table in page.find_tables()]
            boxes = [t.bbox for t, _rows in tables]

            def outside(obj, boxes=boxes) -> bool:
                cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
                return not any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes)

            entries: list[tuple[float, int, object]] = []  # (top, order, text line or table rows)
            for k, ln in enumerate(page.filter(outside).extract_text_lines()):
                if re.fullmatch(r"\s*(?:[—–\-－―]*\s*\d{1,4}\s*[—–\-－―]*|第\s*\d{1,4}\s*页.*)\s*", ln["text"]):
                    continue  # page numbers
                size = max((ch.get("size", 12.0) for ch in ln.get("chars", [])), default=12.0)
                entries.append((ln["top"], k, (ln["text"], ln["x1"], size)))
            for k, (_table, rows) in enumerate(tables):
                for j, (top, cells, x1, size) in enumerate(rows):
                    if is_text_row(cells):  # framed body text: a line to be joined like any other
                        text = next(c for c in cells if c)
                        entries.append((top, 10**6 + 1000 * k + j, (text, x1, size)))
                    elif any(cells):
                        entries.append((top, 10**6 + 1000 * k + j, cells))
            entries.sort(key=lambda e: (e[0], e[1]))
            rights = sorted(e[2][1] for e in entries if isinstance(e[2], tuple) and len(e[2][0].strip()) >= 8)
            right = rights[int(0.8 * (len(rights) - 1))] if rights else float(page.width)
            for _top, _k, payload in entries:
                if isinstance(payload, tuple):
                    current.append((*payload, right))
                    continue
                items.extend(join_lines(current))
                current = []
                items.append("\t".join(payload))
    items.extend(join_lines(current))
    return "\n".join(items) + "\n"


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def readers() -> list[Reader]:
    return [
        Reader("ours", "html", read_ours, note="kb.readers.html"),
        Reader("trafilatura", "html", read_trafilatura, _has("trafilatura"), "trafilatura.extract + metadata title"),
        Reader("readability", "html", read_readability, _has("readability"), "readability-lxml summary, our renderer"),
        Reader("readability-unhidden", "html", lambda p: read_readability(p, unhide=True), _has("readability"),
               "the same after removing <body style='visibility: hidden'>"),
        Reader("ours", "pdf", read_ours, note="kb.readers.pdf (pypdf)"),
        Reader("pdfplumber-raw", "pdf", read_pdfplumber_raw, _has("pdfplumber"), "page.extract_text()"),
        Reader("pdfplumber", "pdf", read_pdfplumber, _has("pdfplumber"), "text outside tables, joined; table rows"),
    ]


# ----------------------------------------------------------------------------------------------- scoring


def snippet_recall(text: str, snippets: list[str]) -> tuple[float | None, list[str]]:
    """Share of snippets whose canonical form stands in the canonical text; the missed ones."""
    if not snippets:
        return None, []
    whole = canon(text)
    missed = [s for s in snippets if canon(s) not in whole]
    return 1 - len(missed) / len(snippets), missed


@dataclass
class Boilerplate:
    chars: int
    outside_before: int = 0
    outside_after: int = 0
    chrome: int = 0
    repeated: int = 0
    lines: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.outside_before + self.outside_after + self.chrome + self.repeated

    @property
    def share(self) -> float | None:
        return self.total / self.chars if self.chars else None


def boilerplate(text: str, titles: list[str], number: str | None, snippets: list[str],
                other_pages: list[str] = ()) -> Boilerplate:
    """Characters of lines outside the document proper (see the module docstring); each line counted once."""
    lines = [ln for ln in text.splitlines() if canon(ln)]
    canons = [canon(ln) for ln in lines]
    snips = [canon(s) for s in snippets if canon(s)]
    starts = [canon(t) for t in titles if canon(t)]
    starts += [t[:12] for t in starts if len(t) > 12]
    if number:
        starts.append(canon(number))
    start = next((i for i, c in enumerate(canons) if any(a in c for a in starts)), None)
    if start is None:
        start = next((i for i, c in enumerate(canons) if any(s in c for s in snips)), 0)
    ends = [i for i, (ln, c) in enumerate(zip(lines, canons, strict=True))
            if "\t" in ln or _DATE.search(ln) or "印发" in c or any(s in c for s in snips)]
    end = max(ends) if ends else len(lines) - 1
    other = {canon(ln) for page in other_pages for ln in page.splitlines() if len(canon(ln)) >= 6}
    result = Boilerplate(chars=sum(len(c) for c in canons))
    for i, (ln, c) in enumerate(zip(lines, canons, strict=True)):
        if i < start:
            result.outside_before += len(c)
        elif i > end:
            result.outside_after += len(c)
        elif is_chrome(ln):
            result.chrome += len(c)
        elif c in other and not any(s in c for s in snips):
            result.repeated += len(c)
        else:
            continue
        result.lines.append(ln.strip()[:80])
    return result


def is_chrome(line: str) -> bool:
    """A short line of page chrome: a body sentence that mentions 无障碍 or 承办单位 is not chrome."""
    c = canon(line)
    return len(c) <= CHROME_MAX and "\t" not in line and not re.search(r"[。；;]", line) and bool(CHROME.search(line))


def row_probes(text: str, probes: list[tuple[str, ...]]) -> tuple[int, list[str]]:
    """How many probes stand on one line with their parts in order; the missed ones."""
    lines = [canon(ln) for ln in text.splitlines()]
    missed = []
    for probe in probes:
        parts = [canon(p) for p in probe]
        if not any(_in_order(line, parts) for line in lines):
            missed.append(" / ".join(probe))
    return len(probes) - len(missed), missed


def _in_order(line: str, parts: list[str]) -> bool:
    pos = 0
    for part in parts:
        at = line.find(part, pos)
        if at < 0:
            return False
        pos = at + len(part)
    return True


def serial_rows(text: str) -> int:
    """Table rows (tab lines) that start with a serial number: task-table rows as the reader gives them."""
    return sum(1 for ln in text.splitlines() if "\t" in ln and _SERIAL_ROW.match(ln))


def structure_checks(rec: dict, text: str, path: Path, fmt: str) -> tuple[list, int, int]:
    """The structural gold checks of one record against our pipeline fed with this text."""
    from eval.run_structure import DocView, check_record
    from kb.parse import parse_text

    parsed = parse_text(text, str(path), fmt)
    view = DocView(parsed.document, sorted(parsed.clauses, key=lambda c: c.seq), parsed.task_rows)
    return check_record(rec, view), len(parsed.task_rows), len(parsed.clauses)


def cpu_seconds(fn: Callable[[Path], str], path: Path, repeat: int) -> tuple[str, float]:
    best, text = float("inf"), ""
    for _ in range(max(1, repeat)):
        t0 = time.process_time()
        text = fn(path)
        best = min(best, time.process_time() - t0)
    return text, best


def site_of(path: Path) -> str:
    m = re.search(rb'name="SiteDomain"\s+content="(?:https?://)?([^"/]+)', path.read_bytes()[:20000])
    return m.group(1).decode("ascii", "replace").removeprefix("www.") if m else ""


# ----------------------------------------------------------------------------------------------- run


def documents() -> list[tuple[dict, Path]]:
    """(dev gold record, file) for the HTML and PDF files of ../shared/corpus."""
    from eval.run_structure import load_records

    out = []
    for rec in load_records():
        if rec["split"] != "dev" or rec["doc"].startswith("guangan36_"):
            continue
        for p in sorted(SHARED_CORPUS.glob(f"{rec['doc']}.*")):
            if p.suffix.lower() in (".html", ".htm", ".pdf"):
                out.append((rec, p))
    return out


def run(repeat: int = 3, log: Callable[[str], None] = print) -> dict:
    from eval.run_structure import gold_snippets

    docs = documents()
    rows: list[dict] = []
    texts: dict[tuple[str, str], str] = {}
    for reader in readers():
        if not reader.available:
            log(f"{reader.name}: 未安装，跳过")
            continue
        for rec, path in docs:
            fmt = "pdf" if path.suffix.lower() == ".pdf" else "html"
            if fmt != reader.fmt:
                continue
            reader.read(path)  # warm-up: first-call imports and caches are not the reader's cost
            text, secs = cpu_seconds(reader.read, path, repeat)
            texts[(reader.name + fmt, path.stem)] = text
            checks, task_rows, clauses = structure_checks(rec, text, path, fmt)
            snippets = gold_snippets(rec)
            recall, missed = snippet_recall(text, snippets)
            struct = [c for c in checks if c.field in STRUCTURE_FIELDS]
            rows.append({
                "doc": path.stem, "fmt": fmt, "reader": reader.name, "seconds": round(secs, 3),
                "chars": len(canon(text)), "recall": recall, "snippets": len(snippets), "missed": missed,
                "serial_rows": serial_rows(text), "row_probes": len(ROW_PROBES.get(path.stem, [])),
                "row_probes_passed": row_probes(text, ROW_PROBES.get(path.stem, []))[0],
                "row_probes_missed": row_probes(text, ROW_PROBES.get(path.stem, []))[1], "task_rows": task_rows, "gold_task_rows": rec["task_rows"],
                "clauses": clauses,
                "checks": len(checks), "passed": sum(c.ok for c in checks),
                "structure_checks": len(struct), "structure_passed": sum(c.ok for c in struct),
                "failed": [f"{c.field}: {c.expected}" for c in checks if not c.ok],
                "_rec": rec, "_text": text, "_path": path,
            })
            log(f"{reader.name:15} {path.name:45} {secs:6.3f} s  recall {recall}  checks {rows[-1]['passed']}/{len(checks)}")
    sites = {p.stem: site_of(p) for _rec, p in docs if p.suffix.lower() != ".pdf"}
    for row in rows:
        rec = row.pop("_rec")
        text = row.pop("_text")
        path = row.pop("_path")
        others = []
        if row["fmt"] == "html" and sites.get(path.stem):
            others = [t for (key, stem), t in texts.items()
                      if key == row["reader"] + "html" and stem != path.stem and sites.get(stem) == sites[path.stem]]
        bp = boilerplate(text, rec["title"], rec.get("number"), gold_snippets(rec), others)
        row["boilerplate"] = bp.share
        row["boilerplate_parts"] = {"before": bp.outside_before, "after": bp.outside_after,
                                    "chrome": bp.chrome, "repeated": bp.repeated}
        row["boilerplate_lines"] = bp.lines[:12]
    return {"measured_at": datetime.now().isoformat(timespec="seconds"), "command": COMMAND,
            "repeat": repeat, "libraries": _versions(), "documents": [p.name for _r, p in docs], "rows": rows,
            "totals": totals(rows)}


def totals(rows: list[dict]) -> list[dict]:
    """Per format and reader: pooled recall, boilerplate and pass rates, total seconds."""
    out = []
    keys = list(dict.fromkeys((r["fmt"], r["reader"]) for r in rows))
    for fmt, reader in keys:
        sub = [r for r in rows if r["fmt"] == fmt and r["reader"] == reader]
        snippets = sum(r["snippets"] for r in sub)
        chars = sum(r["chars"] for r in sub)
        bp_chars = sum(sum(r["boilerplate_parts"].values()) for r in sub)
        out.append({
            "fmt": fmt, "reader": reader, "documents": len(sub),
            "recall": (sum(r["snippets"] - len(r["missed"]) for r in sub) / snippets) if snippets else None,
            "boilerplate": bp_chars / chars if chars else None,
            "serial_rows": sum(r["serial_rows"] for r in sub), "task_rows": sum(r["task_rows"] for r in sub),
            "row_probes": sum(r["row_probes"] for r in sub), "row_probes_passed": sum(r["row_probes_passed"] for r in sub),
            "gold_task_rows": sum(r["gold_task_rows"] for r in sub),
            "pass_rate": sum(r["passed"] for r in sub) / max(1, sum(r["checks"] for r in sub)),
            "structure_rate": sum(r["structure_passed"] for r in sub) / max(1, sum(r["structure_checks"] for r in sub)),
            "seconds_per_doc": sum(r["seconds"] for r in sub) / len(sub),
        })
    return out


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("trafilatura", "readability-lxml", "pdfplumber", "pdfminer.six", "pypdf", "beautifulsoup4", "lxml"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def render(result: dict, conclusion: str = "") -> str:
    lines = ["# Reader comparison (issue 10)", "", f"`{result['command']}` · measured {result['measured_at']} · "
             f"CPU seconds best of {result['repeat']} · " + ", ".join(f"{k} {v}" for k, v in result["libraries"].items()),
             "", "Definitions: module docstring of eval/compare_readers.py. Dev documents only.", "", "## Totals", ""]
    lines.append(markdown_table(
        ["format", "reader", "docs", "snippet recall %", "boilerplate %", "serial rows", "task rows (gold)",
         "rows in context", "structure checks %", "clause-structure %", "s / doc"],
        [[t["fmt"], t["reader"], t["documents"], _pct(t["recall"]), _pct(t["boilerplate"]), t["serial_rows"],
          f"{t['task_rows']} ({t['gold_task_rows']})", f"{t['row_probes_passed']}/{t['row_probes']}",
          _pct(t["pass_rate"]), _pct(t["structure_rate"]),
          f"{t['seconds_per_doc']:.3f}"] for t in result["totals"]]))
    lines += ["", "## Per document", ""]
    lines.append(markdown_table(
        ["document", "reader", "chars", "recall", "boilerplate % (before/after/chrome/repeat chars)", "serial rows",
         "task rows (gold)", "rows in context", "checks", "clause-structure", "s"],
        [[r["doc"], r["reader"], r["chars"], f"{r['snippets'] - len(r['missed'])}/{r['snippets']}",
          f"{_pct(r['boilerplate'])} ({'/'.join(str(v) for v in r['boilerplate_parts'].values())})",
          r["serial_rows"], f"{r['task_rows']} ({r['gold_task_rows']})",
          f"{r['row_probes_passed']}/{r['row_probes']}" if r["row_probes"] else "—", f"{r['passed']}/{r['checks']}",
          f"{r['structure_passed']}/{r['structure_checks']}", f"{r['seconds']:.3f}"] for r in result["rows"]]))
    if conclusion:
        lines += ["", "## Conclusion", "", conclusion.strip()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.compare_readers", description="阅读器对比：正文召回、页面杂项、表格行、结构检查、耗时")
    parser.add_argument("--write", action="store_true", help="写入 eval/results/reader_comparison.{md,json}")
    parser.add_argument("--repeat", type=int, default=3, help="每个文件读取次数（取最短 CPU 时间）")
    args = parser.parse_args(argv)
    if not SHARED_CORPUS.is_dir():
        print("未找到 ../shared/corpus，阅读器对比跳过", file=sys.stderr)
        return 0
    result = run(repeat=args.repeat, log=lambda m: print(m, file=sys.stderr))
    md_path = RESULTS_DIR / "reader_comparison.md"
    conclusion = ""
    if md_path.is_file():  # the hand-written conclusion is kept across re-runs
        old = md_path.read_text(encoding="utf-8")
        if "## Conclusion" in old:
            conclusion = old.split("## Conclusion", 1)[1]
    text = render(result, conclusion)
    print(text)
    if args.write:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        md_path.write_text(text, encoding="utf-8")
        (RESULTS_DIR / "reader_comparison.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=1, default=lambda o: asdict(o)) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
