"""Two documents on one flattened page: the signature date of the first starts a new top-level part."""

from __future__ import annotations

from kb.segment import segment

_BODY = "各地要加强组织领导，明确责任分工，确保各项工作落到实处，切实做好相关保障工作。" * 8


def _page(first_intro: str) -> str:
    first = f"{first_intro}一、总体要求{_BODY}二、主要任务{_BODY}三、保障措施{_BODY}广安市人民政府2019年4月16日"
    second = f"广安市人民政府关于加强土地管理的通知各区市县人民政府：现就有关事项通知如下。一、规范供地{_BODY}二、强化监管{_BODY}"
    return first + second


def test_a_second_document_is_a_part_of_its_own():
    segs = segment(_page("各区市县人民政府：为做好工作，提出如下意见。"))
    labels = [s.label for s in segs]
    assert {"一", "二", "三", "文件2", "文件2 一", "文件2 二"} <= set(labels)
    head = next(s for s in segs if s.label == "文件2")
    assert head.title.startswith("广安市人民政府关于加强土地管理的通知")
    second_one = next(s for s in segs if s.label == "文件2 一")
    assert "规范供地" in second_one.title and second_one.path[0].startswith("文件2")
    # the first document's last part ends at its signature
    three = next(s for s in segs if s.label == "三")
    assert "土地管理" not in _page("各区市县人民政府：为做好工作，提出如下意见。")[three.start : three.end]


def test_a_cover_notice_with_its_own_requests_leaves_the_plain_labels_to_the_policy():
    segs = segment(_page("各区市县人民政府：《某某办法》已经市政府同意，现印发给你们，并提出以下要求。"))
    labels = [s.label for s in segs]
    assert {"印发通知 一", "印发通知 二", "印发通知 三", "一", "二"} <= set(labels)
    assert "文件2" not in labels


def test_a_signature_with_little_after_it_is_the_end_of_the_page():
    text = "为做好工作，提出如下意见。一、总体要求" + _BODY * 4 + "二、主要任务" + _BODY * 4 + "广安市人民政府2019年4月16日相关附件：无"
    assert not any(s.label.startswith(("文件", "印发通知")) for s in segment(text))
