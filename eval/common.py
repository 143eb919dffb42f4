"""Shared plumbing of the evaluation and the retrieval benchmark.

- where the documents are (the bundled ``corpus/`` and ``../shared/corpus``), and a cached KB built from
  them that is rebuilt when the documents or the ingest/index code change;
- the gold sets (``eval/gold/*.jsonl``) and the rule that decides whether a cited text is the gold clause;
- small statistics helpers (percentiles, MRR);
- the document split (eval/gold/splits.json): a question's split is its document's split, and the KB the
  evaluation asks ("mixed": ../shared/corpus, all 36 corpus-bulk pages, the bundled corpus).

The matching rule (eval/gold/README.md): a citation is gold when it is in the question's document and
its text, whitespace removed, contains one of the gold quotes; a short citation (a table row, at least
``SHORT_CITATION_MIN`` characters) also counts when a gold quote contains its whole text. Both sides
are put in one canonical form first (:func:`canon`): whitespace removed, NFKC width folding, one form
for each bracket and dash. The KB's normaliser folds ``(`` to ``（`` and ``,`` to ``，`` between
Chinese characters, while the gold quotes keep the characters of the source files, so a plain
whitespace-insensitive match would miss e.g. ``市直(驻市)各单位``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
REPO = EVAL_DIR.parent
BUNDLED_CORPUS = REPO / "corpus"
SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
#: the 36 广安 documents (it replaced the earlier 81-document file)
BULK_JSON = Path(__file__).resolve().parents[2] / "shared" / "corpus-bulk" / "guangan_36_policies.json"
GOLD_DIR = EVAL_DIR / "gold"
RESULTS_DIR = EVAL_DIR / "results"
CACHE_DIR = EVAL_DIR / ".cache"
DEFAULT_KB = CACHE_DIR / "kb"
#: The clock validity is judged by in every evaluation run (answers say "已于2023年底到期" relative to it).
EVAL_TODAY = date(2026, 11, 29)
#: Gold sets in load order; a missing file (bulk_test.jsonl while it is being written) is skipped.
GOLD_SETS = ("ganzhou", "shared", "bulk_dev", "bulk_test")
#: The KB every evaluation asks: shared corpus + all bulk pages + bundled corpus (see mixed_corpus_files).
MIXED_KB = CACHE_DIR / "kb-mixed"
#: Answer types (the closed set of issue 11); enumerated types are scored by their gold items.
ANSWER_TYPES = ("unit", "money", "rate", "count", "date", "yesno", "conditions", "materials", "procedure",
                "definition", "list", "keyword")
ENUMERATED_TYPES = ("conditions", "materials", "procedure", "list")
#: A question with gold items is right when at least this share of them stands in the answer.
ITEM_SHARE_RIGHT = 0.8
#: Old gold (intent, no answer_type): the answer type each intent asks for (README "Split by document").
INTENT_ANSWER_TYPE = {"who_leads": "unit", "incentive": "money", "validity": "date", "target": "count",
                      "condition": "conditions", "keyword": "keyword", "unit_tasks": "list"}
SHORT_CITATION_MIN = 12
#: Source files whose change makes the cached KB stale: everything on the ingest and index path.
#: They are the modules reachable by imports from these roots (kb/library.py, kb/retriever.py, indexing/), so
#: the answering code (kb/qa, kb/compose, the answerer, intent, grounding) is left out and tuning it does not
#: re-ingest. Code that runs at ingest must therefore be imported from the library, retriever or indexing.
_INGEST_ROOTS = ("kb/library.py", "kb/retriever.py", "indexing")

_WS = re.compile(r"\s+")
_CANON = str.maketrans(
    {
        "〔": "[", "〕": "]", "【": "[", "】": "]", "［": "[", "］": "]",
        "\u2015": "\u2014", "\u2013": "\u2014", "〜": "~",
        "“": '"', "”": '"', "‘": "'", "’": "'",
    }
)
_CITE_MARK = re.compile(r"\[\d{1,3}\]")
_PERCENT = re.compile(r"^[\d.]+(?:%|％)$|^[\d.]+‰$")


def canon(text: str) -> str:
    """Whitespace-free, width-folded, bracket- and dash-unified text, for containment tests."""
    text = unicodedata.normalize("NFKC", text or "").replace("**", "")
    return _WS.sub("", text.translate(_CANON))


def answer_canon(text: str) -> str:
    """An answer in canonical form, with its citation markers ``[1]`` removed."""
    return canon(_CITE_MARK.sub("", text or ""))


def first_sentence(answer: str) -> str:
    """The short answer's first sentence: up to the first 。 (the marker after it is dropped anyway)."""
    head, _sep, _rest = (answer or "").partition("。")
    return head


