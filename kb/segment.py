"""Cut normalised document text into clauses along the document's own numbering.

Works on line-based text (one paragraph per line, tables as tab rows) and on documents flattened
into one line, where numbering markers are accepted only when they continue a sequence. Every
clause's text is an exact slice `text[start:end]` of the document text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.models import BODY, HEADING, PREAMBLE, TABLE_ROW, TASK_ROW
from kb.numbering import INLINE_MARKER, REFERENCE_AFTER, REFERENCE_BEFORE, Marker, marker_at, next_token

_SENTENCE_END = "。；：！？〕）”"
_FLAT_LINE = 1500  # a line this long is a flattened page: look for markers inside it
_FLAT_SHORT = 80  # in a document of at most _FLAT_FEW_LINES lines, a line this long is a flattened page too
_FLAT_FEW_LINES = 5
_STRONG_INLINE = ("chapter", "section", "article")
_ATTACHMENT = re.compile(r"附件\s*(\d*)\s*[：:]?\s*$|附件\s*(\d+)\s*[：:]?\s*([^。；：\t]{2,60})$")
_TASK_COLS = {
    "number": ("序号", "编号"),
    "task": ("工作任务", "工作事项", "重点任务", "任务名称", "任务", "事项", "项目"),
    "content": ("主要内容", "具体内容", "工作内容", "主要任务", "具体措施", "内容", "措施"),
    "lead": ("牵头单位", "牵头部门", "牵头"),
    "resp": ("责任单位", "配合单位", "责任部门", "配合部门", "参与单位", "协办单位"),
}


@dataclass
class Segment:
    """A clause as the segmenter sees it, before extractors fill in the fields."""

    label: str
    level: int
    kind: str
    title: str
    path: list[str]
    start: int
    end: int
    parent_index: int | None = None
    table_cells: list[str] = field(default_factory=list)
    table_header: dict[str, int] = field(default_factory=dict)
    table_section: str = ""
    token: str = ""  # own numbering token, e.g. "（五）"
    style: str = ""  # numbering style of that token
    heading: str = ""  # how this clause reads in a heading path, e.g. "（五）激发数据要素新活力"
    whole: tuple[int, int] | None = None  # a long numbered clause cut into pieces: the span of all of them


@dataclass
class _Line:
    start: int
    end: int
    text: str
    flat: bool | None = None  # set for the pieces of a flattened line cut at a document boundary
    new_document: bool = False  # the piece starts after another document's signature date

    @property
    def is_table(self) -> bool:
        return "\t" in self.text


# "……请认真贯彻执行。某市人民政府办公室2019年4月16日某市人民政府关于……的通知……": a signature (an organ and a
# date after a sentence end) followed by more text: the next document of a page that publishes two
_SIGNATURE = re.compile(r"[。！；）)”]\s*[\u4e00-\u9fff]{2,40}?(?:人民政府办公室|人民政府办公厅|人民政府|委员会|办公室|办公厅|局|委|厅|部)"
                        r"\s*\d{4}年\d{1,2}月\d{1,2}日(?![起前后至以到止，、的]|开始|施行|实施|印发|执行|生效)")
#: a cover notice publishing the document that follows its signature
_COVER = re.compile(r"(?:印发|转发|发布)(?:给)?你们|现(?:予以?)?(?:印发|转发|发布)|印发实施")
_COVER_LABEL = "印发通知"
_MIN_DOCUMENT = 200  # characters after a signature for the rest to be a document of its own


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        if raw.strip():
            lead = len(raw) - len(raw.lstrip())
            out.extend(_cut_at_signatures(text, _Line(pos + lead, pos + len(raw.rstrip()), raw.strip())))
        pos += len(raw) + 1
    return out


def _cut_at_signatures(text: str, line: _Line) -> list[_Line]:
    """A flattened line holding several documents is cut after each signature date; every piece keeps
    the line's flatness and the pieces after the first are marked as starting a new document."""
    if len(line.text) < _FLAT_LINE:
        return [line]
    cuts = [m.end() for m in _SIGNATURE.finditer(text, line.start, line.end) if line.end - m.end() >= _MIN_DOCUMENT]
    if not cuts:
        return [line]
    bounds = [line.start, *cuts, line.end]
    return [_Line(a, b, text[a:b], flat=True, new_document=i > 0) for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))]


