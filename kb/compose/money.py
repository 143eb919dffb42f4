"""能拿多少 / 有什么奖励: the matching incentive, the amount for the applicant's tier or figures, who pays.

Rules are read from the clause's own sentences: "分别" ladders, a rate with its cap, threshold
sentences ("…500万美元及以上1000万美元以下的，最高奖励20万元"), unit prices ("1.2元/千瓦时").
A computed amount shows its working, so every figure in it is traceable to the question or the clause.
"""

from __future__ import annotations

import re

from kb import intent as I
from kb.amounts import CAP, MONEY, PERCENT, to_yuan
from kb.compose.common import (
    MONEY_OR_RATE,
    Context,
    Draft,
    Rule,
    best_sentence,
    clean,
    confident,
    relevance,
    sentence_coverage,
    sentences,
    short,
)
from kb.compose.provisions import parallel_provisions
from kb.figures import SCALE, cn_number, format_yuan, money_in_question
from kb.models import TASK_ROW, Clause

_TOP_UP_Q = re.compile(r"还能补|还能再补|补差|差额|差多少|再补多少|又评上|升级后")
_NEXT_TIER_Q = re.compile(r"下一档|再拿一档|再升一档|上一档|要到多少才|还差多少|再往上")
_PAYER_Q = re.compile(r"谁出|谁承担|谁来出|谁兑现|谁付|哪里出|哪级财政|市里出|县里出|区里出|资金来源|钱从哪|承担比例|怎么分担")
# how much of a sum one level pays: "这笔钱市财政要出多少", "县里承担多少"
_SHARE_Q = re.compile(r"(?:市|县|区|省)(?:级|里)?(?:财政)?(?:要|需要|得)?(?:出|承担|负担|拿)多少")
_EACH_SHARE = re.compile(r"各(?:承担|负担|分担)(\d+(?:\.\d+)?)%")
_PAYER = re.compile(r"[^，。；]*(?:财政|资金)[^，。；]*(?:承担|兑现|负担|列支|支付|安排)[^，。；]*")
_UNIT_PRICE = re.compile(r"(\d+(?:\.\d+)?)\s*元\s*/\s*([\u4e00-\u9fff]{1,4})")
_QUANTITY = r"(\d+(?:\.\d+)?)\s*(万|千)?\s*个?\s*{unit}"
# a ladder per head: "招用3人（含3人）以下的，每招用1人奖励2000元，招用3人以上的，每增加1人奖励3000元，
# 最高奖励总额不超过10万元"
_COUNTABLE = r"[人户个家件次名项套台]"
_PER_HEAD = re.compile(
    rf"(?P<n>\d+)(?P<u>{_COUNTABLE})(?:（含\d+{_COUNTABLE}）)?(?:及)?以下的?，每[^，。；]{{0,6}}?1(?P=u)"
    rf"[^，。；\d]{{0,6}}?(?P<low>\d+(?:\.\d+)?)元[^，。；]{{0,6}}，[^，。；]{{0,8}}?(?P=n)(?P=u)以上的?，"
    rf"每(?:增加|多)[^，。；]{{0,4}}?1(?P=u)[^，。；\d]{{0,6}}?(?P<high>\d+(?:\.\d+)?)元"
    rf"(?:[^。；]{{0,4}}，最高[^，。；\d]{{0,8}}?(?P<cap>\d+(?:\.\d+)?)(?P<capu>万|千)?元)?"
)
_THRESHOLD = re.compile(
    r"(\d+(?:\.\d+)?)\s*(万|亿|千)?\s*(美元|元)(?:（含）)?(?:及)?以上(?:、?(\d+(?:\.\d+)?)\s*(万|亿|千)?\s*(?:美元|元)以下)?"
)
_DOLLAR_Q = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿|千)?\s*美元")
#: How far below the best clause's relevance a clause may be and still have its rule applied.
RULE_MARGIN = 0.15
#: Bonus of a candidate whose money sentence states the kind of value the question asks for.
ASKED_VALUE_BONUS = 0.2


def _pays(clause: Clause) -> bool:
    return clause.kind != TASK_ROW and any(a.kind in ("money", "cap", "range", "percent") for a in clause.amounts)


