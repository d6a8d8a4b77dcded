import datetime as dt

import pytest

from monitor.classify import default_classifier

classify = default_classifier().classify


@pytest.mark.parametrize(
    ("title", "term"),
    [
        ("国家药监局关于发布《免疫细胞治疗产品临床试验技术指导原则（试行）》的通告", "免疫细胞"),
        ("嵌合抗原受体T细胞(CAR-T)治疗产品申报上市临床风险管理计划技术指导原则", "嵌合抗原受体"),
        ("人源性干细胞及其衍生细胞治疗产品临床试验技术指导原则(试行)", "干细胞"),
        ("体内基因治疗产品药学研究与评价技术指导原则(试行)", "基因治疗"),
        ("溶瘤病毒产品药学研究与评价技术指导原则(试行)", "溶瘤病毒"),
        ("人类遗传资源管理条例实施细则", "人类遗传资源"),
        ("Guidance on ＣＡＲ－Ｔ cell therapy products", "CAR-T"),
    ],
)
def test_cgt_titles_are_relevant_with_their_reason(title, term):
    verdict = classify(title)
    assert verdict.relevant
    assert term in verdict.terms


@pytest.mark.parametrize(
    "title",
    [
        "重组人白细胞介素-2（细胞因子）注射液说明书修订公告",
        "国家药监局关于发布仿制药参比制剂目录（第一百零九批）的通告（2026年第32号）",
        "关于加强转基因作物安全评价的通知",
        "细胞毒类抗肿瘤药物非临床研究技术指导原则",
        "Notice on submissions until further notice",  # "til" inside "until" is not TIL
    ],
)
def test_look_alikes_are_not_relevant(title):
    assert not classify(title).relevant


@pytest.mark.parametrize(
    ("title", "doc_type"),
    [
        ("关于公开征求《基因治疗产品长期随访临床研究技术指导原则（征求意见稿）》意见的通知", "draft_for_comment"),
        ("免疫细胞治疗产品药学研究与评价技术指导原则（试行）", "guideline"),
        ("干细胞临床研究管理办法（试行）", "regulation"),
        ("国家药监局关于批准注册243个医疗器械产品的公告", "announcement"),
        ("《人类遗传资源管理条例实施细则》政策解读", "interpretation"),
        ("上海市促进细胞治疗科技创新与产业发展行动方案", "policy"),
    ],
)
def test_document_types(title, doc_type):
    assert classify(title).doc_type == doc_type


def test_draft_deadline_is_read_from_the_body():
    verdict = classify(
        "关于公开征求《细胞治疗产品研究与评价技术指导原则》意见的通知", "请于2026年10月31日前将意见反馈至联系人。"
    )
    assert verdict.doc_type == "draft_for_comment"
    assert verdict.deadline == dt.date(2026, 10, 31)


def test_traditional_chinese_pages_match_the_same_terms():
    verdict = classify("衞生署公布《細胞及基因治療產品規管指引》")
    assert verdict.relevant and "基因治疗" in verdict.terms  # reported in the taxonomy's own spelling
    assert classify("幹細胞臨床研究管理辦法").relevant


def test_reason_says_where_each_term_matched():
    verdict = classify("关于发布技术指导原则的通告", "本指导原则适用于溶瘤病毒产品。", "附件：腺相关病毒载体质量控制")
    where = {(m.term, m.where) for m in verdict.matches}
    assert ("溶瘤病毒", "body") in where and ("腺相关病毒", "attachment") in where
    assert verdict.relevant


def test_a_passing_mention_in_a_long_body_counts_less_than_the_title():
    assert classify("细胞治疗产品指导原则").score > classify("关于发布指导原则的通告", "……细胞治疗……").score


def test_english_gloss_for_readers_without_chinese():
    verdict = classify(
        "关于公开征求《基因治疗产品药学研究与评价技术指导原则（征求意见稿）》意见的通知",
        "反馈截止时间为2026年10月31日。联系人：张三，电话：010-68585566，邮箱：zdyz@cde.org.cn",
    )
    assert verdict.gloss == (
        "Draft for comment on gene therapy and gene editing (AAV, lentivirus, CRISPR, oncolytic viruses); "
        "comments due 2026-10-31"
    )
    assert verdict.contact == "张三, 010-68585566, zdyz@cde.org.cn"
    assert not classify("关于注销药品注册证书的公告").gloss


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("国家药监局关于发布……的通告（国药监药注〔2023〕12号）", "国药监药注〔2023〕12号"),
        ("国卫科教发 [2019] 4号", "国卫科教发[2019]4号"),
    ],
)
def test_document_numbers(text, number):
    assert classify(text).document_number == number


@pytest.mark.parametrize(
    "title",
    [
        "流式细胞仪注册审查指导原则",
        "血细胞分析仪注册技术审查指导原则",
        "人类白细胞抗原基因分型检测试剂注册审查指导原则",
    ],
)
def test_device_look_alikes_from_the_same_agencies(title):
    assert not classify(title).relevant


