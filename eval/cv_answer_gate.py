"""Document-grouped cross-validation of the found / not-found gate, on the dev documents only.

    python -m eval.fit_answer_model            # collects the dev candidates (eval/.cache/fit_answer_model.pkl)
    python -m eval.cv_answer_gate              # 5 folds of dev DOCUMENTS, 4 fold seeds -> eval/results/gate_cv.md

Each fold holds out whole documents: the candidate model, the gate and its threshold are fitted on the other
documents' questions (as eval.fit_answer_model does on all of dev) and scored on the held-out ones. The figure
is min(answered / 0.95, abstained / 0.85), the objective the threshold is chosen by. Variants drop a signal
(or the asked-kind flags) to see what each one is worth on documents the fit has not seen.
"""

from __future__ import annotations

import argparse
import pickle
from datetime import datetime

import numpy as np

from eval.common import CACHE_DIR, RESULTS_DIR, ensure_eval_kb, load_gold, open_library
from eval.fit_answer_model import choose_threshold, fit_logistic, gate_rows

FOLDS = 5
SEEDS = (0, 1, 2, 3)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    from kb.answerer import Answerer
    from kb.qa.scoring import GATE_FEATURES, GATE_SIGNS, Model

    cache = CACHE_DIR / "fit_answer_model.pkl"
    if not cache.exists():
        raise SystemExit("run `python -m eval.fit_answer_model` first: it collects the dev candidates")
    x, y, groups, answerable, extras, refused = pickle.loads(cache.read_bytes())
    docs = [q.doc for q in load_gold("dev")]
    if len(docs) != len(groups):
        raise SystemExit("the cached candidates are of another gold set: re-run `python -m eval.fit_answer_model`")
    stats = Answerer(open_library(ensure_eval_kb(None).path))._gram_stats()
    names = list(GATE_FEATURES)
    variants = {"all signals": names}
    variants.update({f"without {n}": [m for m in names if m != n] for n in names})
    variants["without the asked-kind flags"] = [n for n in names if not n.startswith("asks_")]
    scores: dict[str, list[tuple[float, float, float]]] = {v: [] for v in variants}
    for seed in SEEDS:
        order = sorted(set(docs))
        np.random.RandomState(seed).shuffle(order)
        fold_of = {d: i % FOLDS for i, d in enumerate(order)}
        qfold = np.array([fold_of[d] for d in docs])
        rows = {}
        for k in range(FOLDS):
            train = [i for i in np.where(qfold != k)[0] if len(groups[i])]
            idx = np.concatenate([groups[i] for i in train])
            w, b = fit_logistic(x[idx], y[idx])
            rows[k] = gate_rows(Model(w, b, 0.5), x, groups, extras, stats)
        for name, kept in variants.items():
            cols = [names.index(n) for n in kept]
            signs = np.array([GATE_SIGNS.get(n, 0) for n in kept], dtype=float)
            answered, abstained = [], []
            for k in range(FOLDS):
                g = rows[k][:, cols]
                tr, te = qfold != k, qfold == k
                gw, gb = fit_logistic(g[tr], answerable[tr].astype(float), lr=0.1, steps=6000, signs=signs)
                p = np.where(refused, -1.0, 1.0 / (1.0 + np.exp(-(g @ gw + gb))))
                t, _, _ = choose_threshold(p[tr], answerable[tr])
                answered += list(p[te & answerable] >= t)
                abstained += list(p[te & ~answerable] < t)
            a, s = float(np.mean(answered)), float(np.mean(abstained))
            scores[name].append((a, s, min(a / 0.95, s / 0.85)))
    lines = ["# Found / not-found gate: document-grouped cross-validation on dev", "",
             f"`python -m eval.cv_answer_gate` on {datetime.now().isoformat(timespec='seconds')}: {len(set(docs))} dev "
             f"documents, {len(docs)} questions, {FOLDS} folds of whole documents, fold seeds {list(SEEDS)}. "
             "Held-out answered / abstained and min(answered/0.95, abstained/0.85), mean over the seeds.", "",
             "| gate signals | answered | abstained | objective |", "| --- | ---: | ---: | ---: |"]
    for name, runs in scores.items():
        a, s, o = (float(np.mean([r[i] for r in runs])) for i in range(3))
        lines.append(f"| {name} | {100 * a:.1f} | {100 * s:.1f} | {o:.3f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        (RESULTS_DIR / "gate_cv.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