def _header_map(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, names in _TASK_COLS.items():
        for i, cell in enumerate(cells):
            compact = cell.replace(" ", "")
            if any(compact == n or (len(compact) <= 6 and n in compact) for n in names) and i not in found.values():
                found[key] = i
                break
    return found


def _title_of(body: str) -> str:
    """The heading words of a clause: up to the first full stop when short, else a short lead."""
    head = re.split(r"[。；]", body, maxsplit=1)[0]
    if len(head) <= 40:
        return head.strip("，：: ")
    return head[:24].rstrip("，、：") + "…"


class _Numbering:
    """The stack of open numbering levels; decides whether a marker continues the sequence."""

    def __init__(self) -> None:
        self.stack: list[Marker] = []
        self.last_seen: dict[str, int] = {}  # some documents number （一）…（二十） straight through

    def accepts(self, marker: Marker, *, line_start: bool, near_previous: bool, after_stop: bool) -> bool:
        for open_marker in self.stack:
            if open_marker.style == marker.style:
                if line_start:
                    return True
                if marker.number != open_marker.number + 1:
                    return False
                return marker.strong or after_stop or marker.style == "cn"
        if line_start:
            return True
        if marker.number == 1:
            return after_stop or near_previous
        continues = marker.number == self.last_seen.get(marker.style, -1) + 1
        return continues and (marker.strong or after_stop)

    def push(self, marker: Marker) -> int:
        for depth, open_marker in enumerate(self.stack):
            if open_marker.style == marker.style:
                del self.stack[depth:]
                break
        self.stack.append(marker)
        self.last_seen[marker.style] = marker.number
        return len(self.stack)

    def label(self) -> str:
        tokens = [m.token for m in self.stack]
        articles = [i for i, m in enumerate(self.stack) if m.style == "article"]
        if articles:
            tokens = tokens[articles[-1] :]
        return "".join(tokens)


def _is_reference(text: str, marker: Marker) -> bool:
    """第五条 in "依照本办法第五条规定" cites an article; it does not start one."""
    before = text[max(0, marker.start - 4) : marker.start]
    return before.endswith(REFERENCE_BEFORE) or bool(REFERENCE_AFTER.match(text, marker.end))


def _continues_later(text: str, marker: Marker, end: int, seen: dict[str, int]) -> bool:
    """A strong marker numbered 1 opens a sequence when its number 2 follows in the same run.

    `seen` remembers, per token, where it was last found (-1: nowhere after that point), so the
    searches of one line never rescan the same stretch: linear even for 第一条 repeated 80,000 times.
    """
    token = next_token(marker)
    if not token:
        return False
    found = seen.get(token)
    if found is None or (found != -1 and found < marker.end):
        found = text.find(token, marker.end, end)
        seen[token] = found
    return found != -1


def _find_markers(text: str, line: _Line, numbering: _Numbering, flat: bool) -> list[tuple[Marker, int]]:
    """Accepted markers in one line with their depth: at its start, and inside it.

    Inside a flattened page (`flat`) every style is looked for and accepted when it continues a
    sequence; inside an ordinary paragraph only 第X章/节/条 after a sentence end ("……。第八条……").
    """
    found: list[tuple[Marker, int]] = []
    first = marker_at(text, line.start)
    if first and first.end <= line.end and numbering.accepts(first, line_start=True, near_previous=False, after_stop=True):
        found.append((first, numbering.push(first)))
    last_end = found[-1][0].end if found else line.start
    seen: dict[str, int] = {}
    for m in INLINE_MARKER.finditer(text, line.start + 1, line.end):
        if found and m.start() < found[-1][0].end:
            continue
        if not flat and not m.group().startswith("第"):
            continue
        marker = marker_at(text, m.start())
        if marker is None:
            continue
        after_stop = text[m.start() - 1] in _SENTENCE_END
        if not flat and (not after_stop or marker.style not in _STRONG_INLINE):
            continue
        if marker.style in _STRONG_INLINE and _is_reference(text, marker):
            continue
        near_previous = bool(found) and m.start() - last_end <= 40
        opens = marker.number == 1 and marker.strong and _continues_later(text, marker, line.end, seen)
        if numbering.accepts(marker, line_start=False, near_previous=near_previous or opens, after_stop=after_stop):
            found.append((marker, numbering.push(marker)))
            last_end = marker.end
    return found


_DOC_KIND_END = re.compile(r"[^。；：，]{4,80}?(?:通知|通报|公告|通告|方案|办法|意见|细则|规定|决定|措施|批复|规划|计划|要点|条例|规则|报告)")


def _document_title_end(text: str, line: _Line) -> int:
    """Where the title of a document that starts mid-line ends (its kind word: …的通知, …实施方案)."""
    m = _DOC_KIND_END.match(text, line.start, line.end)
    if m:
        return m.end()
    marker = INLINE_MARKER.search(text, line.start, line.end)
    return marker.start() if marker and marker.start() - line.start <= 80 else min(line.end, line.start + 30)


def _new(segments: list[Segment], seg: Segment) -> int:
    segments.append(seg)
    return len(segments) - 1


def segment(text: str) -> list[Segment]:
    """The clause tree of a document, in reading order (parents before children)."""
    lines = _lines(text)
    few_lines = len(lines) <= _FLAT_FEW_LINES
    segments: list[Segment] = []
    numbering = _Numbering()
    heads: list[int] = []  # segments open at each depth (attachment heading first, when in one)
    attachment = ""
    table_header: dict[str, int] = {}
    table_section = ""
    counters = {"前言": 0, "段": 0, "行": 0}
    open_index: int | None = None  # the clause an unnumbered line continues
    documents = 1  # documents on the page so far (a second one starts after a signature)

    def heading_path(upto: list[int]) -> list[str]:
        return [segments[i].heading for i in upto]

    for li, line in enumerate(lines):
        prev_line = lines[li - 1] if li else None
        next_line = lines[li + 1] if li + 1 < len(lines) else None
        att = _ATTACHMENT.match(line.text)
        if att and not line.is_table:
            attachment = f"附件{att.group(1) or att.group(2) or ''}"
            caption = att.group(3) or ""
            numbering, table_header, table_section = _Numbering(), {}, ""
            heading = f"{attachment} {caption}".strip()
            idx = _new(segments, Segment(attachment, 1, HEADING, caption or attachment, [], line.start, line.end,
                                         heading=heading))
            heads, open_index = [idx], idx
            continue
        in_table_gap = bool(
            not line.is_table and table_header and prev_line and next_line and next_line.is_table
        )
        if line.is_table or in_table_gap:
            cells = line.text.split("\t")
            if line.is_table:
                header = _header_map(cells)
                if "number" in header and ("lead" in header or "resp" in header):
                    table_header = header
                    continue  # a header row, repeated on each page
            outer = heads[:1] if attachment else heads
            if in_table_gap:  # a section row inside the table: 一、重点任务
                table_section = line.text
                _new(segments, Segment(line.text, len(outer) + 1, HEADING, line.text, heading_path(outer),
                                       line.start, line.end, heading=line.text))
                open_index = None
                continue
            num_col = table_header.get("number", -1)
            number_cell = cells[num_col].strip() if 0 <= num_col < len(cells) else ""
            prefix = attachment or (segments[heads[-1]].label if heads else "表")
            path = heading_path(outer) + ([table_section] if table_section else [])
            if number_cell.isdigit():
                task_col = table_header.get("task", -1)
                title = cells[task_col] if 0 <= task_col < len(cells) else ""
                seg = Segment(f"{prefix} {number_cell}", len(path) + 1, TASK_ROW, title, path, line.start, line.end,
                              table_cells=cells, table_header=dict(table_header), table_section=table_section)
            else:
                counters["行"] += 1
                seg = Segment(f"{prefix} 行{counters['行']}", len(path) + 1, TABLE_ROW, cells[0][:30], path,
                              line.start, line.end, table_cells=cells)
            seg.heading = seg.label
            _new(segments, seg)
            open_index = None
            continue
        table_header, table_section = {}, ""

        if line.new_document and numbering.last_seen and _COVER.search(text, 0, line.start):
            # the numbered requests of a cover notice (现印发给你们…一、二、三) before the policy it publishes:
            # the policy keeps the plain labels, the notice's parts are labelled as the notice's
            for seg in segments:
                if seg.token and not seg.label.startswith(_COVER_LABEL):
                    seg.label = f"{_COVER_LABEL} {seg.label}"
            numbering, heads, open_index, attachment = _Numbering(), [], None, ""
        elif line.new_document and numbering.last_seen:  # a second document on the page: a new top-level part
            documents += 1
            attachment = f"文件{documents}"
            title_end = _document_title_end(text, line)
            numbering, table_header, table_section = _Numbering(), {}, ""
            idx = _new(segments, Segment(attachment, 1, HEADING, text[line.start : title_end][:60], [], line.start,
                                         title_end, heading=f"{attachment} {text[line.start : title_end][:40]}"))
            heads, open_index = [idx], idx
            if title_end >= line.end:
                continue
            line = _Line(title_end, line.end, text[title_end : line.end], flat=True)
        elif line.new_document:
            open_index = None  # the cover notice ends at its signature
        flat = line.flat if line.flat is not None else (
            len(line.text) >= _FLAT_LINE or (few_lines and len(line.text) >= _FLAT_SHORT))
        markers = _find_markers(text, line, numbering, flat)
        if not markers:
            closes_bracket = bool(prev_line) and prev_line.text.endswith(("〕", "）")) and "单位" in prev_line.text[-300:]
            in_preamble = all(s.kind == PREAMBLE for s in segments)
            if open_index is not None and not closes_bracket and not in_preamble:
                segments[open_index].end = line.end
                continue
            if in_preamble:
                counters["前言"] += 1
                label, kind = f"前言{counters['前言']}", PREAMBLE
            else:
                counters["段"] += 1
                label, kind = f"{attachment + ' ' if attachment else ''}段{counters['段']}", BODY
            outer = heads[:1] if attachment else []
            open_index = _new(segments, Segment(label, len(outer) + 1, kind, _title_of(line.text), heading_path(outer),
                                                line.start, line.end, heading=label))
            continue
        first_start = markers[0][0].start
        if first_start > line.start:  # text before the first inline marker of a flattened line
            if open_index is not None:
                segments[open_index].end = first_start
            else:
                counters["前言"] += 1
                label = f"前言{counters['前言']}"
                _new(segments, Segment(label, 1, PREAMBLE, line.text[:30], [], line.start, first_start, heading=label))
        base = 1 if attachment else 0
        for mi, (marker, depth) in enumerate(markers):
            end = markers[mi + 1][0].start if mi + 1 < len(markers) else line.end
            heads = heads[: base + depth - 1]
            body = text[marker.end : end]
            label_heads = [i for i in heads if segments[i].token]
            articles = [k for k, i in enumerate(label_heads) if segments[i].style == "article"]
            if marker.style == "article":
                label_heads = []  # 第十二条 is unique in its document: no chapter prefix
            elif articles:
                label_heads = label_heads[articles[-1] :]
            tokens = [segments[i].token for i in label_heads]
            label = "".join(tokens) + marker.token
            if attachment:
                label = f"{attachment} {label}"
            seg = Segment(label, len(heads) + 1, BODY, _title_of(body), heading_path(heads), marker.start, end,
                          parent_index=heads[-1] if heads else None, token=marker.token, style=marker.style,
                          heading=f"{_display_token(marker)}{_title_of(body)}")
            idx = _new(segments, seg)
            heads = heads + [idx]
            open_index = idx
    segments = _split_unnumbered(segments, text)
    _finish(segments, text)
    return segments


# An unnumbered stretch (a preamble, a page with no numbering) is cut at sentence ends into clauses of
# at most this many characters: a clause then fits whole in the 512-token window of the e5 embedder
# (about one token per Chinese character, with room for the prefix) and reads aloud in about a minute.
_MAX_UNNUMBERED = 400
_UNNUMBERED = re.compile(r"^((?:附件|文件)\d* )?(前言|段)\d+$")
# a numbered clause longer than this (sparse numbering: a part of 1,200 characters with no sub-items) is
# cut the same way; its pieces after the first are labelled 三（九）续2, 续3 … and share its heading path
_MAX_NUMBERED = 800
CONTINUED = "续"
_CUT_AFTER = "。！？；"


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) spans of at most _MAX_UNNUMBERED characters, cut after a sentence end when one
    stands in the second half of the window, else after a comma, else at the bound."""
    spans = []
    while end - start > _MAX_UNNUMBERED:
        window = text[start : start + _MAX_UNNUMBERED]
        cut = max(window.rfind(ch) for ch in _CUT_AFTER)
        if cut < _MAX_UNNUMBERED // 2:
            cut = max(cut, window.rfind("，"))
        cut = start + (cut + 1 if cut >= _MAX_UNNUMBERED // 4 else _MAX_UNNUMBERED)
        spans.append((start, cut))
        start = cut
    spans.append((start, end))
    return spans


def _too_long(seg: Segment) -> bool:
    if _UNNUMBERED.match(seg.label):
        return seg.end - seg.start > _MAX_UNNUMBERED
    return seg.kind == BODY and bool(seg.token) and seg.end - seg.start > _MAX_NUMBERED


def _split_unnumbered(segments: list[Segment], text: str) -> list[Segment]:
    """Long clauses become several: unnumbered ones relabelled 前言N / 段N in reading order, numbered ones
    continued as 三（九）续2 …"""
    if not any(_too_long(s) for s in segments):
        return segments
    out: list[Segment] = []
    new_index: dict[int, int] = {}
    for i, seg in enumerate(segments):
        new_index[i] = len(out)
        if not _too_long(seg):
            out.append(seg)
            continue
        if seg.token:
            pieces = _pieces(text, seg.start, seg.end)
            seg.whole, whole_end = (seg.start, seg.end), seg.end
            seg.end = pieces[0][1]
            out.append(seg)
            for k, (a, b) in enumerate(pieces[1:], start=2):
                out.append(Segment(f"{seg.label}{CONTINUED}{k}", seg.level, BODY, seg.title, list(seg.path), a, b,
                                   parent_index=seg.parent_index, heading=f"{seg.heading}（{CONTINUED}{k}）",
                                   whole=(seg.start, whole_end)))
            continue
        for a, b in _pieces(text, seg.start, seg.end):
            out.append(Segment(seg.label, seg.level, seg.kind, _title_of(text[a:b]), list(seg.path), a, b,
                               parent_index=seg.parent_index, heading=seg.heading))
    counters: dict[str, int] = {}
    for seg in out:
        if seg.parent_index is not None:
            seg.parent_index = new_index[seg.parent_index]
        m = _UNNUMBERED.match(seg.label)
        if m:
            key = (m.group(1) or "") + m.group(2)
            counters[key] = counters.get(key, 0) + 1
            seg.label = f"{key}{counters[key]}"
            seg.heading = seg.label
    return out


def _display_token(marker: Marker) -> str:
    if marker.style == "cn":
        return f"{marker.token}、"
    if marker.style == "num":
        return f"{marker.token}."
    if marker.style in ("chapter", "section", "article"):
        return f"{marker.token} "
    return marker.token


def _finish(segments: list[Segment], text: str) -> None:
    """Trim trailing whitespace off every slice, fix kinds, make labels unique."""
    seen: dict[str, int] = {}
    for i, seg in enumerate(segments):
        while seg.end > seg.start and text[seg.end - 1].isspace():
            seg.end -= 1
        own = text[seg.start : seg.end]
        has_child = i + 1 < len(segments) and segments[i + 1].parent_index == i
        if seg.kind == BODY and has_child and "。" not in own and len(own) <= 60:
            seg.kind = HEADING
        if seg.label in seen:
            seen[seg.label] += 1
            seg.label = f"{seg.label}~{seen[seg.label]}"
        else:
            seen[seg.label] = 1
