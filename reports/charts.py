"""The annual report's charts as PNG images for Word: horizontal bars, one label and one
number a row, in the certificate's Chinese font (CERT_FONT). Word cannot show the
dashboard's ECharts, and a plotting library would add tens of megabytes for three bar
charts; Pillow, which the app already has for photos, draws them."""
import io

from flask import current_app

WIDTH, ROW, TOP, LABEL, PAD = 1200, 56, 90, 340, 40
BAR, TEXT, GRID = (46, 117, 182), (33, 33, 33), (220, 220, 220)


def bar_chart(title: str, rows: list[tuple[str, float]], unit: str = "") -> bytes:
    """A PNG of `rows` [(label, value)] as bars, longest scale first, with each value written."""
    from PIL import Image, ImageDraw, ImageFont

    font_path = current_app.config["CERT_FONT"]
    big, small = ImageFont.truetype(font_path, 36), ImageFont.truetype(font_path, 28)
    rows = rows or [("（无数据）", 0)]
    height = TOP + ROW * len(rows) + PAD
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((PAD, 24), title, font=big, fill=TEXT)
    top = max((v for _, v in rows), default=0) or 1
    span = WIDTH - LABEL - PAD * 2 - 140  # room for the value after the bar
    for i, (label, value) in enumerate(rows):
        y = TOP + i * ROW
        shown = label if len(label) <= 10 else label[:9] + "…"
        draw.text((LABEL - 12, y + ROW / 2), shown, font=small, fill=TEXT, anchor="rm")
        draw.line([(LABEL, y + ROW - 4), (WIDTH - PAD, y + ROW - 4)], fill=GRID)
        length = int(span * (value or 0) / top)
        if length:
            draw.rectangle([LABEL, y + 10, LABEL + length, y + ROW - 12], fill=BAR)
        number = f"{value:g}{unit}" if isinstance(value, (int, float)) else str(value)
        draw.text((LABEL + length + 12, y + ROW / 2), number, font=small, fill=TEXT, anchor="lm")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
