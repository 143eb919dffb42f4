from __future__ import annotations

import hashlib
import importlib.util
import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import indexing.dense as dense_mod
from indexing import (
    E5Embedder,
    FusionParams,
    HybridIndex,
    IndexMissingError,
    Passage,
    SentenceTransformerEmbedder,
    StaleIndexError,
    dictionary_hash,
    get_embedder,
    interpolate,
    rrf,
)
from indexing.dense import DenseIndex
from indexing.store import current_version

TERMS = ["市行政审批局", "赣州国投集团", "赣南大数据交易中心", "赣州链"]
TITLE = "关于进一步做优做强数字经济的实施方案"


class FakeEmbedder:
    """Deterministic hashed character-bigram vectors; counts what it embeds."""

    max_chars = 256

    def __init__(self, name: str = "fake-bigram", dim: int = 64, fail_after: int | None = None) -> None:
        self.name, self.dim = name, dim
        self.embedded: list[str] = []
        self.fail_after = fail_after

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for a, b in zip(text, text[1:], strict=False):
            h = int.from_bytes(hashlib.md5((a + b).encode()).digest()[:4], "little")
            v[h % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts]).astype(np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if self.fail_after is not None and len(self.embedded) + len(texts) > self.fail_after:
            raise RuntimeError("embedder died mid-build")
        self.embedded.extend(texts)
        return self.embed_queries(texts)


CLAUSES = [
    (
        "三（五）1",
        "（五）激发数据要素新活力",
        "建设赣南大数据交易中心，探索数据确权、定价和交易机制。牵头单位：市行政审批局；责任单位：市委网信办、赣州国投集团。",
    ),
    (
        "三（五）2",
        "（五）激发数据要素新活力",
        "推进公共数据开放共享，编制公共数据资源目录，2023年底前开放数据集不少于500个。",
    ),
    (
        "三（一）1",
        "（一）加快新型基础设施建设",
        "加快5G网络建设，2022—2023年新建5G基站3000个以上，实现乡镇以上区域5G网络全覆盖。",
    ),
    ("三（一）2", "（一）加快新型基础设施建设", "推进IPv6规模部署，建设赣州链区块链基础设施平台。"),
    ("四（二）1", "（二）强化人才支撑", "对引进的数字经济高层次人才，给予人才住房保障，最高补贴100万元。"),
    ("四（二）2", "（二）强化人才支撑", "支持高校开设大数据、人工智能相关专业，培养数字技能人才。"),
    ("四（一）1", "（一）加大财政支持", "对营业收入首次突破1亿元的数字经济企业，一次性奖励50万元。"),
    ("四（一）2", "（一）加大财政支持", "对新认定的国家级工业互联网平台，给予最高不超过200万元奖励。"),
    ("三（三）1", "（三）推动产业数字化", "实施企业上云用数赋智行动，每年推动1000家企业上云。"),
    ("三（三）2", "（三）推动产业数字化", "建设智慧农业示范基地，推广农业物联网应用。"),
]


def passages(extra: Sequence[tuple[str, str, str]] = (), doc: str = "d1") -> list[Passage]:
    return [
        Passage(f"{doc}#{label}", doc, text, f"{TITLE} > {heading}")
        for label, heading, text in [*CLAUSES, *extra]
    ]


def build(
    folder: Path, emb: FakeEmbedder | None = None, kb_version: str = "kb1", ps=None, **kw
) -> HybridIndex:
    return HybridIndex.build(ps or passages(), folder, emb or FakeEmbedder(), TERMS, kb_version, **kw)


def load(folder: Path, emb: FakeEmbedder | None = None, kb_version: str = "kb1", **kw) -> HybridIndex:
    return HybridIndex.load(folder, emb or FakeEmbedder(), kb_version, dictionary_hash(TERMS), **kw)


def as_tuples(hits):
    return [(h.clause_id, round(h.score, 6), h.bm25_rank, h.dense_rank) for h in hits]


QUERIES = ["谁牵头赣南大数据交易中心？", "5G基站建设目标", "人才住房补贴多少", "营收首次过亿奖励", "赣州链"]


# --------------------------------------------------------------------------- round trip / search


def test_build_load_round_trip_identical(tmp_path: Path) -> None:
    built = build(tmp_path)
    loaded = load(tmp_path)
    assert loaded.manifest == built.manifest
    for q in QUERIES:
        for mode in ("hybrid", "bm25", "dense"):
            assert as_tuples(loaded.search(q, k=5, mode=mode)) == as_tuples(built.search(q, k=5, mode=mode))
    files = {p.name for p in current_version(tmp_path).iterdir()}
    assert {
        "manifest.json",
        "ids.json",
        "vectors.npy",
        "faiss.index",
        "bm25.json",
        "embed_keys.json",
    } <= files
    manifest = json.loads((current_version(tmp_path) / "manifest.json").read_text())
    assert manifest["clause_count"] == len(CLAUSES) and manifest["fusion"]["rrf_k"] == 60
    assert np.load(current_version(tmp_path) / "vectors.npy").dtype == np.float32


def test_bm25_finds_keyword_clauses(tmp_path: Path) -> None:
    index = build(tmp_path)
    assert index.search("谁牵头赣南大数据交易中心？", k=3, mode="bm25")[0].clause_id == "d1#三（五）1"
    assert index.search("赣州链", k=3, mode="bm25")[0].clause_id == "d1#三（一）2"
    top = index.search("2023年新建5G基站", k=3)[0]
    assert top.clause_id == "d1#三（一）1" and top.bm25_rank == 1 and top.dense_score is not None


def test_allowed_ids_filter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = build(tmp_path)
    allowed = {"d1#四（二）1", "d1#四（一）1", "unknown#id"}
    for mode in ("hybrid", "bm25", "dense"):
        hits = index.search("赣南大数据交易中心 人才住房 奖励", k=10, allowed_ids=allowed, mode=mode)
        assert hits and {h.clause_id for h in hits} <= allowed
    assert index.search("奖励", allowed_ids=set()) == []
    # the faiss IDSelectorBatch path gives the same answer as the exact numpy subset path
    exact = index.search("人才住房", k=2, allowed_ids=allowed, mode="dense")
    monkeypatch.setattr(dense_mod, "SUBSET_EXACT_MAX", 0)
    assert as_tuples(index.search("人才住房", k=2, allowed_ids=allowed, mode="dense")) == as_tuples(exact)


def test_hnsw_above_threshold(tmp_path: Path) -> None:
    many = [(f"x{i}", "（九）其他", f"第{i}项措施，支持数字经济企业发展{i * 7}号") for i in range(60)]
    index = build(tmp_path, ps=passages(many), hnsw_threshold=20)
    assert index.manifest.dense_index == "hnsw" and index.dense.is_approximate
    loaded = load(tmp_path)
    assert loaded.dense.is_approximate
    assert loaded.search("人才住房补贴", k=1, mode="dense")[0].clause_id == "d1#四（二）1"
    hits = loaded.search("人才住房补贴", k=3, mode="dense", allowed_ids={"d1#x1", "d1#x2", "d1#x3"})
    assert {h.clause_id for h in hits} == {"d1#x1", "d1#x2", "d1#x3"}


def test_interpolate_fusion_params(tmp_path: Path) -> None:
    params = FusionParams(method="interpolate", alpha=0.3, depth=20)
    build(tmp_path, fusion=params)
    index = load(tmp_path)
    assert index.fusion == params
    hits = index.search("人才住房补贴", k=3)
    assert hits[0].clause_id == "d1#四（二）1" and 0.0 <= hits[-1].score <= 1.0


def test_concurrent_queries(tmp_path: Path) -> None:
    build(tmp_path)
    index = load(tmp_path)
    expected = {q: as_tuples(index.search(q, k=5)) for q in QUERIES}
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(20):
                for q in QUERIES:
                    assert as_tuples(index.search(q, k=5)) == expected[q]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


# --------------------------------------------------------------------------- atomic swap


def _assert_old_index_live(folder: Path) -> None:
    index = load(folder, kb_version="kb1")
    assert len(index) == len(CLAUSES)
    assert index.search("赣州链", k=1)[0].clause_id == "d1#三（一）2"
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp")]


def test_failed_write_leaves_previous_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(tmp_path)

    def boom(self, folder):  # vectors.npy written, faiss.index not: a half-written version
        np.save(Path(folder) / "vectors.npy", self.vectors)
        raise OSError("disk full")

    monkeypatch.setattr(DenseIndex, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        build(tmp_path, kb_version="kb2", ps=passages([("五1", "五、附则", "本方案自印发之日起施行。")]))
    _assert_old_index_live(tmp_path)
    with pytest.raises(StaleIndexError):
        load(tmp_path, kb_version="kb2")


def test_failed_embedding_leaves_previous_index(tmp_path: Path) -> None:
    build(tmp_path)
    new = [(f"n{i}", "五、附则", f"新增条款{i}") for i in range(100)]
    with pytest.raises(RuntimeError):
        build(tmp_path, FakeEmbedder(fail_after=50), kb_version="kb2", ps=passages(new))
    _assert_old_index_live(tmp_path)


def test_old_versions_cleaned_up(tmp_path: Path) -> None:
    for i in range(4):
        build(tmp_path, kb_version=f"kb{i}")
    versions = [p for p in tmp_path.iterdir() if p.name.startswith("v-")]
    assert len(versions) == 2  # the live one + one previous for readers mid-load
    assert current_version(tmp_path) in versions
    assert load(tmp_path, kb_version="kb3").manifest.kb_version == "kb3"


# --------------------------------------------------------------------------- stale manifests


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError):
        load(tmp_path / "nothing")
    assert issubclass(IndexMissingError, StaleIndexError)


@pytest.mark.parametrize(
    "field",
    ["model", "dim", "dictionary_hash", "clause_count", "kb_version", "format_version"],
)
def test_stale_manifest_field(tmp_path: Path, field: str) -> None:
    build(tmp_path)
    load(tmp_path, clause_count=len(CLAUSES))  # sanity: matches as built
    if field == "model":
        call = lambda: load(tmp_path, FakeEmbedder(name="another-model"))  # noqa: E731
    elif field == "dim":
        call = lambda: load(tmp_path, FakeEmbedder(dim=32))  # noqa: E731
    elif field == "dictionary_hash":

        def call() -> HybridIndex:
            return HybridIndex.load(tmp_path, FakeEmbedder(), "kb1", dictionary_hash([*TERMS, "新词"]))

    elif field == "clause_count":
        call = lambda: load(tmp_path, clause_count=len(CLAUSES) + 1)  # noqa: E731
    elif field == "kb_version":
        call = lambda: load(tmp_path, kb_version="kb2")  # noqa: E731
    else:
        path = current_version(tmp_path) / "manifest.json"
        data = json.loads(path.read_text())
        data["format_version"] = data["format_version"] + 1
        path.write_text(json.dumps(data))
        call = lambda: load(tmp_path)  # noqa: E731
    with pytest.raises(StaleIndexError, match=field):
        call()


def test_inconsistent_files_are_stale(tmp_path: Path) -> None:
    build(tmp_path)
    (current_version(tmp_path) / "ids.json").write_text(json.dumps(["only-one"]))
    with pytest.raises(StaleIndexError):
        load(tmp_path)


# --------------------------------------------------------------------------- incremental


def test_incremental_reembeds_only_new_passages(tmp_path: Path) -> None:
    emb = FakeEmbedder()
    build(tmp_path, emb)
    assert len(emb.embedded) == len(CLAUSES)

    emb2 = FakeEmbedder()
    changed = passages()
    changed[0] = Passage(changed[0].clause_id, "d1", changed[0].text + "（修订）", changed[0].context)
    new_doc = [
        Passage("d2#一", "d2", "对新建数据中心给予电价补贴。", "赣州市数据中心扶持办法 > 一、支持对象"),
        Passage("d2#二", "d2", "补贴期限为三年。", "赣州市数据中心扶持办法 > 二、支持标准"),
        # the same passage string as an existing clause under another id: served from the cache
        Passage("d2#三", "d2", CLAUSES[1][2], f"{TITLE} > {CLAUSES[1][1]}"),
    ]
    index = build(tmp_path, emb2, kb_version="kb2", ps=changed + new_doc)
    assert len(emb2.embedded) == 3  # one changed clause + the new document's two
    assert index.manifest.embedded_new == 3
    assert "（修订）" in emb2.embedded[0]

    # update() = build over the full new list with reuse; nothing new -> nothing embedded
    emb3 = FakeEmbedder()
    same = HybridIndex.load(tmp_path, emb3, "kb2", dictionary_hash(TERMS)).update(changed + new_doc, "kb3")
    assert emb3.embedded == [] and same.manifest.kb_version == "kb3"
    # vectors reused from the cache equal freshly computed ones
    fresh = build(tmp_path / "fresh", FakeEmbedder(), ps=changed + new_doc, reuse=False)
    assert np.allclose(fresh.dense.vectors, same.dense.vectors)


def test_duplicate_clause_ids_rejected(tmp_path: Path) -> None:
    ps = passages()
    with pytest.raises(ValueError, match="duplicate"):
        build(tmp_path, ps=[*ps, ps[0]])


# --------------------------------------------------------------------------- fusion


def test_rrf() -> None:
    fused = rrf([["a", "b", "c"], ["c", "a"]], k=60)
    assert [d for d, _ in fused] == ["a", "c", "b"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert [d for d, _ in rrf([["a", "b"], ["b", "a"]], weights=[2.0, 1.0])] == ["a", "b"]
    with pytest.raises(ValueError):
        rrf([["a"]], weights=[1.0, 2.0])


def test_interpolate() -> None:
    fused = dict(interpolate({"a": 10.0, "b": 5.0, "c": 0.0}, {"a": 0.2, "c": 0.9}, alpha=0.5))
    assert fused["a"] == pytest.approx(0.5)  # bm25 1.0, dense 0.0
    assert fused["c"] == pytest.approx(0.5)  # bm25 0.0, dense 1.0
    assert fused["b"] == pytest.approx(0.25)  # bm25 0.5, dense missing -> 0
    assert interpolate({"a": 1.0}, {}, alpha=1.0) == [("a", 0.0)]


# --------------------------------------------------------------------------- embedders


def test_get_embedder_specs() -> None:
    assert get_embedder("e5") is get_embedder("E5")
    assert get_embedder("use").dim == 512 and get_embedder("e5").dim == 384
    with pytest.raises(ValueError):
        get_embedder("word2vec")


@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is None, reason="optional st extra")
def test_sentence_transformer_local_only(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        SentenceTransformerEmbedder(tmp_path / "missing")
    with pytest.raises(Exception):  # noqa: B017 - an empty folder is not a model, and nothing is downloaded
        SentenceTransformerEmbedder(tmp_path).embed_queries(["x"])


@pytest.mark.slow
def test_e5_finds_reworded_question(tmp_path: Path) -> None:
    emb = get_embedder("e5")
    assert isinstance(emb, E5Embedder)
    index = HybridIndex.build(passages(), tmp_path, emb, TERMS, "kb1")
    cases = {
        "哪个部门负责数据买卖平台的建设？": "d1#三（五）1",
        "新招来的高端人才有没有房子方面的补助？": "d1#四（二）1",
        "移动通信基站要建多少座？": "d1#三（一）1",
    }
    for question, clause in cases.items():
        assert index.search(question, k=1, mode="dense")[0].clause_id == clause, question
        assert clause in [h.clause_id for h in index.search(question, k=3)], question
    v = emb.embed_queries(["数据交易"])
    assert v.dtype == np.float32 and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)


def test_index_copied_from_another_store_of_the_same_generation_is_stale(tmp_path: Path) -> None:
    """Two stores built from scratch reach the same generation with different documents; an index
    folder carried from one to the other (a restored backup, a rebuilt cache) must be rebuilt."""
    import shutil

    from kb.library import Library
    from kb.retriever import Retriever

    def kb_of(name: str, body: str) -> Library:
        src = tmp_path / f"{name}.txt"
        src.write_text(f"{name}实施办法\n一、总则\n{body}\n二、附则\n本办法自印发之日起施行。\n", encoding="utf-8")
        library = Library(tmp_path / f"kb-{name}")
        assert all(r.ok for r in library.ingest([src]))
        return library

    first = kb_of("甲市数据", "支持建设数据交易中心，给予一次性奖励50万元。")
    Retriever(first).index()
    second = kb_of("乙市养老", "社区养老服务设施运营补贴每年每个10万元。")
    assert first.generation == second.generation
    shutil.copytree(first.kb_dir / Retriever(first).folder.name, second.kb_dir / Retriever(second).folder.name)
    hits = Retriever(second).search("养老服务设施运营补贴", k=3)
    assert hits and all(c.doc_id == second.documents()[0].doc_id for c, _ in hits)
    assert any("养老服务设施" in c.text for c, _ in hits)


# --------------------------------------------------------------------------- checksums (issue 13)


def test_manifest_records_a_checksum_of_every_file(tmp_path: Path) -> None:
    build(tmp_path)
    version = current_version(tmp_path)
    checksums = json.loads((version / "manifest.json").read_text())["checksums"]
    files = {p.name for p in version.iterdir() if p.name != "manifest.json"}
    assert set(checksums) == files and {"ids.json", "vectors.npy", "bm25.json"} <= files
    for name, digest in checksums.items():
        assert hashlib.sha256((version / name).read_bytes()).hexdigest() == digest


def test_shuffled_ids_of_the_same_size_are_detected(tmp_path: Path) -> None:
    """A same-size damage (ids.json shuffled) passed every size check before: answers went wrong in silence."""
    from indexing.store import DamagedIndexError

    build(tmp_path)
    path = current_version(tmp_path) / "ids.json"
    ids = json.loads(path.read_text())
    shuffled = ids[1:] + ids[:1]
    path.write_text(json.dumps(shuffled, ensure_ascii=False))
    assert len(path.read_bytes()) == len(json.dumps(ids, ensure_ascii=False).encode())
    with pytest.raises(DamagedIndexError, match="ids.json"):
        load(tmp_path)
    assert current_version(tmp_path) is not None  # the embedding cache of that version stays usable


def test_flipped_vector_bytes_are_detected_and_not_reused(tmp_path: Path) -> None:
    from indexing.store import DamagedIndexError

    build(tmp_path)
    path = current_version(tmp_path) / "vectors.npy"
    data = bytearray(path.read_bytes())
    for i in range(len(data) - 256, len(data), 3):
        data[i] ^= 0x55
    path.write_bytes(bytes(data))
    with pytest.raises(DamagedIndexError, match="vectors.npy"):
        load(tmp_path)
    assert current_version(tmp_path) is None  # moved aside: a rebuild re-embeds instead of copying damage
    emb = FakeEmbedder()
    rebuilt = build(tmp_path, emb=emb)
    assert len(emb.embedded) == len(CLAUSES)
    assert as_tuples(load(tmp_path).search("赣州链", k=3)) == as_tuples(rebuilt.search("赣州链", k=3))


def test_index_without_checksums_is_stale(tmp_path: Path) -> None:
    build(tmp_path)
    path = current_version(tmp_path) / "manifest.json"
    data = json.loads(path.read_text())
    del data["checksums"]
    path.write_text(json.dumps(data))
    with pytest.raises(StaleIndexError, match="checksums"):
        load(tmp_path)
