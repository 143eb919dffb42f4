from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from indexing.tokenizer import STOPWORDS, Tokenizer, dictionary_hash

_TOK = Tokenizer()

TERMS = ["市行政审批局", "赣州国投集团", "中国移动赣州分公司", "赣州链", "赣南大数据交易中心", "5G基站"]


def test_domain_terms_kept_whole() -> None:
    tok = Tokenizer(TERMS)
    tokens = tok("赣南大数据交易中心由市行政审批局牵头，赣州国投集团、中国移动赣州分公司配合，打造“赣州链”。")
    for term in ["市行政审批局", "赣州国投集团", "中国移动赣州分公司", "赣州链", "赣南大数据交易中心"]:
        assert term in tokens
    # search mode also yields the sub-words, so a partial query still matches
    assert "审批" in tokens and "交易" in tokens


def test_terms_with_latin_kept_whole_and_lowercased() -> None:
    tokens = Tokenizer(TERMS)("新建5G基站1000个")
    assert "5g基站" in tokens and "5g" in tokens and "基站" in tokens


def test_tokenizers_do_not_share_words() -> None:
    with_terms = Tokenizer(["赣州链"])
    plain = Tokenizer()
    assert "赣州链" in with_terms("打造赣州链品牌")
    assert "赣州链" not in plain("打造赣州链品牌")


def test_numbers_and_codes_kept_whole() -> None:
    tokens = Tokenizer()("支持IPv6和A-GNSS，5G用户占比达45%，奖励1.5亿元，有效期2022—2023年，２０２４年")
    for code in ["ipv6", "a-gnss", "5g", "45%", "1.5", "2022—2023", "2024"]:
        assert code in tokens, code
    # parts of a range are indexed too, so "2023年" finds "2022—2023年"
    assert "2023" in tokens and "gnss" in tokens


def test_stop_words_and_punctuation_removed() -> None:
    tokens = Tokenizer()("请问我们公司营收首次过亿能拿多少奖励？哪些单位负责呢？")
    for stop in ["请问", "我们", "公司", "多少", "哪些", "呢"]:
        assert stop not in tokens
    assert not any(t in "？，。、“”（）" for t in tokens)
    assert "奖励" in tokens and "营收" in tokens and "单位" in tokens
    assert not STOPWORDS & set(tokens)


def test_dictionary_hash_changes_with_terms() -> None:
    a = Tokenizer(["赣州链"]).dictionary_hash
    assert a == Tokenizer(["赣州链", "赣州链", " 赣州链 "]).dictionary_hash
    assert a == dictionary_hash(["赣州链"])
    assert a != Tokenizer(["赣州链", "市行政审批局"]).dictionary_hash
    assert a != Tokenizer().dictionary_hash
    assert dictionary_hash(["b", "a"]) == dictionary_hash(["a", "b"])


def test_initialisation_is_fast_after_the_first() -> None:
    Tokenizer()
    start = time.perf_counter()
    Tokenizer(TERMS)
    assert time.perf_counter() - start < 0.5


@settings(max_examples=60, deadline=None)
@given(
    number=st.one_of(
        st.integers(0, 10**6).map(str),
        st.decimals(0, 1000, places=2, allow_nan=False).map(lambda d: f"{d:.2f}"),
        st.integers(1, 100).map(lambda i: f"{i}%"),
        st.integers(2000, 2030).map(lambda y: f"{y}—{y + 1}"),
    ),
    before=st.sampled_from(["", "营收增长", "奖励", "有效期"]),
    after=st.sampled_from(["", "万元", "年", "个"]),
)
def test_numbers_never_split(number: str, before: str, after: str) -> None:
    assert number in _TOK(f"{before}{number}{after}")


def test_the_on_disk_dictionary_cuts_exactly_as_the_whole_one(monkeypatch, tmp_path) -> None:
    """jieba's 500,000 words looked up on disk (a cold `ask` skips the 1.3 s load): the same terms and
    words as the in-memory dict on the whole Ganzhou plan, before and after the switch to memory."""
    from pathlib import Path

    import indexing.prefix_dict as prefix_dict
    import indexing.tokenizer as tokenizer

    text = (Path(__file__).resolve().parents[1] / "corpus" / "ganzhou_digital_economy_2022.txt").read_text("utf-8")
    terms = ["赣南大数据交易中心", "市行政审批局", "5G基站", "赣州市大数据发展管理局（市政务服务管理局）"]
    monkeypatch.setenv("POLICYKB_CACHE", str(tmp_path))
    monkeypatch.setattr(prefix_dict, "SWITCH_AFTER", 10**9)
    on_disk = Tokenizer(terms)
    assert isinstance(on_disk._jieba.FREQ, prefix_dict.PrefixDict) and list(tmp_path.glob("policykb-jieba-*.sqlite"))
    disk_terms, disk_words = on_disk.tokenize(text), on_disk.words(text)
    assert on_disk._jieba.FREQ._full is None  # every lookup went to the file
    monkeypatch.setattr(prefix_dict, "SWITCH_AFTER", 1000)
    switching = Tokenizer(terms)
    switch_terms = switching.tokenize(text)
    assert switching._jieba.FREQ._full is not None
    monkeypatch.setattr(tokenizer, "open_prefix_dict", lambda _full: None)
    in_memory = Tokenizer(terms)
    assert disk_terms == switch_terms == in_memory.tokenize(text) and len(disk_terms) > 5000
    assert disk_words == in_memory.words(text)
    assert on_disk.is_word("交易中心") and not on_disk.is_word("交易中心赣南")
    assert "赣南大数据交易中心" not in Tokenizer([])._jieba.FREQ  # one knowledge base's words stay its own