def _tiers(ctx: Context, clause: Clause, given: list[float]) -> Rule | None:
    incentive = next((i for i in ctx.library.store.incentives() if i.clause_id == clause.clause_id), None)
    if not incentive or not incentive.tiers or not given:
        return None
    groups: dict[str, list] = {}
    for t in incentive.tiers:
        if t.condition_value > 0:
            groups.setdefault(t.group, []).append(t)
    if not groups:
        return None
    scores = {g: ctx.stats.sentence_score(ctx.grams, g) for g in groups}
    top = max(scores.values())
    # the question names one kind of applicant, or none: then every ladder is answered
    chosen = [g for g in groups if scores[g] == top]
    parts = []
    next_asked = bool(_NEXT_TIER_Q.search(ctx.question))
    for group in chosen:
        ladder = sorted(groups[group], key=lambda t: t.condition_value)
        reached = [t for t in ladder if t.condition_value <= given[-1 if next_asked else 0]]
        higher = [t for t in ladder if t not in reached]
        who = _subject(group)
        if next_asked and higher:
            # "今年营收到了3000万，还能再拿一档吗，要到多少才行": the step above the figure given
            t = higher[0]
            parts.append(f"下一档是{who}{t.condition}的，一次性奖励{t.reward}")
        elif reached:
            t = reached[-1]
            parts.append(f"{who}{t.condition}的，一次性奖励{t.reward}")
        else:
            t = ladder[0]
            parts.append(f"{who}最低档为{t.condition}（奖励{t.reward}），所述金额尚未达到")
    return Rule(top, "按该条款，" + "；".join(parts) + "。[1]", [])


def _yuan_of(reward: str) -> float | None:
    m = MONEY.search(reward)
    return to_yuan(m.group(1), m.group(3)) if m else None


def _subject(group: str) -> str:
    """"集成电路、智能设备…等数字产品制造业企业年度营业收入首次达到" -> "数字产品制造业企业年度营业收入首次达到"."""
    tail = re.split(r"等(?=[^等]*企业)", group)[-1]
    return tail if len(tail) <= 40 else short(group, 40)


def _word_tier(ctx: Context, clause: Clause) -> Rule | None:
    """A ladder of words (五星级、四星级…分别给予10万元、8万元…): the step the question names."""
    incentive = next((i for i in ctx.library.store.incentives() if i.clause_id == clause.clause_id), None)
    if not incentive:
        return None
    named = [t for t in incentive.tiers if t.condition_value == 0 and len(t.condition) >= 2 and t.condition in ctx.question]
    if not named:
        return None
    # steps of one ladder only: "国家级" of one and "示范工厂" of another do not make an answer
    groups = [t.group for t in named]
    named = [t for t in named if t.group == max(groups, key=groups.count)]
    # every step the question names ("国家级…？省级呢"), in the clause's order
    steps = "，".join(f"{t.condition}给予{t.reward}" for t in named)
    if len(named) == 2 and _TOP_UP_Q.search(ctx.question):
        # "评了三星级拿了3万，又评上五星级，还能补多少": the difference between the two steps
        values = [_yuan_of(t.reward) for t in named]
        if all(v is not None for v in values):
            diff = format_yuan(abs(values[0] - values[1]))
            subject = short(named[0].group, 60).rstrip("的，")
            return Rule(ctx.stats.sentence_score(ctx.grams, named[0].group),
                         f"按该条款，{subject}：{steps}，两者相差{diff}。[1]", [diff])
    subject = short(named[0].group, 60).rstrip("的，")
    return Rule(ctx.stats.sentence_score(ctx.grams, named[0].group), f"按该条款，{subject}：{steps}。[1]", [])



_RECIPIENT = re.compile(r"给予([^，。；、]{2,10}?)(?:奖励|补贴|补助|奖补|资助)")


