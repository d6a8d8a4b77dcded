"""The body level: a general title whose text treats CGT. Every text below is SYNTHETIC, written for these
tests in the style of official documents; none is a real notice."""

from monitor.classify import default_classifier
from monitor.classify.passages import QUOTE_CHARS, BodyRule, segments
from monitor.values import Level

classify = default_classifier().classify

GENERAL_TITLE = "某市关于促进生物医药产业高质量发展的若干措施"  # synthetic
# ten numbered measures with no CGT word, as a long plan has them, repeated to some 40 pages' worth of items
FILLER = [
    f"（{n}）完善第{i + 1}项配套政策。各区要加强组织领导，落实工作责任，确保各项任务落到实处。"
    for i, n in enumerate("一二三四五六七八九十")
] * 40
CHAPTER = (
    "（十一）加快细胞和基因治疗产业发展。支持企业开展CAR-T、干细胞等细胞治疗产品研发，"
    "建设病毒载体公共生产平台。对获批上市的基因治疗产品给予奖励。"
)
PASSING = "（十一）培育新兴产业。推动基因治疗、细胞治疗、合成生物等前沿技术发展，加快布局未来产业。"


def plan(insert: str, at: int = 200) -> str:
    return "".join(FILLER[:at]) + insert + "".join(FILLER[at:])


def test_a_cgt_chapter_in_a_long_plan_is_the_body_level_with_its_heading_quoted():
    verdict = classify(GENERAL_TITLE, plan(CHAPTER))
    assert verdict.relevant and verdict.level is Level.BODY
    assert verdict.passage is not None and verdict.passage.startswith("（十一）加快细胞和基因治疗产业发展。支持企业")
    assert len(verdict.passage) <= QUOTE_CHARS + 2


def test_one_passing_mention_in_a_long_plan_is_not_relevant():
    verdict = classify(GENERAL_TITLE, plan(PASSING))
    assert verdict.score >= 1.0  # by terms alone it would have been relevant: the rule is what says no
    assert not verdict.relevant and verdict.level is Level.NONE and verdict.passage is None


def test_the_text_returning_to_cgt_is_a_treatment_twice_is_not():
    sentences = [
        "关于加强细胞治疗临床研究管理的建议收悉，现答复如下。",
        "我委高度重视干细胞临床研究的规范管理。",
        "下一步将会同有关部门完善免疫细胞治疗的监管制度。",
    ]
    filler = "".join(FILLER[:60])
    reply = filler.join(sentences)
    verdict = classify("对十四届全国人大二次会议第1234号建议的答复", reply)  # synthetic title
    assert verdict.level is Level.BODY and verdict.passage in sentences
    twice = classify("对十四届全国人大二次会议第1234号建议的答复", filler.join(sentences[:2]) + filler)
    assert twice.level is Level.NONE and not twice.relevant


def test_a_short_notice_whose_scope_is_cgt_is_the_body_level():
    verdict = classify(
        "关于发布一项技术指导原则的通告", "为规范产品研发，现予发布。本指导原则适用于嵌合抗原受体T细胞产品。"
    )
    assert verdict.level is Level.BODY and verdict.passage == "本指导原则适用于嵌合抗原受体T细胞产品。"


def test_a_cgt_title_stays_the_title_level_whatever_the_body():
    verdict = classify("免疫细胞治疗产品临床试验技术指导原则", plan(PASSING))
    assert verdict.level is Level.TITLE and verdict.passage is None
    assert classify("免疫细胞治疗产品临床试验技术指导原则").level is Level.TITLE
    assert classify("关于注销药品注册证书的公告").level is Level.NONE


def test_look_alikes_in_the_body_are_not_a_treatment():
    reagent = "结核分枝杆菌特异性细胞免疫反应检测试剂的注册审查。"
    verdict = classify("关于发布医疗器械注册审查指导原则的通告", reagent * 5)
    assert verdict.level is Level.NONE and not verdict.relevant


def test_a_chapter_of_an_attachment_counts_and_is_quoted_from_it():
    pdf_text = "\n".join(
        [
            "第一章 总则",
            *(
                f"第{i}条 本办法所称项目，是指纳入年度计划的重点项目，由主管部门统一组织实施。"
                for i in "一二三四五六七八九十" * 5
            ),
            "第三章 细胞治疗与基因治疗",
            "支持临床急需的细胞治疗产品开展",
            "注册申报。",
        ]
    )
    verdict = classify("关于印发专项资金管理办法的通知", "现将《办法》印发给你们，请遵照执行。", pdf_text)
    assert verdict.level is Level.BODY
    assert verdict.passage is not None and verdict.passage.startswith("第三章 细胞治疗与基因治疗")
    assert any(m.where == "attachment" for m in verdict.matches)


def test_a_long_sentence_is_quoted_around_its_strongest_term_and_cut_with_ellipses():
    long_sentence = (
        "各地要"
        + "统筹推进产业布局、人才引进、金融支持和营商环境建设，" * 6
        + "重点支持干细胞治疗"
        + "，并做好政策衔接和评估工作" * 6
        + "。"
    )
    verdict = classify("关于推进产业发展的通知", long_sentence)
    assert verdict.level is Level.BODY
    passage = verdict.passage or ""
    assert "干细胞" in passage and passage.startswith("…") and passage.endswith("…")
    assert len(passage) <= QUOTE_CHARS + 2 and "\n" not in passage


def test_english_text_is_cut_into_sentences_too():
    body = (
        "The Commission has reviewed the proposals received. "
        + "Local authorities shall strengthen coordination and report on progress. " * 30
        + "Support the development of cell therapy products. "
        + "Local authorities shall strengthen coordination and report on progress. " * 30
    )
    assert classify("Notice on the work plan", body).level is Level.NONE
    focused = body.replace("The Commission", "Gene therapy is a priority. Stem cell research shall be supported. The")
    assert classify("Notice on the work plan", focused).level is Level.BODY


def test_numbered_items_are_segments_and_only_a_short_headline_is_a_heading():
    rule = BodyRule()
    found = segments("一、总体要求 （一）加快细胞治疗发展。支持研发。2.其他事项", "body", rule)
    assert [s.text for s in found] == ["一、总体要求", "（一）加快细胞治疗发展。", "支持研发。", "2.其他事项"]
    assert [s.headline for s in found] == ["总体要求", "加快细胞治疗发展", None, "其他事项"]
    long_item = "（二）" + "鼓励" * 30 + "细胞治疗。"
    assert segments(long_item, "body", rule)[0].headline is None  # a numbered paragraph, not a heading
    assert segments("版本2.0发布", "body", rule)[0].headline is None  # a number, not a marker
