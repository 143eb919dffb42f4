"""HTML: a government web page reduced to its title, metadata lines and main content."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from kb.errors import ReadError
from kb.readers.result import ReadResult
from kb.readers.tables import clean_cell, fill_grid, row_line

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "form",
    "iframe",
    "button",
    "select",
    "input",
    "textarea",
    "svg",
    "canvas",
    "object",
    "embed",
    "link",
    "meta",
    "head",
    "aside",
)
# id/class tokens of page chrome on Chinese government CMSs (导航, 页脚, 分享, 二维码, 纠错, 无障碍 ...)
_CHROME = re.compile(
    r"(^|[-_\s])(nav|navbar|mainnav|menu|footer|foot|breadcrumb|crumb|bread|position|location|share|"
    r"bdshare|sidebar|side|search|toolbar|topbar|header|login|qrcode|ewm|jiucuo|wza|slh|fav|"
    r"related|xgxw|friendlink|links|copyright|print|fontsize|font-size|zoom-btn)([-_\s]|\d|$)",
    re.IGNORECASE,
)
_BLOCK = {
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "section",
    "article",
    "main",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "dl",
    "center",
    "hr",
    "address",
    "figure",
    "figcaption",
    "table",
    "tr",
    "caption",
    "body",
    "html",
}
_BOILERPLATE = re.compile(
    r"^\s*(扫一扫在手机打开当前页|扫一扫在手机上查看当前页面|打印本页|【?打印】?|关闭窗口|【?关闭】?|"
    r"【?\s*字体[：:]?\s*大\s*中\s*小\s*】?|字号[：:]?\s*大\s*中\s*小|分享到[：:]?|上一篇.*|下一篇.*|返回顶部|"
    r"浏览次数[：:]?\s*-?|(您)?当前(所在的)?位置[：:].*|访问量[：:]?.*|【?收藏】?|【?纠错】?|发布\s*)\s*$"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_META_LABEL = re.compile(r"^\s*(文号|发文字号|发文文号|成文日期|发文日期|印发日期|发布日期)\s*[：:]\s*(.*)$")
_META_VALUE = {
    "文号": re.compile(r"〔|\[|［|号"),
    "date": re.compile(r"\d{4}\s*[-年./]\s*\d{1,2}"),
}


def read_html(data: bytes, name: str) -> ReadResult:
    """Drop scripts and page chrome, pick the content container, render blocks and tables as lines."""
    markup = _decode_html(data)
    soup = BeautifulSoup(markup, "lxml")
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    meta_lines = _metadata_lines(soup)
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    body = soup.body or soup
    total = _cjk(body.get_text())
    held_by = _Stats(body).text  # text held by each element before any chrome is dropped
    for tag in body.find_all(True):
        if tag.__dict__.get("_decomposed"):  # bs4's .decomposed property searches the subtree for a tag
            continue
        marks = " ".join([tag.get("id") or ""] + list(tag.get("class") or []))
        if marks.strip() and _CHROME.search(marks):
            held = held_by.get(id(tag), 0)
            if held > 200 and held > 0.3 * total:
                continue  # a mislabelled container that holds the document itself
            tag.decompose()
    main = _main_container(body)
    lines = _clean_lines(_render(main))
    if sum(_cjk(line) for line in lines) < 20:
        raise ReadError(name, "网页中没有正文内容（只有导航、页眉页脚等），无法作为政策文件读取")
    title = _title(soup, main, page_title)
    head: list[str] = []
    bare = re.sub(r"\s", "", title)
    if title and not any(re.sub(r"\s", "", line) == bare for line in lines[:8]):
        head.append(title)
    head.extend(meta_lines)
    text = "\n".join(head + lines)
    return ReadResult(text=text + "\n", fmt="html", warnings=[])


def _decode_html(data: bytes) -> str:
    """Honour a BOM or a <meta charset>; else UTF-8, else GB18030 (common on older CMSs)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data[1:2] == b"\x00":
        return data.decode("utf-16-le", errors="replace")
    if data[:1] == b"\x00":
        return data.decode("utf-16-be", errors="replace")
    m = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", data[:4096], re.IGNORECASE)
    declared = m.group(1).decode("ascii").lower() if m else ""
    if declared in ("gb2312", "gbk", "gb18030", "x-gbk"):
        return data.decode("gb18030", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if declared and declared not in ("utf-8", "utf8"):
            try:
                return data.decode(declared, errors="replace")
            except LookupError:
                pass
        return data.decode("gb18030", errors="replace")


def _cjk(text: str) -> int:
    return len(_CJK.findall(text))


_CONTAINERS = ("div", "td", "article", "section", "main")
_DEEP_CONTAINERS = ("div", "article", "section", "main")


class _Stats:
    """Per-element Chinese-character counts, computed bottom-up in one pass over the tree.

    Every figure the container choice needs (text held, link text held, best container below, whether
    a block container lies below) is read in O(1), so the choice is linear in the page, not cubic in
    its nesting depth (1,000 nested <div> once took 101 s).
    """

    def __init__(self, root: Tag) -> None:
        self.text: dict[int, int] = {}
        self.links: dict[int, int] = {}
        self.best_below: dict[int, Tag | None] = {}
        self.deep_below: dict[int, bool] = {}
        nodes = [root, *root.descendants]
        for node in reversed(nodes):  # children before their parents
            parent = node.parent
            if isinstance(node, NavigableString):
                if parent is not None and not isinstance(node, Comment):
                    self.text[id(parent)] = self.text.get(id(parent), 0) + _cjk(str(node))
                continue
            if not isinstance(node, Tag):
                continue
            key = id(node)
            held = self.text.setdefault(key, 0)
            if node.name == "a":
                self.links[key] = held
            links = self.links.setdefault(key, 0)
            best = self.best_below.setdefault(key, None)
            deep = self.deep_below.setdefault(key, False)
            if node is root or parent is None:
                continue
            pkey = id(parent)
            self.text[pkey] = self.text.get(pkey, 0) + held
            self.links[pkey] = self.links.get(pkey, 0) + links
            candidate = node if node.name in _CONTAINERS else None
            for option in (best, candidate):  # ties go to the element first in document order
                current = self.best_below.get(pkey)
                if option is not None and (current is None or self.score(option) >= self.score(current)):
                    self.best_below[pkey] = option
            self.deep_below[pkey] = self.deep_below.get(pkey, False) or deep or node.name in _DEEP_CONTAINERS

    def score(self, tag: Tag) -> int:
        """Chinese text held, minus a penalty for link text: content, not menus."""
        return self.text.get(id(tag), 0) - 3 * self.links.get(id(tag), 0)


def _main_container(body: Tag) -> Tag:
    """Best-scoring element, then descend while a child keeps most of the text (drops side chrome)."""
    stats = _Stats(body)
    below = stats.best_below.get(id(body))
    best = below if below is not None and stats.score(below) >= stats.score(body) else body
    best_score = stats.score(best)
    current = best
    while True:
        child = stats.best_below.get(id(current))
        if child is None:
            return current
        if stats.score(child) >= 0.85 * best_score and child is not current:
            current = child
            if not stats.deep_below.get(id(current), False):
                return current
        else:
            return current


_TABLE_DEPTH = 8  # tables nested deeper than this are read as plain blocks (no real page nests so deep)


def _render(node: Tag, table_depth: int = 0) -> list[str]:
    """Block elements and <br> become line breaks; tables become one line per row.

    Walks with an explicit stack, so a page nested thousands deep cannot exhaust Python's recursion.
    """
    out: list[str] = [""]

    def newline() -> None:
        if out[-1].strip():
            out.append("")
        else:
            out[-1] = ""

    stack: list[object] = [node]
    while stack:
        el = stack.pop()
        if el is _NEWLINE:
            newline()
            continue
        if isinstance(el, NavigableString):
            if not isinstance(el, Comment):
                out[-1] += re.sub(r"[ \t\r\n\f]+", " ", str(el))
            continue
        if not isinstance(el, Tag):
            continue
        name = el.name
        if name == "br":
            out.append("")
            continue
        if name == "table" and table_depth < _TABLE_DEPTH:
            newline()
            for line in _table_lines(el, table_depth + 1):
                out[-1] = line
                out.append("")
            continue
        block = name in _BLOCK
        if block:
            newline()
            stack.append(_NEWLINE)
        stack.extend(reversed(list(el.children)))
    return out


_NEWLINE = object()


def _cell_text(cell: Tag, table_depth: int = 0) -> str:
    return clean_cell(" ".join(s.strip() for s in _render(cell, table_depth) if s.strip()))


def _table_lines(table: Tag, table_depth: int = 1) -> list[str]:
    """Rows with rowspan/colspan filled; a row that is one cell across the table is a caption line."""
    rows: list[list[tuple[str, int, int]]] = []
    for tr in _own_rows(table):
        cells = []
        for cell in tr.find_all(["td", "th"], recursive=False):
            cells.append((_cell_text(cell, table_depth), _span(cell.get("rowspan"), 500), _span(cell.get("colspan"), 50)))
        rows.append(cells)
    if rows and all(len(r) <= 1 and (not r or r[0][2] <= 1) for r in rows):
        # A layout table (one cell per row): its cells are ordinary blocks.
        lines: list[str] = []
        for tr in _own_rows(table):
            for cell in tr.find_all(["td", "th"], recursive=False):
                lines.extend(s.strip() for s in _render(cell, table_depth) if s.strip())
        return lines
    grid = fill_grid(rows)
    lines = []
    for cells, filled in zip(rows, grid, strict=False):
        if not any(c.strip() for c in filled):
            continue
        if len(cells) == 1 and len(filled) > 1 and all(c == filled[0] for c in filled):
            lines.append(clean_cell(filled[0]))
        else:
            lines.append(row_line(filled))
    return lines


def _own_rows(table: Tag) -> list[Tag]:
    """Rows of this table only (thead/tbody/tfoot included), not of nested tables.

    Read from the table's own children, so nested tables cost nothing here (a find_all per table
    was quadratic in nesting depth).
    """
    rows = []
    for child in table.children:
        if not isinstance(child, Tag):
            continue
        if child.name == "tr":
            rows.append(child)
        elif child.name in ("thead", "tbody", "tfoot"):
            rows.extend(c for c in child.children if isinstance(c, Tag) and c.name == "tr")
    return rows


def _span(value, limit: int) -> int:
    try:
        return max(1, min(int(str(value).strip() or 1), limit))
    except (TypeError, ValueError):
        return 1


def _clean_lines(lines: list[str]) -> list[str]:
    """Strip ASCII edge spaces, drop boilerplate lines, keep at most one blank line in a row."""
    result: list[str] = []
    for raw in lines:
        line = raw.strip(" \r\n\f") if "\t" in raw else raw.strip(" \t\r\n\f")
        if _BOILERPLATE.match(line) and "\t" not in line:
            continue
        if not line.strip():
            if result and result[-1] != "":
                result.append("")
            continue
        result.append(line)
    while result and result[-1] == "":
        result.pop()
    return result


def _title(soup: BeautifulSoup, main: Tag, page_title: str) -> str:
    """h1, else h2, else an element marked as a title, else the <title> minus the site name.

    Candidates that look like breadcrumbs or search boxes are skipped; one matching <title> wins.
    """
    parts = [p.strip() for p in re.split(r"\s+[-_|–—]\s+|_|\|", page_title) if p.strip()]
    fallback = max(parts, key=_cjk) if parts else ""
    candidates: list[str] = []
    for tag in soup.find_all(["h1", "h2"]) + soup.find_all(class_=re.compile(r"title", re.I)):
        text = tag.get_text(" ", strip=True)
        if not 6 <= _cjk(text) <= 120 or _BOILERPLATE.match(text) or re.search(r"位置|搜索|>|＞|»", text):
            continue
        candidates.append(text)
    bare_page = re.sub(r"\s", "", page_title)
    for text in candidates:
        bare = re.sub(r"\s", "", text)
        if bare and (bare in bare_page or (fallback and re.sub(r"\s", "", fallback) in bare)):
            return text
    return candidates[0] if candidates else fallback


def _metadata_lines(soup: BeautifulSoup) -> list[str]:
    """文号 and dates from a label/value metadata block, copied as they stand; nothing is inferred."""
    found: dict[str, str] = {}
    for node in soup.find_all(string=_META_LABEL):
        if node.find_parent(["script", "style"]):
            continue
        m = _META_LABEL.match(str(node))
        if not m:
            continue
        label, value = m.group(1), m.group(2).strip()
        if not value:
            value = _next_text(node)
        kind = "文号" if "号" in label else "date"
        if not value or not _META_VALUE[kind].search(value) or len(value) > 60:
            continue
        found.setdefault(label, value)
    return [f"{label}：{value}" for label, value in found.items()]


def _next_text(node: NavigableString) -> str:
    """The value cell or span right after a label (the next non-empty text in document order)."""
    for nxt in node.next_elements:
        if isinstance(nxt, NavigableString) and not isinstance(nxt, Comment):
            text = str(nxt).strip()
            if text:
                return "" if _META_LABEL.match(text) else text
    return ""