def _choose_percent(ctx: Context, sentence: str) -> tuple[str, float] | None:
    """One rate from "分别按照…国际性、全国性…的50%、30%", chosen by the question's words."""
    run = re.search(r"(\d+(?:\.\d+)?%)(?:、(\d+(?:\.\d+)?%))+", sentence)
    if not run or "分别" not in sentence:
        # several rules in one sentence ("总额…的40%，单户…的20%，单笔…的15%"): the rate of the phrase that
        # holds most of the question, the first on a tie
        phrases = [p for p in re.split(r"[，,；;]", sentence) if PERCENT.search(p)]
        if len(phrases) > 1:
            best = max(phrases, key=lambda p: (ctx.stats.sentence_score(ctx.grams, p), -phrases.index(p)))
            pct = PERCENT.search(best)
            return pct.group(0), float(pct.group(1))
        pct = PERCENT.search(sentence)
        return (pct.group(0), float(pct.group(1))) if pct else None
    rates = re.findall(r"\d+(?:\.\d+)?%", run.group(0))
    before = sentence[: run.start()]
    words = re.search(r"([^，。；、]{1,10})(?:、([^，。；、]{1,10}))+", before)
    if words:
        items = re.findall(r"[^、]+", words.group(0))
        if len(items) == len(rates):
            for item, rate in zip(items, rates, strict=True):
                core = re.sub(r"^(组织|对|按照|按)", "", item)[:3]
                if core and core in ctx.question:
                    return rate, float(rate.rstrip("%"))
    return rates[0], float(rates[0].rstrip("%"))


def _rates(ctx: Context, clause: Clause, given: list[float]) -> Rule | None:
    if not given:
        return None
    best: Rule | None = None
    best_named = False
    for sentence in sentences(clause.text):
        chosen = _choose_percent(ctx, sentence)
        if chosen is None or not re.search(r"按|的\d", sentence):
            continue
        rate_text, rate = chosen
        cap = CAP.search(sentence, sentence.find(rate_text))
        base = given[0]
        computed = base * rate / 100
        base_text, comp_text = format_yuan(base), format_yuan(computed)
        text = f"按{rate_text}计算，{base_text}×{rate_text}={comp_text}"
        derived = [base_text, comp_text]
        if cap:
            cap_yuan = to_yuan(cap.group(1), cap.group(2))
            cap_words = re.sub(r"^\D*", "", cap.group(0))
            if computed > cap_yuan:
                text += f"，超过上限，按最高{cap_words}计。[1]"
            else:
                text += f"，未超过最高{cap_words}的上限，可获{comp_text}。[1]"
        else:
            text += "。[1]"
        # a rule whose recipient the question names ("我是设计单位" and "按1%给予设计单位奖励") comes first,
        # whatever the other sentence's coverage of the question's words
        recipient = _RECIPIENT.search(sentence)
        named = bool(recipient) and recipient.group(1) in ctx.question
        score = ctx.stats.sentence_score(ctx.grams, sentence)
        if best is None or (named, score) > (best_named, best.score):
            best, best_named = Rule(score, text, derived), named
    return best


def _thresholds(ctx: Context, clause: Clause) -> Rule | None:
    """Separate sentences per band: pick the band the question's figure falls in."""
    m = _DOLLAR_Q.search(ctx.question)
    dollars = bool(m)
    given = [float(m.group(1)) * SCALE[m.group(2)]] if m else money_in_question(ctx.question)
    if not given:
        return None
    bands = []
    for sentence in re.split(r"(?<=[。；])", clause.text):
        t = _THRESHOLD.search(sentence)
        if not t or (t.group(3) == "美元") != dollars or not MONEY.search(sentence[t.end() :]):
            continue
        low = float(t.group(1)) * SCALE[t.group(2)]
        high = float(t.group(4)) * SCALE[t.group(5)] if t.group(4) else float("inf")
        bands.append((low, high, sentence))
    inside = [b for b in bands if b[0] <= given[0] < b[1]]
    if len(bands) < 2 or not inside:
        return None
    low, _high, sentence = max(inside, key=lambda b: b[0])
    return Rule(ctx.stats.sentence_score(ctx.grams, sentence), f"{clean(sentence)}[1]", [])


