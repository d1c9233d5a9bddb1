"""Chinese numerals as laws write article numbers, both ways."""
import pytest

from statutes.numerals import cn_to_int, int_to_cn


@pytest.mark.parametrize("text,number", [
    ("一", 1), ("十", 10), ("十一", 11), ("二十", 20), ("一百", 100), ("一百零五", 105), ("一百一十", 110),
    ("一百二十", 120), ("一千", 1000), ("一千零一", 1001), ("一千零一十", 1010), ("一千零七十九", 1079), ("一千二百六十", 1260),
])
def test_numerals_read_and_written(text, number):
    assert cn_to_int(text) == number and int_to_cn(number) == text


def test_every_article_number_comes_back_as_it_went():
    assert all(cn_to_int(int_to_cn(n)) == n for n in range(1, 2000))


@pytest.mark.parametrize("text", ["", "二〇", "十十", "一二", "第一", "1"])
def test_what_is_not_a_numeral_is_refused(text):
    with pytest.raises(ValueError):
        cn_to_int(text)
