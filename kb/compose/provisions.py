"""Parallel provisions of one clause: "每获得金牌1枚，奖励2万元；每获得银牌1枚，奖励1万元…".

The question selects a provision by the words that tell the provisions apart (a named medal, prize or
place), multiplies the amounts of the items it counts ("2枚金牌1枚银牌"), or gives a figure that reaches a
step ("达10件…；达20件…") or a base plus increments ("超过10件的部分，每10件…"). Only provisions of one
template paying one fixed sum take part; rates, caps and priced lists are kb.compose.money's other rules.
"""

from __future__ import annotations

import math
import re

from kb.amounts import MONEY, PERCENT, to_yuan
from kb.compose.common import Context, Rule, clean, sentences
from kb.figures import SCALE, cn_number, format_yuan, money_in_question
from kb.models import Clause

_MEASURE = r"[枚个项名件块位人家户次台套亩]"
_ORDINAL = re.compile(r"第([一二两三四五六七八九十]+)")


def _ordinals_as_digits(text: str) -> str:
    """"第二名" reads as the clause writes it, "第2名"."""
    return _ORDINAL.sub(lambda m: f"第{int(cn_number(m.group(1)) or 0)}", text)


def _paying_parts(text: str) -> list[str]:
    """The clause's sentences and their ；-parts that name a sum of money."""
    parts = [p.strip("，, ") for s in sentences(text) for p in re.split(r"(?<=[；;])", s)]
    return [p for p in parts if MONEY.search(p)]


def _pays_one_sum(part: str) -> bool:
    """A provision paying one fixed amount: one sum of money and no rate (a rate with its cap, or a priced
    list, is another rule's)."""
    return len(MONEY.findall(part)) == 1 and not PERCENT.search(part)


def _parallel_parts(paid: list[str]) -> tuple[list[str], bool]:
    """What of each provision is its own: the first one's lead ("…按以下标准给予奖励：", or the subject
    before "达10件" when the others begin "达20件") is shared by all and tells none apart. Also whether
    such a lead was found and cut off."""
    first = paid[0]
    if re.search("[：:]", first):
        return [re.split("[：:]", first)[-1], *paid[1:]], True
    opening = re.match(r"([^\d，,]{1,4})(?=\d)", paid[1])
    cut = first.rfind(opening.group(1)) if opening else -1
    if cut > 0:
        return [first[cut:], *paid[1:]], True
    return paid, False


_BEYOND = (r"(?:达到?)?(?P<base>\d+(?:\.\d+)?){m}(?:（含）)?(?:以上)?的，(?:奖励|给予|补贴|资助)?[^，。；\d]{{0,6}}(?P<first>\d+(?:\.\d+)?)(?P<fs>万|千)?元；"
           r"超过(?P=base){m}的部分，每(?P<per>\d+(?:\.\d+)?)?{m}[^，。；\d]{{0,6}}?(?P<step>\d+(?:\.\d+)?)(?P<ss>万|千)?元"
           r"(?:，[^，。；\d]{{0,6}}?最高[^，。；\d]{{0,6}}?(?P<cap>\d+(?:\.\d+)?)(?P<cs>万|千)?元)?")