def _unit_price(ctx: Context, clause: Clause) -> Rule | None:
    """Price per unit times the quantity the question gives: 1.2元/千瓦时 × 1万千瓦时 = 12000元."""
    for m in _UNIT_PRICE.finditer(clause.text):
        unit = m.group(2)
        q = re.search(_QUANTITY.format(unit=re.escape(unit)), ctx.question)
        if not q:
            continue
        quantity = float(q.group(1)) * SCALE[q.group(2)]
        price = float(m.group(1))
        total = price * quantity
        qty_text = q.group(0).replace(" ", "")
        total_text = f"{total:.2f}".rstrip("0").rstrip(".") + "元"
        text = f"按{m.group(0)}计算，{qty_text}×{m.group(0)}={total_text}。[1]"
        return Rule(ctx.stats.sentence_score(ctx.grams, m.group(0)), text, [qty_text, total_text])
    return None


def _per_head(ctx: Context, clause: Clause) -> Rule | None:
    """A per-head ladder applied to the count the question gives (招了5个人: 3×2000元+2×3000元)."""
    for m in _PER_HEAD.finditer(clause.text):
        unit = m.group("u")
        q = re.search(rf"(?<![第\d.])(\d+)\s*个?\s*{unit}", ctx.question)
        if not q:
            continue
        count, band = int(q.group(1)), int(m.group("n"))
        low, high = float(m.group("low")), float(m.group("high"))
        num = lambda x: f"{x:g}"  # noqa: E731
        if count <= band:
            total = count * low
            working = f"{count}×{num(low)}元={format_yuan(total)}"
        else:
            total = band * low + (count - band) * high
            working = f"{band}×{num(low)}元+{count - band}×{num(high)}元={format_yuan(total)}"
        text = f"按该条款，{m.group('n')}{unit}以下每{unit}{num(low)}元，超过部分每{unit}{num(high)}元：{working}"
        derived = [format_yuan(total)]
        if m.group("cap"):
            cap = float(m.group("cap")) * SCALE[m.group("capu")]
            cap_text = f"{m.group('cap')}{m.group('capu') or ''}元"
            if total > cap:
                text += f"，超过最高{cap_text}的上限，按{cap_text}计"
            else:
                text += f"，未超过最高{cap_text}"
        return Rule(ctx.stats.sentence_score(ctx.grams, m.group(0)), text + "。[1]", derived)
    return None


# "每个项目平均20万元", "每人每次1.5元", "每人4000—6000元", "奖励20万元/个": an amount per counted thing
_PER_UNIT = re.compile(
    r"每(?P<u1>个|人次|人|名|户|家|件|项|枚|套|台|次|张|所)[^，。；\d]{0,12}?(?P<n1>\d+(?:\.\d+)?)(?:\s*[—\-~至到]\s*(?P<hi1>\d+(?:\.\d+)?))?\s*(?P<s1>万|千)?元"
    r"|(?P<n2>\d+(?:\.\d+)?)\s*(?P<s2>万|千)?元\s*/\s*(?P<u2>个|人次|人|名|户|家|件|项|枚|套|台|次|张|所)")
# a count, not an ordinal: "第二名" is a place, not two people
_COUNT_Q = r"(?<![第\d.])(\d+|[一两二三四五六七八九十]+)\s*(?:个|名|位)?\s*{unit}"


def _count_in(question: str, unit: str) -> tuple[float, str] | None:
    """The count of `unit` the question gives ("3个项目" for 个, "2000人次" for 人次, "10个徒弟" for 人)."""
    kinds = {"人": r"(?:人|名|位|徒弟|员工|职工|学员|同事)(?!次)", "个": r"(?:个|项目|家)", "人次": r"人次"}
    m = re.search(_COUNT_Q.format(unit=kinds.get(unit, re.escape(unit))), question)
    if not m:
        return None
    raw = m.group(1)
    value = float(raw) if raw.isdigit() else cn_number(raw)
    return (value, m.group(0).replace(" ", "")) if value else None