@pytest.mark.parametrize(
    ("title", "topic"),
    [
        (
            "Technical Guideline for the Pharmaceutical Study and Evaluation of Cell-Based Immunotherapy Products (Draft for Comments)",
            "cell_therapy",
        ),
        (
            "Technical Guideline for the Clinical Trial of Cellular Therapy Products Based on the Human Stem Cell and its derivatives (Draft for Comments)",
            "cell_therapy",
        ),
        (
            'CDE issued the "Technical Guidelines for Clinical Trials of Mesenchymal Stem Cells for Prevention and Treatment of graft-versus-host Disease", which will be implemented as of the date of publication',
            "cell_therapy",
        ),
        ("Considerations for the Development of Chimeric Antigen Receptor (CAR) T Cell Products", "cell_therapy"),
        ("Technical Guidelines on CMC Study and Evaluation of Oncolytic Virus Products (Trial)", "gene_therapy"),
        (
            "Testing of Retroviral Vector-Based Human Gene Therapy Products for Replication Competent Retrovirus During Product Manufacture and Patient Follow-up",
            "gene_therapy",
        ),
        (
            "Guideline on Quality, Non-Clinical and Clinical Requirements for Investigational Advanced Therapy Medicinal Products in Clinical Trials (EMA/CAT/852602/2018)",
            "cgt_policy",
        ),
    ],
)
def test_english_guideline_titles_are_relevant(title, topic):
    verdict = classify(title)
    assert verdict.relevant
    assert topic in verdict.topics
    assert verdict.gloss


@pytest.mark.parametrize(
    "spelling",
    [
        "Gene-Modified Cellular Therapy Products",
        "gene modified cell therapy product",
        "GENETICALLY MODIFIED CELL THERAPIES",
        "Ｇｅｎｅ－ｍｏｄｉｆｉｅｄ cellular therapy",
    ],
)
def test_english_word_forms_match_one_term(spelling):
    verdict = classify(spelling)
    assert verdict.relevant
    assert set(verdict.terms) == {"gene modified", "cell therapy"}


@pytest.mark.parametrize(
    "title",
    [
        "Lithium-ion cells and batteries used in portable electronic equipment-Safety requirements",
        "Viral Safety Evaluation of Biotechnology Products Derived from Cell Lines of Human or Animal Origin",
        "Hepatitis c viral nucleic acid genotyping test kit Registration guideline",
        "Human Epidermal Growth Factor receptor 2 gene amplification test kit (fluorescence in situ hybridization) Registration guideline.",
        "Definitions for Genomic Biomarkers, Pharmacogenomics, Pharmacogenetics, Genomic Data and Sample Coding Categories",
        "Safety assessment of genetically modified organisms",
        "Stem cell cosmetics are a false concept",
        "Cellular phone battery safety",
    ],
)
def test_english_look_alikes_are_not_relevant(title):
    assert not classify(title).relevant


@pytest.mark.parametrize(
    ("title", "term"),
    [
        ("基因组编辑产品药学研究与评价技术指导原则", "基因组编辑"),
        ("碱基编辑治疗产品非临床研究技术要求", "碱基编辑"),
        ("Human Gene Therapy Products Incorporating Human Genome Editing", "genome editing"),
        ("上海市促进细胞免疫治疗产业发展若干措施", "细胞免疫治疗"),
    ],
)
def test_editing_and_immunotherapy_terms(title, term):
    verdict = classify(title)
    assert verdict.relevant and term in verdict.terms


@pytest.mark.parametrize(
    "title",
    [
        "总局关于发布结核分枝杆菌特异性细胞免疫反应检测试剂注册技术审查指导原则的通告（2018年第57号）",
        "“干细胞化妆品”是个伪概念",
        "细胞培养肉新食品原料安全性审查要点",
        "兽用干细胞制品管理规定",
    ],
)
def test_cell_look_alikes_outside_cell_therapy(title):
    assert not classify(title).relevant


@pytest.mark.parametrize(
    ("title", "doc_type"),
    [
        (
            "Technical Guideline for the Pharmaceutical Study and Evaluation of Gene Therapy Products (Draft for Comments)",
            "draft_for_comment",
        ),
        (
            "Technical Guideline for the Non-clinical Study of Gene-Modified Cellular Therapy Products (Interim)",
            "guideline",
        ),
        ("NMPA Approves First CAR-T Cell Therapy", "approval"),
        ("Administrative Measures for Stem Cell Clinical Research", "regulation"),
        ("NMPA Released Announcement on Issuance of Electronic Drug Registration Certificates", "announcement"),
        ("Notice on Stem Cell Clinical Research Filing", "notice"),
        ("Post-Approval Safety Data Management", None),  # "approval" alone is not an approval
    ],
)
def test_english_document_types(title, doc_type):
    assert classify(title).doc_type == doc_type


def test_document_types_in_one_pass_agree_with_trying_each_pattern_in_turn():
    from monitor.classify.normalise import normalise

    classifier = default_classifier()
    titles = [
        "关于公开征求《细胞治疗产品生产质量管理指南（征求意见稿）》意见的通知",
        "国家药监局批准首个干细胞治疗药品上市的公告",
        "药品注册管理办法政策解读问答",
        "关于印发行动方案的通知",
        "Draft Guidance: Notice of Approval Rules",
        "marketing authorisation of an advanced therapy",
        "无关标题",
    ]
    for title in titles:
        text = normalise(title)
        expected = next((d.name for d in classifier._doc_types if d.pattern.search(text)), None)
        assert classifier.doc_type(title) == expected, title