# ----------------------------------------------------------------------------------------------- gold


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    set: str  # "ganzhou" | "shared"
    question: str
    doc: str  # file stem, "" = put to the whole corpus
    intent: str
    user: str
    answerable: bool
    gold_quotes: tuple[str, ...]
    expect: tuple[str, ...]
    split: str  # the split of ``doc`` (eval/gold/splits.json), not the old per-question field
    computed: bool = False
    answer_type: str = ""
    gold_items: tuple[str, ...] = ()

    @property
    def canon_quotes(self) -> tuple[str, ...]:
        return tuple(canon(q) for q in self.gold_quotes)


def derive_answer_type(intent: str, expect: Sequence[str]) -> str:
    """The answer type of an old gold question from its intent; incentive is a rate when it expects only percentages."""
    if intent == "incentive" and expect and all(_PERCENT.match(canon(e)) for e in expect):
        return "rate"
    return INTENT_ANSWER_TYPE.get(intent, "keyword")


@lru_cache(maxsize=1)
def held_out_stems() -> frozenset[str]:
    """Stems of the held-out test documents (eval/gold/splits.json)."""
    data = json.loads((GOLD_DIR / "splits.json").read_text(encoding="utf-8"))
    return frozenset(data["test"])


def document_split_of(doc_stem: str) -> str:
    """'test' for a held-out document, else 'dev' (a question put to the whole corpus, doc "", is dev)."""
    return "test" if doc_stem in held_out_stems() else "dev"


def _bulk_json_present() -> bool:
    return BULK_JSON.is_file()


def load_gold(
    split: str = "all", sets: Sequence[str] = GOLD_SETS, shared_available: bool | None = None
) -> list[GoldQuestion]:
    """Gold questions whose DOCUMENT is in ``split`` ("dev", "test" or "all").

    Shared questions only when ../shared/corpus exists, bulk questions only when the corpus-bulk file does;
    a gold file that does not exist (yet) is skipped.
    """
    if split not in ("dev", "test", "all"):
        raise ValueError(f"unknown split {split!r}")
    if shared_available is None:
        shared_available = SHARED_CORPUS.is_dir()
    out = []
    for name in sets:
        if name == "shared" and not shared_available:
            continue
        if name.startswith("bulk") and not _bulk_json_present():
            continue
        path = GOLD_DIR / f"{name}.jsonl"
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            doc_split = document_split_of(r.get("doc", ""))
            if split != "all" and doc_split != split:
                continue
            expect = tuple(r.get("expect", ()))
            intent = r.get("intent", "")
            out.append(
                GoldQuestion(
                    id=r["id"], set=name, question=r["question"], doc=r.get("doc", ""), intent=intent,
                    user=r["user"], answerable=bool(r["answerable"]), gold_quotes=tuple(r.get("gold_quotes", ())),
                    expect=expect, split=doc_split, computed=bool(r.get("computed", False)),
                    answer_type=r.get("answer_type") or derive_answer_type(intent, expect),
                    gold_items=tuple(r.get("gold_items", ())),
                )
            )
    return out


