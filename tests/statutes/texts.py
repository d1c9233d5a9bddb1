"""Short fake laws written for the tests, laid out as 国家法律法规数据库 texts are: the
title, the history line, a 目录, then the body with full-width spaces in the headings."""
import io

LAW = """中华人民共和国乡村示范法

（2020年5月28日第十三届全国人民代表大会第三次会议通过　2023年12月29日第十四届全国人民代表大会常务委员会第七次会议修订）

目　　录

第一编　总　　则
　　第一章　基本规定
　　第二章　村　　民
第二编　治　　理
　　第一分编　通　　则
　　　　第三章　村　　务
　　　　　　第一节　村务公开
　　　　　　第二节　村务监督
附　　则

第一编　总　　则
第一章　基本规定
第一条　为了建设民主法治示范村，制定本法。
第二条　本法适用于全国的行政村。
第二章　村　　民
第三条　村民享有参与村务的权利。
第四条　村民应当遵守村规民约。
第三条规定的权利，任何组织和个人不得侵犯。
第二编　治　　理
第一分编　通　　则
第三章　村　　务
第一节　村务公开
第五条　村务应当公开。
公开的内容包括：
（一）财务收支；
（二）集体资产处置。
第五条之一　村务公开每季度至少一次。
第二节　村务监督
第六条　村务监督委员会监督村务公开。
第二条　所列行政村，应当设立村务监督委员会。
附　　则
第七条　本法自2024年1月1日起施行。
"""

# The 2025 version: 第二条 changed, 第五条之一 gone, 第六条 only re-spaced, 第八条 added.
AMENDED = (LAW.replace("2023年12月29日第十四届全国人民代表大会常务委员会第七次会议修订）",
                       "2023年12月29日第十四届全国人民代表大会常务委员会第七次会议修订　2025年1月1日第十四届全国人民代表大会常务委员会第十三次会议修正）")
           .replace("第二条　本法适用于全国的行政村。", "第二条　本法适用于全国的行政村和社区。")
           .replace("第五条之一　村务公开每季度至少一次。\n", "")
           .replace("第六条　村务监督委员会监督村务公开。", "第六条　村务监督委员会 监督村务公开。")
           .replace("第七条　本法自2024年1月1日起施行。", "第七条　本法自2024年1月1日起施行。\n第八条　本法由国务院负责解释。"))


def docx_bytes(text: str) -> bytes:
    from docx import Document

    document = Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
