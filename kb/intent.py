"""Intent labels answers carry, and the few question readings the incentive and refusal code still uses.

The answer TYPE comes from kb.qa.analysis (kb/lexicon/answer_types.tsv); the keyword rules that chose an
intent from question wording are gone."""

from __future__ import annotations

import re

WHO_LEADS = "who_leads"
UNIT_TASKS = "unit_tasks"
INCENTIVE = "incentive"
VALIDITY = "validity"
TARGET = "target"
CONDITION = "condition"
KEYWORD = "keyword"

INTENTS = (WHO_LEADS, UNIT_TASKS, INCENTIVE, VALIDITY, TARGET, CONDITION, KEYWORD)

_AMOUNT_ASKED = re.compile(r"多少|能拿|可以拿|能领|能得|怎么算|如何计算|几折|比例|标准是|上限|最高")
_VALID = re.compile(r"哪年到哪年|到哪年|截至哪年|几年有效|还能申报|还能兑现|还能申请|还能享受|还执行|还在执行|现在还|还算数|仍然有效|还管用|还能用|哪几天|哪天|几号|什么时间|实施时间|有效期|还有效|是否有效|有效吗|过期|失效|到期|什么时候(?:开始|施行|执行|实施|截止|结束)|何时|施行日期|期限|截止|还能(?:申请|申报|享受)|还可以(?:申请|申报|享受)|还在执行|还适用|现行")


def asks_validity(question: str) -> bool:
    """An incentive question that also asks whether the policy still applies."""
    return bool(_VALID.search(question))


def asks_amount(question: str) -> bool:
    """The question wants a figure ("给多少钱", "比例是多少"), not just whether there is a policy."""
    return bool(_AMOUNT_ASKED.search(question))


# a bureau named in a question: "甲市数据局", "市数据局", "区医保局" (no question words inside)
ORGANISATION = re.compile(r"(?:[\u4e00-\u9fff]{2,3}[市区县省])?[市区县省]?[^\s，。、；：？?！!哪些这那个的和与及在里归由找是]{2,8}局")


# a programme named in a question: "数字工匠培育计划", "“十百千”工程" (its name before the kind word)
# (no asking words inside it: "供水供气企业要承担多少专项投资" names no programme)
PROGRAMME = re.compile(r"“?(?P<name>(?:(?!多少|什么|怎么|如何|谁|几|吗)[^\s，。、；：？?！!“”的了个这那哪些里在和与及]){3,10}?)”?"
                       r"(?:培育|培养|培训|提升|建设|扶持|资助|奖励)?(?:计划|工程|行动|专项)")


# a city named in a question ("丁市数字经济企业…"): two characters and 市 at the start of a phrase
CITY = re.compile(r"(?:^|[\s，。；：？?！!、（(])(?!全市|本市|我市|各市|该市|城市|上市|市场|超市|门市|股市|省市|县市)([\u4e00-\u9fff]{2})市(?!级|里|场|民|委|政|直|属|内|外|县|区)")


# What kind of value a question asks for, and what an answer stating it looks like. A clause on the
# right topic that does not state the value does not answer ("一家企业最多能举荐几个人才" of a clause
# that names no number; "每年几月份截止申报" of a clause that gives only the policy's years).
_VALUE_ASKED = (
    ("日期", re.compile(r"几月|几号|哪天|哪一天|几日|哪个月|截止日期|具体日期"),
     re.compile(r"\d{1,2}\s*月|\d{1,2}\s*日|[一二三四五六七八九十]+月")),
    ("年份", re.compile(r"哪年|哪一年|几几年"), re.compile(r"\d{4}\s*年|年底|年度")),
    ("时间", re.compile(r"什么时候|何时|啥时候|多久(?:能|可以|会)?(?:建成|完成|出来|到位|挂牌)"),
     re.compile(r"\d{4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|之日起|年底|年内|以前|之前|期间|每[年月季周日]|\d+个?(?:工作日|日|天|月|年)")),
    ("数量", re.compile(r"(?<![哪好十])(?:多少|几)(?!个亿)(?P<measure>个月|万千瓦|千瓦|平方|个|条|家|项|名|人(?!才|员|口)|次|件|张|户(?!籍|口)|所|座|批|类|种|天|年(?!度|龄)|岁|倍|亩)"),
     re.compile(r"\d|[一二两三四五六七八九十百千万]+(?:个|条|家|项|名|人|次|件|张|户|所|座|批|类|种|天|年|月|岁|倍)")),
    ("比例", re.compile(r"百分之几|百分之多少|几成|多少%|几折|占比多少|比例.{0,6}多少|多少.{0,4}比例|按多少比例"),
     re.compile(r"%|％|分之|\d成|折")),
    # a sum of money asked outright ("多少钱", "多少元") must be given in 元
    ("金额", re.compile(r"多少钱|几块钱|多少元|多少万元|几万元|多少亿元"), re.compile(r"元|分之")),
    ("金额", re.compile(r"多少万|几万|几个亿|多少亿|补多少|奖多少|给多少|拿多少|发多少|贷多少|交多少|收多少|报销多少|资助多少|补贴多少|奖励多少|补助多少"),
     # a sum, a rate or a sum by reference ("1个月全市最低工资标准"); a count ("20个") is not one
     re.compile(r"\d[\d.,]*\s*(?:万|亿|千|百)?\s*(?:元|%|％)|分之|[一二两三四五六七八九十百千万]+元|\d+个月|工资标准|标准的\d")),
)

# the administrative level a question names (市级示范项目) and the levels a sentence speaks of
LEVELS = re.compile(r"国家级|省级|市级|区级|县级|镇级|街道（镇）级|街道级|社区（村）级|社区级|村级")


def asked_value(question: str) -> tuple[str, re.Pattern[str]] | None:
    """The kind of value the question asks for (金额, 数量, 比例, 日期, 年份) and the pattern an answer
    stating it matches; None when it asks for none."""
    for name, asked, stated in _VALUE_ASKED:
        m = asked.search(question)
        if m and "measure" in asked.groupindex and m.group("measure") != "人":
            # "多少张床位" is answered by "3万张", not by any figure: the measure word follows a number
            unit = {"天": "(?:天|日|工作日)", "年": "(?:年|周年)", "个": "(?:个|名|位|人|家|项|所|条)"}.get(m.group("measure"), re.escape(m.group("measure")))
            return name, re.compile(rf"\d[\d.]*\s*(?:万|亿|千|百)?\s*个?\s*{unit}|[一二两三四五六七八九十百千万]+个?{unit}")
        if m:
            return name, stated
    return None