def _beyond_base(ctx: Context, text: str, value: float, measure: str, given_text: str) -> Rule | None:
    """"达10件的，奖励2万元；超过10件的部分，每10件奖励1万元，累计最高奖励10万元" applied to "30件":
    the base amount plus one step per full increment beyond it, the cap applied; the working shown."""
    m = re.search(_BEYOND.format(m=re.escape(measure)), text)
    if not m or value < float(m.group("base")):
        return None
    base, per = float(m.group("base")), float(m.group("per") or 1)
    first = float(m.group("first")) * SCALE[m.group("fs")]
    step = float(m.group("step")) * SCALE[m.group("ss")]
    steps = int((value - base) // per)
    total = first + steps * step
    derived = [format_yuan(total)]
    working = f"{format_yuan(first)}+{steps}×{format_yuan(step)}={format_yuan(total)}"
    if m.group("cap"):
        cap = float(m.group("cap")) * SCALE[m.group("cs")]
        if total > cap:
            working += f"，超过最高{format_yuan(cap)}，按{format_yuan(cap)}计"
            derived.append(format_yuan(cap))
    text_out = (f"按该条款，{given_text}：{base:g}{measure}奖励{format_yuan(first)}，超过部分每{per:g}{measure}"
                f"奖励{format_yuan(step)}，{working}。[1]")
    sentence = next((sn for sn in sentences(text) if m.group(0) in sn), m.group(0))
    return Rule(ctx.stats.sentence_score(ctx.grams, sentence), text_out, derived)


def _evidence(ctx: Context, paid: list[str], chosen: list[int]) -> float:
    """How well the chosen provisions, read with the lead they share, hold the question."""
    return ctx.stats.sentence_score(ctx.grams, " ".join([paid[0], *(paid[i] for i in chosen)]))


#: Share of a provision's bigrams found in a sibling provision for the two to be of one template.
PARALLEL_SHARE = 0.5


def _template_share(own: list[str], i: int, lead_cut: bool) -> float:
    """Share of provision i's bigrams (figures as one sign) found in a sibling. A first provision whose
    lead was not found is read from its end, as long as its sibling: "第八条…一等奖5项，每项奖励20000元"."""
    shape = [re.sub(r"\d+(?:\.\d+)?", "#", p) for p in own]
    mine = shape[i] if i or lead_cut else shape[0][-(len(shape[1]) + 2):]
    grams = {mine[k:k + 2] for k in range(len(mine) - 1)}
    others = {p[k:k + 2] for j, p in enumerate(shape) if j != i for k in range(len(p) - 1)}
    return len(grams & others) / len(grams) if grams else 0.0


def _count_before(question: str, pos: int) -> float | None:
    """"拿了2枚金牌" / "一块银牌": the count the question puts just before a named item."""
    m = re.search(rf"(\d+|[一两二三四五六七八九十]+)\s*{_MEASURE}\s*$", question[max(0, pos - 6):pos])
    return cn_number(m.group(1)) if m else None


def parallel_provisions(ctx: Context, clause: Clause) -> Rule | None:
    """"每获得金牌1枚，奖励2万元；每获得银牌1枚，奖励1万元…" and a question naming 银牌 (or giving
    "2枚金牌1枚银牌", or "代理30件" under 达10件/达20件/达30件 steps): the provision(s) the question
    selects, by the words that tell the provisions apart, or by the highest step its figure reaches."""
    question = _ordinals_as_digits(ctx.question)
    given = re.search(rf"(?<![第\d.])(\d+(?:\.\d+)?)\s*({_MEASURE})", question)
    def by_figure_alone() -> Rule | None:
        return _beyond_base(ctx, clause.text, float(given.group(1)), given.group(2), given.group(0)) if given else None

    paying = _paying_parts(clause.text)
    paid = [p for p in paying if _pays_one_sum(p)]
    if len(paid) < 2:
        return by_figure_alone()
    parts, lead_cut = _parallel_parts(paid)
    own = [_ordinals_as_digits(p) for p in parts]
    # provisions of one template ("每获得金牌1枚，奖励2万元" / "每获得银牌1枚，奖励1万元"), not a clause's
    # unrelated payments: most of each one's bigrams stand in another one
    kept = [i for i in range(len(own)) if _template_share(own, i, lead_cut) >= PARALLEL_SHARE]
    if len(kept) < 2:
        return by_figure_alone()
    paid, own = [paid[i] for i in kept], [own[i] for i in kept]
    lead_cut = lead_cut and kept[0] == 0
    # the question's bigrams; of those with a digit only ordinals ("第2"): "2枚" is a count, not a name
    grams = {question[i:i + 2] for i in range(len(question) - 1)
             if re.fullmatch(r"[\u4e00-\u9fff]{2}|第\d", question[i:i + 2])}
    # the grams that tell the provisions apart: in some of them, not in all (an ordinal is as rare as a
    # gram gets)
    telling = {g for g in grams if 0 < sum(g in p for p in own) < len(own)}
    rare = math.log(ctx.stats.n + 1)
    gram_weight = {g: rare if re.search(r"\d", g) else ctx.stats.idf(g) for g in telling}
    weight = [sum(w for g, w in gram_weight.items() if g in p) for p in own]
    best = max(weight)
    chosen = [i for i, w in enumerate(weight) if w == best] if best > 0 else []
    if chosen == [0] and not lead_cut and given:
        chosen = []  # only the first names the question's topic: its subject, which the others leave out
    if money_in_question(ctx.question):
        chosen = []  # a sum the question gives is applied by the rate and threshold rules
    others = [_ordinals_as_digits(p) for p in paying if p not in paid]
    if chosen and any(sum(w for g, w in gram_weight.items() if g in o) >= best for o in others):
        return None  # the question's words are as much in a payment of another shape (a rate, two sums)
    if chosen and len(chosen) < len(paid):
        # a count put before a named item ("2枚金牌1枚银牌") multiplies its amount per unit
        named = []
        for i, p in enumerate(own):
            at = [question.find(g) for g in telling if g in p]
            if weight[i] > 0 and at:
                named.append((i, min(at)))
        counted = [(i, _count_before(question, pos)) for i, pos in named if "每" in own[i]]
        counted = [(i, n) for i, n in counted if n and n >= 1]
        if counted and len(counted) == len(named) and (len(counted) > 1 or counted[0][1] > 1):
            terms, total = [], 0.0
            for i, n in counted:  # in the clause's order
                m = MONEY.search(own[i])
                amount = to_yuan(m.group(1), m.group(3))
                total += n * amount
                terms.append(f"{n:g}×{format_yuan(amount)}")
            total_text = format_yuan(total)
            steps = "；".join(clean(paid[i]).rstrip("；;。") for i, _ in counted)
            text = f"按该条款（{steps}），" + "+".join(terms) + f"={total_text}。[1]"
            return Rule(_evidence(ctx, paid, [i for i, _ in counted]), text, [total_text])
        if len(chosen) <= 2:
            text = "；".join(clean(paid[i]).rstrip("；;。") for i in chosen)
            return Rule(_evidence(ctx, paid, chosen), f"按该条款，{text}。[1]", [])
        return None
    # no word tells them apart: steps of one measure ("达10件的…；达20件的…") and the figure the question gives
    if not given:
        return None
    value, measure = float(given.group(1)), given.group(2)
    stepped = _beyond_base(ctx, clause.text, value, measure, given.group(0))
    if stepped:
        return stepped
    steps = []
    for i, p in enumerate(own):
        m = re.search(rf"(\d+(?:\.\d+)?)\s*{measure}(?:（含）)?(?:及)?(?:以上)?的", p)
        if m:
            steps.append((float(m.group(1)), i))
    if len(steps) < 2:
        return None
    reached = [sp for sp in steps if sp[0] <= value]
    if not reached:
        low = paid[min(steps)[1]]
        return Rule(ctx.stats.sentence_score(ctx.grams, low),
                     f"按该条款，最低一档为：{clean(low).rstrip('；;。')}，所述{given.group(0)}尚未达到。[1]", [])
    step = paid[max(reached)[1]]
    return Rule(ctx.stats.sentence_score(ctx.grams, step), f"按该条款，{given.group(0)}适用：{clean(step).rstrip('；;。')}。[1]", [])