def _per_unit(ctx: Context, clause: Clause) -> Rule | None:
    """An amount per counted thing times the count the question gives, the cap applied: 3个×20万元=60万元."""
    found = []
    for sentence in sentences(clause.text):
        for m in _PER_UNIT.finditer(sentence):
            unit = m.group("u1") or m.group("u2")
            if unit == "人" and "每次" in m.group(0):
                unit = "人次"  # 每人每次3元: per visit
            counted = _count_in(ctx.question, unit)
            if counted is None or counted[0] < 2:
                continue
            # of several rates in one sentence (自主供给…3元，其他模式…1.5元) the one whose phrase the question holds
            phrase = re.split(r"[，；：]", sentence[: m.start()])[-1]
            found.append((ctx.stats.sentence_score(ctx.grams, phrase), -len(found), sentence, m, unit, counted))
    if not found:
        return None
    _, _, sentence, m, unit, counted = max(found, key=lambda f: (f[0], f[1]))
    scale = m.group("s1") or m.group("s2")
    low = float(m.group("n1") or m.group("n2"))
    high = float(m.group("hi1")) if m.group("hi1") else low
    count, count_text = counted
    price = f"{high:g}{scale or ''}元" if high == low else f"{low:g}—{high:g}{scale or ''}元"
    total = count * high * SCALE[scale]
    total_text = format_yuan(total)
    text = f"按该条款每{unit}{price}计算，{count_text}×{high:g}{scale or ''}元={total_text}"
    if high != low:
        text = f"按该条款每{unit}{price}计算，最多{count_text}×{high:g}{scale or ''}元={total_text}"
    cap = CAP.search(sentence, m.end())
    derived = [total_text]
    if cap:
        cap_yuan = to_yuan(cap.group(1), cap.group(2))
        cap_words = re.sub(r"^\D*", "", cap.group(0))
        if total > cap_yuan:
            text += f"，超过最高{cap_words}的上限，按{cap_words}计"
    return Rule(ctx.stats.sentence_score(ctx.grams, sentence), text + "。[1]", derived)


_LIST_ITEM = r"(?<=[：:、])({item}(?:（[^）]{{1,10}}）)?\s*\d+(?:\.\d+)?\s*(?:万|亿|千)?元)"


def _named_items(ctx: Context, clause: Clause) -> Rule | None:
    """A list "初级（五级）1000元、中级（四级）1500元…" and the item the question names ("中级工"), in every
    list of the clause that has it (the general rate and the 紧缺工种 rate)."""
    items = {w for w in ctx.words if len(w) >= 2}
    items |= {w[:2] for w in ctx.words if len(w) > 2}
    parts = []
    for sentence in sentences(clause.text):
        if len(re.findall(r"[：:、][^：:、，。；]{1,16}?\d+(?:\.\d+)?\s*(?:万|亿|千)?元", sentence)) < 2:
            continue  # not a list of priced items
        for item in sorted(items, key=len, reverse=True):
            m = re.search(_LIST_ITEM.format(item=re.escape(item)), sentence)
            if m:
                lead = sentence[: m.start()]
                subject = lead[: max(lead.rfind("："), lead.rfind(":")) + 1] if re.search("[：:]", lead) else ""
                subject = re.split(r"[，,]", subject)[-1] if subject else ""
                parts.append(f"{subject}{m.group(1)}")
                break
    if not parts:
        # "被评为五星级的给予10万元，四星级的给予5万元…": items paid one by one
        paid = []
        for item in sorted(items, key=len, reverse=True):
            m = re.search(rf"{re.escape(item)}的?(?:给予|奖励|补贴|资助)\s*(\d+(?:\.\d+)?\s*(?:万|亿|千)?元)", clause.text)
            if m and not any(item in p or p in item for p, _ in paid):
                paid.append((item, m.group(1)))
        if not paid:
            return None
        paid.sort(key=lambda pa: clause.text.find(pa[0]))
        parts = [f"{item}给予{amount}" for item, amount in paid]
        if len(paid) == 2 and _TOP_UP_Q.search(ctx.question):
            values = [_yuan_of(amount) for _, amount in paid]
            if all(v is not None for v in values):
                diff = format_yuan(abs(values[0] - values[1]))
                return Rule(ctx.stats.sentence_score(ctx.grams, " ".join(parts)),
                             "按该条款，" + "，".join(parts) + f"，两者相差{diff}。[1]", [diff])
        return Rule(ctx.stats.sentence_score(ctx.grams, " ".join(parts)), "按该条款，" + "，".join(parts) + "。[1]", [])
    return Rule(ctx.stats.sentence_score(ctx.grams, " ".join(parts)), "；".join(parts) + "。[1]", [])


