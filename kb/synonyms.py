"""Everyday words people use for what policy documents say formally (营收 -> 营业收入).

Questions are rewritten before retrieval and matching, so a caller's words meet the document's.
Domain vocabulary, not answers: each entry holds for any policy document.
"""

from __future__ import annotations

import re

COLLOQUIAL = {
    "营收": "营业收入",
    "收入过": "营业收入达到",
    "芯片": "集成电路",
    "社保卡": "社会保障卡",
    "医保卡": "社会保障卡",
    "一度电": "千瓦时",
    "每度电": "每千瓦时",
    "一度": "千瓦时",
    "每度": "每千瓦时",
    "揽总": "牵头",
    "带头": "牵头",
    "抓总": "牵头",
    "失效": "有效期",
    "过期": "有效期",
    "到期": "有效期",
    "管几年": "有效期",
    "管多久": "有效期",
    "啥时候": "什么时候",
    "啥": "什么",
    "咋": "怎么",
    "多少钱": "多少元",
    "给钱": "资金",
    "补钱": "补贴",
    "奖钱": "奖励",
    "门槛": "条件",
    "风投": "风险投资",
    "PUE": "电能利用效率",
    "pue": "电能利用效率",
    "GDP": "地区生产总值",
    "打几折": "比例",
    "几折": "比例",
    "房租": "租金",
    "个税": "个人所得税",
    "社保": "社会保险",
    "高企": "高新技术企业",
    "规上": "规模以上",
    "福彩": "福利彩票",
    "块钱": "元",
    "老板": "企业",
    "市里出还是县里出": "由哪级财政承担",
    "市里出还是区里出": "由哪级财政承担",
    "叠加": "同时可享受",
    "重复领": "重复享受",
    "上限": "最高",
    "封顶": "最高",
    "老人": "老年人",
    "娃": "子女",
    "小孩": "儿童",
    "大学毕业生": "高校毕业生",
    "退伍": "退役",
    "网店": "电商",
    "直播带货": "直播电商",
    "上市公司": "上市企业",
    "发明专利授权": "授权的发明专利",
}

_PATTERN = re.compile("|".join(sorted(map(re.escape, COLLOQUIAL), key=len, reverse=True)))


def formalise(question: str) -> str:
    """The question in the documents' words; the original stays what the user sees."""
    return _PATTERN.sub(lambda m: COLLOQUIAL[m.group(0)], question)
