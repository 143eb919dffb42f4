"""What a question asks for: one answer type of a closed set, read from its interrogative form.

The forms are data (kb/lexicon/answer_types.tsv), ordered by precedence; they name ways of asking
(谁牵头, 多少钱, 什么时候, 能不能, 有哪些), never the topic of one document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kb import lexicon

UNIT = "unit"
MONEY = "money"
RATE = "rate"
COUNT = "count"
DATE = "date"
YESNO = "yesno"
CONDITIONS = "conditions"
MATERIALS = "materials"
PROCEDURE = "procedure"
DEFINITION = "definition"
LIST = "list"
KEYWORD = "keyword"

ANSWER_TYPES = (UNIT, MONEY, RATE, COUNT, DATE, YESNO, CONDITIONS, MATERIALS, PROCEDURE, DEFINITION, LIST, KEYWORD)
VALUE_TYPES = (UNIT, MONEY, RATE, COUNT, DATE)
ENUMERATED_TYPES = (CONDITIONS, MATERIALS, PROCEDURE, LIST)

# What a sentence stating a value of each type looks like (general forms of Chinese official writing).
_NUM = r"\d[\d.,]*|[一二两三四五六七八九十百千万]+"
VALUE_FORMS: dict[str, re.Pattern[str]] = {
    # a unit is stated by a role word or by an organisation's name (its kind word ends it: 市社科联, 县级民政部门)
    UNIT: re.compile(r"牵头|负责|责任单位|配合单位|主管|承办|组织实施|(?:局|委|办|中心|政府|部门)(?:要|应|会同|按照|对|负责)"
                     r"|[\u4e00-\u9fff]{1,10}(?:局|委员会|委|办公室|政府|部门|中心|联合会|联|公司|集团|管委会)(?=[，。；、和及或为在\s]|$)"),
    MONEY: re.compile(rf"(?:{_NUM})\s*(?:万|亿|千|百)?\s*(?:美元|元)|分之|工资标准|\d+倍"),
    RATE: re.compile(r"\d+(?:\.\d+)?\s*[%％]|分之|\d成|折|倍"),
    COUNT: re.compile(rf"(?:{_NUM})\s*(?:万|亿|千|百)?\s*(?:个|家|项|名|人|次|件|张|户|所|座|条|批|类|种|亩|套|台|位|千瓦|平方米|公里|床|%|％)"),
    DATE: re.compile(r"\d{4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|之日起|年底|年内|工作日|有效期|期限|\d+\s*个?(?:日|天|月|年)|每[一两二三四五六半]?个?[年月季周]"),
    YESNO: re.compile(r"可以|可|应当|须|需|不得|不予|不能|不属于|给予|享受|纳入|支持"),
    CONDITIONS: re.compile(r"以上|以下|不低于|不少于|不超过|须|应当|需|具备|符合|条件|满足|年满|累计|具有|取得"),
    MATERIALS: re.compile(r"材料|资料|证明|复印件|申请表|申报书|执照|证书|报告|清单|合同|发票|身份证"),
    PROCEDURE: re.compile(r"申请|申报|提交|审核|受理|办理|审批|公示|报送|评审|拨付|登录|通过|向[^，。]{1,16}(?:申请|提交|报送)"),
    DEFINITION: re.compile(r"是指|指的是|所称|本办法|本方案|本措施|包括|范围|对象|适用于|为[^，。]{2,20}的"),
    LIST: re.compile(r"包括|主要|重点|以下|如下|[：:]"),
    KEYWORD: re.compile(r"(?!x)x"),
}


@dataclass(frozen=True)
class TypeRule:
    answer_type: str
    form: re.Pattern[str]


@lru_cache(maxsize=1)
def type_rules() -> tuple[TypeRule, ...]:
    rules = []
    for answer_type, form in lexicon.pairs("answer_types.tsv"):
        if answer_type not in ANSWER_TYPES:
            raise ValueError(f"kb/lexicon/answer_types.tsv: 未知的答案类型 {answer_type}")
        rules.append(TypeRule(answer_type, re.compile(form)))
    return tuple(rules)


def answer_type(question: str) -> str:
    """The first answer type whose interrogative form the question uses; keyword when none."""
    for rule in type_rules():
        if rule.form.search(question):
            return rule.answer_type
    return KEYWORD


def states_value(answer_type: str, text: str) -> bool:
    """Whether `text` holds a value of the kind the answer type asks for."""
    form = VALUE_FORMS.get(answer_type)
    return bool(form and form.search(text))


#: A quantity question (how much money, what share, how many) is answered by any stated quantity: "资助多少"
#: by 50%, "提高到多少" by 3000元, "出资多少" by 1000万元.
QUANTITY_TYPES = (MONEY, RATE, COUNT)


_STILL = re.compile(r"还能|还可以|还有效|还执行|还在|还算|现在|到期|过期|有效期")


def asks_still(question: str) -> bool:
    """"2025年还能申请吗": a question whose year is when it is asked, not what it is about."""
    return bool(_STILL.search(question))


def states_quantity(text: str) -> bool:
    return any(states_value(t, text) for t in QUANTITY_TYPES)


_DAY_ASKED = re.compile(r"几月|几号|哪天|哪一天|几日|哪个月|具体日期")
_DAY_STATED = re.compile(r"\d{1,2}\s*月|\d{1,2}\s*日|[一二三四五六七八九十]+月|之日|工作日")


def asks_day(question: str) -> bool:
    """A date question asking for a month or a day, not a year."""
    return bool(_DAY_ASKED.search(question))


def states_day(text: str) -> bool:
    return bool(_DAY_STATED.search(text))
