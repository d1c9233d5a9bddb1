"""GIFT as Moodle writes it (also named .txt), and our GIFT export read back unchanged."""

from quiz_bank.formats import format_of, gift
from quiz_bank.importer import plan_import

MOODLE_STYLE = r"""// question: 101  name: 离婚
$CATEGORY: $course$/top/默认/民法典

// 出处：《民法典》第一千零七十九条
::离婚::[html]<p>夫妻一方要求离婚的，<b>可以</b>由有关组织进行调解或者直接向人民法院提起&nbsp;<i>离婚诉讼</i>。</p><p>调解无效的，应当？</p>{
	=[html]<p>准予离婚</p>#[html]<p>对&amp;正确</p>
	~[plain]不准离婚
	~[moodle]由村委会决定 &lt;视情况&gt;
	####[html]<p>见《民法典》第一千零七十九条&nbsp;第二款。</p>
}

// 出处：《民法典》第一千零四十六条
::自愿::[markdown]结婚应当男女双方完全自愿。{TRUE}
"""


def test_format_markers_and_html_leave_plain_text_in_stems_options_and_feedback():
    result = gift.read(MOODLE_STYLE.encode())
    assert not result.problems, [str(p) for p in result.problems]
    divorce, consent = (q.data for q in result.questions)
    assert result.questions[0].category == "民法典"
    assert divorce["stem"] == "夫妻一方要求离婚的，可以由有关组织进行调解或者直接向人民法院提起 离婚诉讼。\n调解无效的，应当？"
    assert [o["text"] for o in divorce["options"]] == ["准予离婚", "不准离婚", "由村委会决定 <视情况>"]
    assert divorce["answer"] == ["A"] and divorce["explanation"] == "见《民法典》第一千零七十九条 第二款。"
    assert consent["stem"] == "结婚应当男女双方完全自愿。" and consent["answer"] == ["T"]


def test_escapes_are_decoded_and_an_escaped_newline_never_splits_the_question():
    text = (r"// 出处：《民法典》第十七条" "\n"
            r"::成年::年满 18 周岁\: 成年人\{含本数\}，路径 C\:\\民法\\new 里的 \\n 不是换行？{" "\n"
            r"	=是\=成年人\#1 ~否\~未成年人" "\n"
            r"	####第一段\n\n// 第二段不是注释" "\n"
            "}\n")
    (question,) = gift.read(text.encode()).questions
    assert question.data["stem"] == r"年满 18 周岁: 成年人{含本数}，路径 C:\民法\new 里的 \n 不是换行？"
    assert [o["text"] for o in question.data["options"]] == ["是=成年人#1", "否~未成年人"]
    assert question.data["explanation"] == "第一段\n\n// 第二段不是注释"


GIFT_TXT = """// 出处：《民法典》第一千零六十二条
夫妻在婚姻关系存续期间所得的工资、奖金，为夫妻的共同财产。{T#对，见第一千零六十二条}

// 出处：《民法典》第一千零六十三条
一方的婚前财产为夫妻一方的个人财产。{F#错}

// 出处：《民法典》第一千零六十五条
约定财产制的书面形式{=书面形式 -> 必须 ~口头形式 -> 也可以}

我国的首都是哪座城市？{=北京}

《民法典》共有几编？{#7}

请简述离婚冷静期的规定。{}

婚姻登记机关{=结婚 -> 登记 =离婚 -> 登记}
"""


def test_a_gift_txt_without_titles_is_read_as_gift_and_each_unsupported_type_is_reported_by_its_line():
    assert format_of("民法典.txt", GIFT_TXT.encode()) == "gift"
    # True/false with feedback alone is GIFT too.
    assert format_of("判断.txt", GIFT_TXT.split("\n\n")[0].encode()) == "gift"
    plan = plan_import("民法典.txt", GIFT_TXT.encode(), default_category="民法典")
    new = {clean["stem"]: clean for _, _, clean in plan.new}
    assert new["夫妻在婚姻关系存续期间所得的工资、奖金，为夫妻的共同财产。"]["answer"] == ["T"]
    assert new["一方的婚前财产为夫妻一方的个人财产。"]["answer"] == ["F"]
    # "->" inside a choice's options is text, not a matching question.
    assert [o["text"] for o in new["约定财产制的书面形式"]["options"]] == ["书面形式 -> 必须", "口头形式 -> 也可以"]
    lines = GIFT_TXT.splitlines()

    def line_of(end):
        return next(number for number, line in enumerate(lines, start=1) if line.endswith(end))

    expected = {line_of("{=北京}"): "填空（简答）题", line_of("{#7}"): "数值题", line_of("{}"): "问答题",
                line_of("=离婚 -> 登记}"): "匹配题"}
    problems = {p.line: p.message for p in plan.problems}
    assert sorted(problems) == sorted(expected)
    assert all(expected[line] in message and "不支持的题型" in message for line, message in problems.items())
    assert all(not p.whole_file for p in plan.problems)


TRICKY = [
    "%50%的财产归一方所有",
    "甲 -> 乙",
    "<b>不是标签</b> & &amp; 原样",
    "[plain]开头的方括号",
    r"反斜杠 C:\new\\ 与 \n",
    "全部符号 ~ = # { } : // 都在",
]


def test_export_escapes_every_special_character_and_reads_back_the_same_questions():
    questions = [
        {"category": "民法典/总则", "type": "single", "stem": "下列哪一项 ~ = # { } : 写法正确？\n// 第二行不是注释",
         "options": [{"key": k, "text": t} for k, t in zip("ABCDEF", TRICKY)], "answer": ["A"],
         "explanation": "解析第一段\n\n<p>第二段</p> &nbsp;", "source": "《民法典》第一千零七十九条", "difficulty": 2},
        {"category": "民法典/总则", "type": "multiple", "stem": "多选：哪些选项以 % 开头？",
         "options": [{"key": "A", "text": "%100%是"}, {"key": "B", "text": "%-100%也是"}, {"key": "C", "text": "->不是"}],
         "answer": ["A", "B"], "explanation": "", "source": "《民法典》第一千零六十二条", "difficulty": 1},
        {"category": "婚姻法:旧", "type": "true_false", "stem": "[html]<i>这一句</i>原样保留。", "options": [],
         "answer": ["F"], "explanation": "#### 不是分隔", "source": "《民法典》第一千零四十六条", "difficulty": 3},
    ]
    result = gift.read(gift.write([], questions))
    assert not result.problems, [str(p) for p in result.problems]
    read_back = [{"category": q.category, **{k: q.data[k] for k in ("type", "stem", "options", "answer", "explanation", "source")},
                  "difficulty": int(q.data["difficulty"])} for q in result.questions]
    assert read_back == questions


def test_file_level_problems_are_marked_as_about_the_whole_file():
    (undecodable,) = gift.read(b"\xff\xfe\xff").problems
    (empty,) = gift.read(b"// only a comment\n").problems
    assert undecodable.whole_file and empty.whole_file and "没有题目" in empty.message
    (unsupported,) = gift.read("问答{}".encode()).problems
    assert not unsupported.whole_file
