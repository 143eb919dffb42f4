"""What the retriever searches for: the question in the documents' words, plus the words a document
uses for what the question asks about when the question itself cannot contain them.

"学徒制培训补贴 过期没" is answered by "本方案…政策措施有效期为两年（2022—2023年）", which shares no
word with the question: a question about a period searches for the words periods are stated in.
"""

from __future__ import annotations

import re

from kb import lexicon
from kb.synonyms import formalise

# asks whether / until when / since when a policy applies (dates of events, "哪几天", are not periods)
_PERIOD_ASKED = lexicon.alternation("period_asked.txt")
# asks when something happens ("春节电力需求响应哪几天"), not for how long a policy applies
_EVENT_TIME_ASKED = re.compile(r"哪几天|哪天|几号|哪段时间|什么时间|几点|哪些天|哪几个时段|时段")
#: How documents state when something happens: "本次需求响应实施时间为2021年2月13日至…".
EVENT_TIME_WORDS = "时间"
#: How documents state their period: "自印发之日起施行，有效期5年", "有效期为两年（2022—2023年）".
PERIOD_WORDS = "有效期 自印发之日起施行 执行"


def asks_period(question: str) -> bool:
    return bool(_PERIOD_ASKED.search(question))


def topic_text(question: str) -> str:
    """The question without the words that ask about a period: what the period is asked of."""
    rest = _PERIOD_ASKED.sub(" ", question)
    rest = re.sub(r"(?:什么时候|何时|几年|多久|哪年|没有|没|吗|了|呢)", " ", rest)
    return formalise(rest).strip() or formalise(question)


def search_text(question: str) -> str:
    """The query the indexes see for `question` (the user still sees their own words)."""
    text = formalise(question)
    if asks_period(text) or asks_period(question):
        text = f"{text} {PERIOD_WORDS}"
    elif _EVENT_TIME_ASKED.search(question) and EVENT_TIME_WORDS not in question:
        text = f"{text} {EVENT_TIME_WORDS}"
    return text