def is_gold_text(q: GoldQuestion, text: str, doc_stem: str) -> bool:
    """Whether a cited/retrieved text in document ``doc_stem`` is (one of) the question's gold clause(s)."""
    if not q.answerable or (q.doc and doc_stem != q.doc):
        return False
    t = canon(text)
    if not t:
        return False
    for quote in q.canon_quotes:
        if quote in t or (len(t) >= SHORT_CITATION_MIN and t in quote):
            return True
    return False


def gold_rank(q: GoldQuestion, items: Iterable[tuple[str, str]]) -> int | None:
    """1-based rank of the first gold item among ``(text, doc_stem)`` pairs, or None."""
    for rank, (text, stem) in enumerate(items, start=1):
        if is_gold_text(q, text, stem):
            return rank
    return None


def expect_met(q: GoldQuestion, answer: str) -> bool:
    """Every expect string stands in ``answer`` (canonical form, citation markers removed)."""
    hay = answer_canon(answer)
    return bool(q.expect) and all(canon(e) in hay for e in q.expect)


def item_share(q: GoldQuestion, answer: str) -> float | None:
    """Share of the gold items standing in the whole ``answer`` (canonical form), None without gold items."""
    if not q.gold_items:
        return None
    hay = answer_canon(answer)
    return sum(1 for item in q.gold_items if canon(item) in hay) / len(q.gold_items)


def answer_right(q: GoldQuestion, answer: str) -> bool:
    """The scoring rule of an answerable question: item share >= 0.8 with gold items, else expect in the first sentence."""
    share = item_share(q, answer)
    if share is not None:
        return share + 1e-9 >= ITEM_SHARE_RIGHT
    return expect_met(q, first_sentence(answer))


