"""Chinese numerals as laws write article and heading numbers (一千零七十九, 二十, 十, 一百零五)."""
DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
NUMERAL_CHARS = "零〇一二三四五六七八九十百千"


def cn_to_int(text: str) -> int:
    """一千零七十九 → 1079, 十 → 10, 十二 → 12; ValueError for anything else."""
    if not text:
        raise ValueError("empty numeral")
    total, digit, last_unit = 0, None, 10_000
    for ch in text:
        if ch in DIGITS:
            if digit is not None:
                raise ValueError(f"two digits in a row: {text}")
            # 零 only stands for a skipped unit (一百零五): it adds nothing.
            digit = None if DIGITS[ch] == 0 else DIGITS[ch]
        elif ch in UNITS:
            unit = UNITS[ch]
            if unit >= last_unit:
                raise ValueError(f"units out of order: {text}")
            # A bare 十 (十二, or 一百一十's unit without 一 in loose writing) counts one ten.
            total += (digit if digit is not None else 1) * unit
            digit, last_unit = None, unit
        else:
            raise ValueError(f"not a Chinese numeral: {text}")
    return total + (digit or 0)


def int_to_cn(number: int) -> str:
    """1079 → 一千零七十九, 10 → 十, 110 → 一百一十, 1001 → 一千零一 (1 to 9999)."""
    if not 0 < number < 10_000:
        raise ValueError(f"out of range: {number}")
    names = "零一二三四五六七八九"
    out, pending_zero = "", False
    for unit, unit_name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // unit % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out += "零"
            pending_zero = False
        out += names[digit] + unit_name
    # 十, 十二: a leading 一十 is written without its 一.
    return out[1:] if out.startswith("一十") else out
