"""What kind of question is this? Keyword rules over the question, no model."""

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

_WHO = re.compile(r"谁(?:来|在)?(?:牵头|负责|主管|管|抓|主抓|承办|办|考核|审核|出面|统筹|制定|定|兑现)|谁来|由谁|归口|主管部门|哪个(?:部门|单位|局)|哪些(?:部门|单位)|由谁|牵头单位|牵头部门|责任单位|配合单位|归谁|谁家|找谁|什么部门|啥部门|哪家单位|主管部门")
_TASKS = re.compile(r"(?:负责|牵头|承担|参与|管|干|做)(?:了|的)?.{0,12}?(?:哪些|什么|啥|几项|多少项|哪几项|任务|工作)|(?:哪些|什么)(?:任务|工作|职责|事)|职责|任务清单|都负责|都管|有哪些任务|分工")
_AMOUNT_ASKED = re.compile(r"多少|能拿|可以拿|能领|能得|怎么算|如何计算|几折|比例|标准是|上限|最高")
_MONEY = re.compile(r"多少钱|奖励|补贴|奖补|补助|资助|扶持|能拿|可以拿|给多少|拿多少|奖多少|补多少|多少万|多少元|资金支持|怎么算|如何计算|能领|能得|兑现")
_VALID = re.compile(r"哪年到哪年|到哪年|截至哪年|几年有效|还能申报|还能兑现|还能申请|还能享受|还执行|还在执行|现在还|还算数|仍然有效|还管用|还能用|哪几天|哪天|几号|什么时间|实施时间|有效期|还有效|是否有效|有效吗|过期|失效|到期|什么时候(?:开始|施行|执行|实施|截止|结束)|何时|施行日期|期限|截止|还能(?:申请|申报|享受)|还可以(?:申请|申报|享受)|还在执行|还适用|现行")
_TARGET = re.compile(r"多大规模|多少个|几个|标杆|打造什么|定位|目标|到20\d\d年|20\d\d年(?:前|底)?(?:要)?(?:达到|实现|建成)|达到多少|力争|规划|要建多少|占比|比重")
# asked about the condition even when the question names the money: "干多久才能领补贴"
_STRONG_COND = re.compile(r"多久才|多久就|几年才|几年就|多长时间|什么条件|哪些条件|参与条件|申报条件|申请条件|资格|门槛|满足什么|要求是|有什么要求")
_COND = re.compile(r"条件|门槛|要求|什么样的|哪些企业|哪类|符合|资格|申报|怎么申请|如何申请|满足")


def detect_intent(question: str, unit_in_question: str | None = None) -> str:
    """The intent of a question; `unit_in_question` is a KB unit named in it, if any."""
    q = question
    if unit_in_question and _TASKS.search(q) and not _WHO.search(q):
        return UNIT_TASKS
    if _WHO.search(q):
        return WHO_LEADS
    if _STRONG_COND.search(q):
        return CONDITION
    # "会展补贴政策是哪年到哪年" asks when, not how much; "过10亿能拿多少？还有效吗" asks both (money
    # first, the validity note follows)
    if _VALID.search(q) and not _AMOUNT_ASKED.search(q):
        return VALIDITY
    if _MONEY.search(q):
        return INCENTIVE
    if _VALID.search(q):
        return VALIDITY
    if _TARGET.search(q):
        return TARGET
    if _COND.search(q):
        return CONDITION
    if unit_in_question and len(q.replace(unit_in_question, "")) <= 6:
        return UNIT_TASKS
    return KEYWORD


def asks_validity(question: str) -> bool:
    """An incentive question that also asks whether the policy still applies."""
    return bool(_VALID.search(question))


def asks_amount(question: str) -> bool:
    """The question wants a figure ("给多少钱", "比例是多少"), not just whether there is a policy."""
    return bool(_AMOUNT_ASKED.search(question))


# Attributes a question can ask for that a clause on the right topic may still not state: the answer
# must name them, else the documents do not answer ("要准备哪些材料" of a clause that lists none).
_ASKED_ATTRIBUTES = (
    (re.compile(r"(?:哪些|什么|啥|几样|准备|提交|提供|带)(?:申报|申请)?(?:材料|资料)|材料(?:有哪些|是什么)"),
     re.compile(r"材料|资料|证明|复印件|申请表|申报书|营业执照")),
    (re.compile(r"电话|联系方式|热线"), re.compile(r"电话|联系方式|热线|\d{7,}")),
    (re.compile(r"(?:地址|地点|在哪(?:里|儿)?(?:办|申请|申报|领))"), re.compile(r"地址|地点|位于|大厅|窗口|路\d|号楼")),
    (re.compile(r"网址|网站|哪个平台|什么平台|哪个系统"), re.compile(r"网址|网站|平台|系统|www|http|小程序|APP|app")),
)


def asked_attribute(question: str) -> re.Pattern[str] | None:
    """What an answer's clause must hold when the question asks for materials, a phone number, an
    address or a web site; None when it asks for none of these."""
    for asked, stated in _ASKED_ATTRIBUTES:
        if asked.search(question):
            return stated
    return None