# ----------------------------------------------------------------------------------------------- stats


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (numpy's default), ``nan`` for no values."""
    if not values:
        return float("nan")
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def recall_block(ranks: Sequence[int | None], ks: Sequence[int] = (1, 3, 5)) -> dict[str, float | int | None]:
    """recall@k for each k, and MRR over the cut-off max(ks), from 1-based gold ranks (None = missed)."""
    n = len(ranks)
    cutoff = max(ks)
    out: dict[str, float | int | None] = {"n": n}
    for k in ks:
        out[f"recall@{k}"] = ratio(sum(1 for r in ranks if r is not None and r <= k), n)
    out[f"mrr@{cutoff}"] = (sum(1.0 / r for r in ranks if r is not None and r <= cutoff) / n) if n else None
    return out


def fmt(x: float | None, pct: bool = True) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{100 * x:.1f}" if pct else f"{x:.3f}"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_facts() -> dict[str, object]:
    import platform

    facts: dict[str, object] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    with contextlib.suppress(OSError):
        facts["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu_model"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                facts["mem_total_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    return facts


# ----------------------------------------------------------------------------------------------- corpus / KB


def corpus_files(include_shared: bool | None = None, include_bundled: bool = True) -> list[Path]:
    """Files to ingest, in ingest order: ../shared/corpus first, the bundled corpus last.

    The Ganzhou plan is in both folders (TXT and PDF, one document id); ingesting the bundled TXT last
    makes the KB's copy the same whether or not ../shared is present.
    """
    from kb.library import expand_paths

    if include_shared is None:
        include_shared = SHARED_CORPUS.is_dir()
    folders = ([SHARED_CORPUS] if include_shared and SHARED_CORPUS.is_dir() else []) + (
        [BUNDLED_CORPUS] if include_bundled else []
    )
    return expand_paths(folders)


def mixed_corpus_files(include_shared: bool | None = None) -> list[Path]:
    """The evaluation's KB: every corpus-bulk page (written by eval.bulk), ../shared/corpus, the bundled corpus last.

    Bulk pages 01, 11 and 24 repeat shared files; the KB keeps one document and names it by the file ingested
    last, so the shared files come after the bulk pages and keep the stems their gold questions use.
    """
    from eval.bulk import bulk_available, bulk_files
    from kb.library import expand_paths

    if include_shared is None:
        include_shared = SHARED_CORPUS.is_dir()
    shared = expand_paths([SHARED_CORPUS]) if include_shared and SHARED_CORPUS.is_dir() else []
    bulk = bulk_files() if bulk_available() else []
    return bulk + shared + expand_paths([BUNDLED_CORPUS])


def ensure_eval_kb(kb_dir: str | Path | None = None, *, models: Sequence[str] = ("e5",), log=print) -> KBInfo:
    """The KB every evaluation asks: ``kb_dir`` when given, else the fingerprinted mixed KB (eval/.cache/kb-mixed)."""
    files = None if kb_dir is not None else mixed_corpus_files()
    if kb_dir is None and not MIXED_KB.exists() and SHARED_CORPUS.is_dir():
        # the shared-corpus KB first (built once under its lock, also when another process is building it):
        # its vectors are most of the mixed KB's, so they are never embedded twice
        ensure_kb(models=models, log=log)
    if kb_dir is None and not MIXED_KB.exists() and DEFAULT_KB.is_dir():
        # first build: start from the shared-corpus KB's vectors, so only the bulk pages are embedded
        with _locked(DEFAULT_KB.parent / f"{DEFAULT_KB.name}.lock"), contextlib.suppress(OSError, shutil.Error):
            for old in DEFAULT_KB.glob("index-*"):
                shutil.copytree(old, MIXED_KB / old.name, symlinks=True)
    return ensure_kb(kb_dir, files=files, cache=MIXED_KB, models=models, log=log)


def _ingest_sources() -> list[Path]:
    """Python files reachable by imports from the ingest/index roots (static walk of kb.* imports)."""
    import ast

    def module_file(name: str) -> Path | None:
        parts = name.split(".")
        if parts[0] not in ("kb", "indexing"):
            return None
        base = REPO.joinpath(*parts)
        for cand in (base.with_suffix(".py"), base / "__init__.py"):
            if cand.is_file():
                return cand
        return None

    todo = [REPO / r for r in _INGEST_ROOTS if (REPO / r).is_file()]
    for root in _INGEST_ROOTS:
        if (REPO / root).is_dir():
            todo += sorted((REPO / root).rglob("*.py"))
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        pkg = ".".join(path.relative_to(REPO).with_suffix("").parts)
        if path.name != "__init__.py":
            pkg = pkg.rsplit(".", 1)[0]
        else:
            pkg = pkg[: -len(".__init__")]
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        names: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                names.append(base)
                names += [f"{base}.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # the package __init__ files run too
                f = module_file(".".join(parts[:i]))
                if f is not None and f not in seen:
                    todo.append(f)
    return sorted(seen)


def _hash_file(h: hashlib._Hash, path: Path, label: str) -> None:
    h.update(label.encode("utf-8") + b"\0")
    h.update(hashlib.sha256(path.read_bytes()).digest())


#: Lexicon files only the answerer reads (kb/qa): refitting the answer model must not rebuild the KB.
ANSWER_ONLY_DATA = frozenset({"answer_model.json", "answer_types.tsv", "boilerplate.txt"})


def kb_fingerprint(files: Sequence[Path]) -> str:
    """Hash of the corpus files (name + content), the ingest/index source code and its data files."""
    h = hashlib.sha256()
    h.update(f"today={EVAL_TODAY.isoformat()}\0".encode())
    for f in files:
        _hash_file(h, f, f"{f.parent.name}/{f.name}")
    sources = _ingest_sources()
    for src in sources:
        _hash_file(h, src, str(src.relative_to(REPO)))
    data_dirs = {src.parent / "data" for src in sources} | {src.parent for src in sources if src.parent.name == "lexicon"}
    for folder in sorted(data_dirs):
        for data in sorted(folder.glob("*")):
            if data.is_file() and data.suffix != ".py" and data.name not in ANSWER_ONLY_DATA:
                _hash_file(h, data, str(data.relative_to(REPO)))
    return h.hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class KBInfo:
    path: Path
    rebuilt: bool
    seconds: float
    files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    fingerprint: str = ""


def _index_present(library, model: str) -> bool:
    from kb.retriever import Retriever

    return (Retriever(library, model).folder / "CURRENT").is_file()


def ensure_kb(
    kb_dir: str | Path | None = None,
    *,
    files: Sequence[Path] | None = None,
    cache: Path | None = None,
    include_shared: bool | None = None,
    include_bundled: bool = True,
    models: Sequence[str] = ("e5",),
    log=print,
) -> KBInfo:
    """A built and indexed KB to evaluate.

    ``kb_dir`` given and non-empty: used as it is. Otherwise the KB is built from ``files`` (default: the
    corpus files, see :func:`corpus_files`) into ``kb_dir``, or into the fingerprinted cache ``cache``
    (default ``eval/.cache/kb``), which is rebuilt whenever its fingerprint (corpus files, ingest/index
    code) changes. A rebuild starts from an empty store but keeps the old index folders, so unchanged
    passages are not re-embedded (HybridIndex reuses vectors by passage hash). The indexes of ``models``
    are built when missing.
    """
    from kb.retriever import Retriever

    start = time.perf_counter()
    files = list(files) if files is not None else corpus_files(include_shared, include_bundled)
    names = [str(f) for f in files]
    explicit = kb_dir is not None
    target = Path(kb_dir) if explicit else (cache or DEFAULT_KB)
    if explicit and target.is_dir() and any(target.iterdir()):
        return KBInfo(target, False, time.perf_counter() - start, names)
    fingerprint = kb_fingerprint(files)
    stamp = target.parent / f"{target.name}.fingerprint"
    with _locked(target.parent / f"{target.name}.lock"):
        if not explicit and target.is_dir() and stamp.is_file() and stamp.read_text().strip() == fingerprint:
            library = open_library(target)
            missing = [m for m in models if not _index_present(library, m)]
            for model in missing:
                t = time.perf_counter()
                Retriever(library, model).index()
                log(f"[eval] built missing index {model} in {target}: {time.perf_counter() - t:.1f}s")
            library.store.close()
            return KBInfo(target, False, time.perf_counter() - start, names, fingerprint=fingerprint)
        log(f"[eval] building KB in {target} from {len(files)} files (indexes: {', '.join(models) or 'none'}) ...")
        fresh = target.parent / f".{target.name}.build-{os.getpid()}"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(parents=True)
        if target.is_dir():  # keep the embedding cache: old index folders come along
            for old in target.glob("index-*"):
                shutil.copytree(old, fresh / old.name, symlinks=True)
        library = open_library(fresh)
        reports = library.ingest(files)
        errors = [f"{r.path}: {r.error}" for r in reports if not r.ok]
        for model in models:
            t = time.perf_counter()
            Retriever(library, model).index()
            log(f"[eval]   index {model}: {time.perf_counter() - t:.1f}s")
        library.store.close()
        if target.exists():
            trash = target.parent / f".{target.name}.old-{os.getpid()}"
            os.replace(target, trash)
            os.replace(fresh, target)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(fresh, target)
        if not explicit:
            stamp.write_text(fingerprint + "\n")
        seconds = time.perf_counter() - start
        log(f"[eval] KB ready in {seconds:.1f}s ({len(reports) - len(errors)} files ok, {len(errors)} failed)")
        return KBInfo(target, True, seconds, names, errors, fingerprint)


def open_library(path: Path):
    from kb.library import Library

    return Library(path, today=lambda: EVAL_TODAY)


def doc_stems(library) -> dict[str, str]:
    """doc_id -> source file stem (how gold questions name documents)."""
    return {d.doc_id: Path(d.source_path).stem for d in library.documents()}
