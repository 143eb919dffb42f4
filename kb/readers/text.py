"""Plain-text decoding: Chinese government TXT files come as UTF-8, UTF-16 or GBK/GB18030."""

from __future__ import annotations

import codecs
import re

from kb.errors import ReadError

# Frequent characters of Chinese official prose; used to tell a right decoding from mojibake.
_COMMON = set(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方"
    "后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开"
    "它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此"
    "变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老"
    "头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门"
    "即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花"
    "带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段"
    "研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳"
    "便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京"
    "识适属圆包火住调满县局照参红细引听该铁价严策施措励补贴申报企单位责牵头任务创服障"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_text(data: bytes, name: str) -> tuple[str, list[str]]:
    """Decode bytes to text, keeping it as-is except BOM removal and newline unification."""
    warnings: list[str] = []
    text = _decode(data, name, warnings)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    controls = len(_CONTROL.findall(text))
    if "\x00" in text or controls > max(2, len(text) // 200):
        raise ReadError(name, "不是文本文件（含有二进制数据或控制字符），且不是支持的 PDF、DOCX、HTML 格式")
    if controls:
        text = _CONTROL.sub("", text)
        warnings.append(f"已删除{controls}个控制字符")
    if not text.strip():
        raise ReadError(name, "文件没有任何文字内容（只有空白）")
    return text, warnings


def _decode(data: bytes, name: str, warnings: list[str]) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return _strict_or_replace(data[3:], "utf-8", warnings)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict_or_replace(data, "utf-16", warnings)
    if b"\x00" in data:
        enc = _utf16_by_nul_pattern(data)
        if enc is None:
            raise ReadError(name, "不是文本文件（含有 NUL 空字节等二进制数据）")
        return _strict_or_replace(data, enc, warnings)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    mixed = _decode_mixed_lines(data)
    if mixed is not None:
        warnings.append("文件编码混杂：部分行为 UTF-8，部分行为 GBK/GB18030，已逐行识别解码，请核对")
        return mixed
    candidates: list[tuple[float, str, str]] = []
    for enc in ("gb18030", "big5") + (("utf-16-le", "utf-16-be") if len(data) % 2 == 0 else ()):
        try:
            decoded = data.decode(enc)
        except UnicodeDecodeError:
            continue
        candidates.append((_plausibility(decoded), enc, decoded))
    guess = _charset_normalizer_guess(data)
    if guess is not None:
        candidates.append((_plausibility(guess[1]), guess[0], guess[1]))
    if not candidates:
        raise ReadError(name, "无法识别文本编码（既不是 UTF-8/UTF-16，也不是 GBK/GB18030）")
    score, enc, decoded = max(candidates, key=lambda c: (c[0], c[1] == "gb18030"))
    if score < 0.3:
        raise ReadError(name, "不是文本文件，或文本编码无法识别（解码后多为乱码）")
    if enc not in ("gb18030", "utf-16-le", "utf-16-be"):
        warnings.append(f"文本编码推测为 {enc}，请核对是否有乱码")
    return decoded


def _strict_or_replace(data: bytes, enc: str, warnings: list[str]) -> str:
    try:
        return data.decode(enc)
    except UnicodeDecodeError:
        warnings.append(f"文件中有无法按 {enc} 解码的字节，已替换为�")
        return data.decode(enc, errors="replace")


def _utf16_by_nul_pattern(data: bytes) -> str | None:
    """UTF-16 without BOM: ASCII characters (newlines, digits) leave NULs on one byte parity."""
    if len(data) % 2:
        return None
    even = data[0::2].count(0)
    odd = data[1::2].count(0)
    half = len(data) // 2
    for enc, hits, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if hits >= max(1, half // 50) and hits >= 2 * other:
            try:
                decoded = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if _plausibility(decoded) >= 0.5 and not _CONTROL.search(decoded):
                return enc
    return None


def _decode_mixed_lines(data: bytes) -> str | None:
    """Some files are concatenated from UTF-8 and GBK sources; decode each line on its own."""
    lines = data.split(b"\n")
    utf8_lines = gbk_lines = 0
    out: list[str] = []
    for line in lines:
        try:
            s = line.decode("utf-8")
            if any(ord(ch) > 127 for ch in s):
                utf8_lines += 1
        except UnicodeDecodeError:
            try:
                s = line.decode("gb18030")
            except UnicodeDecodeError:
                return None
            gbk_lines += 1
        out.append(s)
    if utf8_lines and gbk_lines:
        return "\n".join(out)
    return None


def _charset_normalizer_guess(data: bytes) -> tuple[str, str] | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - declared dependency
        return None
    best = from_bytes(data).best()
    if best is None:
        return None
    return best.encoding, str(best)


def _plausibility(text: str) -> float:
    """Share of characters typical of Chinese prose; mojibake scores low."""
    if not text:
        return 0.0
    score = 0.0
    for ch in text:
        if ch in _COMMON or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef":
            score += 1.0
        elif ch.isascii() and (ch.isprintable() or ch in "\n\r\t"):
            score += 0.6
        elif "\u4e00" <= ch <= "\u9fff":
            score += 0.4
        elif _CONTROL.match(ch) or ch == "\ufffd":
            score -= 2.0
    return score / len(text)