def incentive(ctx: Context) -> Draft | None:
    scored = [(relevance(ctx, c, score), c) for c, score in ctx.hits[:10] if _pays(c)]
    if not scored:
        return None
    asked = I.asked_value(ctx.question)
    if asked is not None:
        # "补贴上限多少钱一度": a clause whose sentence on the question gives the kind of value asked
        # (a sum in 元, not only a rate) outranks a sibling that speaks of the topic without it
        scored = [(fit + (ASKED_VALUE_BONUS if asked[1].search(best_sentence(ctx, c, MONEY_OR_RATE, only_preferred=True))
                          else 0.0), c) for fit, c in scored]
    scored.sort(key=lambda sc: -sc[0])
    ranked = [c for _, c in scored]
    best_relevance = scored[0][0]
    clause = ranked[0]
    if not confident(ctx, clause):
        return None
    share_asked = _SHARE_Q.search(ctx.question)
    if _PAYER_Q.search(ctx.question) or share_asked:
        for c in ranked[:3]:
            payer = _PAYER.search(c.text)
            if not payer:
                continue
            text = f"{clean(payer.group(0))}。[1]"
            derived: list[str] = []
            given = money_in_question(ctx.question)
            share = _EACH_SHARE.search(payer.group(0))
            if share_asked and given and share:
                # "奖了50万，这笔钱市财政要出多少" under "市县两级财政各承担50%": 50万元×50%=25万元
                part = given[-1] * float(share.group(1)) / 100
                whole, part_text = format_yuan(given[-1]), format_yuan(part)
                text = f"{whole}×{share.group(1)}%={part_text}，{clean(payer.group(0))}。[1]"
                derived = [whole, part_text]
            return Draft(I.INCENTIVE, text, [c], derived)
    given = money_in_question(ctx.question)
    rules: list[tuple[Rule, Clause]] = []
    for fit, c in scored[:3]:
        # a rule (a tier the question names, a figure it gives) may not pull in a clause about
        # something else: 省级 of 企业上云 does not answer 省级应用场景示范区
        if ctx.coverage(c) < ctx.threshold or fit < best_relevance - RULE_MARGIN:
            continue
        weight = ctx.coverage(c) * sum(ctx.stats.idf(g) for g in ctx.grams)
        # most specific first: a step the question names, then a figure it gives, then a rate; the order
        # only breaks ties of clause weight plus the rule's own evidence (no hand-set offsets)
        for specificity, rule in enumerate((_word_tier(ctx, c), parallel_provisions(ctx, c), _named_items(ctx, c),
                                            _thresholds(ctx, c), _per_head(ctx, c),
                                            _unit_price(ctx, c), _per_unit(ctx, c), _tiers(ctx, c, given), _rates(ctx, c, given))):
            if rule is not None:
                rule.score += weight
                rules.append((rule, c, specificity))
    if rules:
        rule, clause, _ = max(rules, key=lambda rc: (rc[0].score, -rc[2]))
        text, derived = rule.text, rule.derived
    else:
        # a sum of money wins only where the sentence also holds the question ("上市" must be in it)
        plain = best_sentence(ctx, clause)
        paid = best_sentence(ctx, clause, MONEY_OR_RATE, only_preferred=True)
        sentence = paid if sentence_coverage(ctx, paid) >= 0.7 * sentence_coverage(ctx, plain) else plain
        if I.asks_amount(ctx.question) and not MONEY_OR_RATE.search(sentence):
            # asked for a figure, and the matching provision names none: the documents do not answer
            return Draft(I.INCENTIVE, "", [clause], found=False)
        text, derived = f"{sentence}[1]", []
    payer = _PAYER.search(clause.text)
    if payer and clean(payer.group(0)) not in text and MONEY_OR_RATE.search(text):
        text += f"{clean(payer.group(0))}。"
    return Draft(I.INCENTIVE, text, [clause], derived)
