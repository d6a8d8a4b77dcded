from monitor.classify.fingerprint import title_fingerprint


def test_reposts_of_one_document_share_a_fingerprint():
    nmpa = "国家药监局关于发布《细胞治疗产品生产质量管理指南（试行）》的通告（2022年第4号）"
    cde = "国家药监局药审中心关于发布《细胞治疗产品生产质量管理指南(试行)》的通告"
    province = "转发国家药监局关于发布《细胞治疗产品生产质量管理指南（试行）》的通知"
    assert title_fingerprint(nmpa) == title_fingerprint(cde) == title_fingerprint(province)


def test_a_draft_and_its_final_version_are_different_documents():
    draft = "关于公开征求《细胞治疗产品生产质量管理指南（试行）（征求意见稿）》意见的通知"
    final = "国家药监局关于发布《细胞治疗产品生产质量管理指南（试行）》的通告"
    assert title_fingerprint(draft) != title_fingerprint(final)


def test_titles_without_a_quoted_document_compare_whole():
    assert title_fingerprint("深圳经济特区细胞和基因产业促进条例") == title_fingerprint(
        "深圳经济特区细胞和基因产业促进条例 "
    )
    assert title_fingerprint("关于开展细胞治疗专项检查的通知") != title_fingerprint("关于开展基因治疗专项检查的通知")
