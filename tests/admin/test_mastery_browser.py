"""掌握程度 in a real browser: the heat map is drawn by the vendored ECharts from the app
alone, with no script error and no breach of the content security policy (the
`open_panel` fixture fails the test on a request off the machine or a CSP report)."""
import pytest
from playwright.sync_api import expect

from core.extensions import db
from tests.admin.test_mastery_pages import MARCH, town


@pytest.mark.committing
def test_the_heat_map_is_drawn_offline_above_its_table(open_panel, make):
    username = make.admin("reviewer").username
    town(make)
    db.session.commit()

    panel = open_panel()
    errors = []
    panel.page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    panel.page.on("pageerror", lambda e: errors.append(str(e)))
    panel.login(username)
    panel.goto(f"/admin/mastery/?{MARCH}")
    page = panel.page

    canvas = page.locator("#mastery-heatmap canvas")
    expect(canvas).to_have_count(1)
    box = canvas.bounding_box()
    assert box["width"] > 200 and box["height"] > 200
    assert page.evaluate("() => typeof window.echarts.getInstanceByDom(document.getElementById('mastery-heatmap'))") == "object"
    # Hovering a cell tells its measures: 东湖村 × 民法典.
    x, y = page.evaluate("() => window.echarts.getInstanceByDom(document.getElementById('mastery-heatmap'))"
                         ".convertToPixel({seriesIndex: 0}, [0, 0])")
    page.mouse.move(box["x"] + x, box["y"] + y)
    tooltip = page.locator("#mastery-heatmap div", has_text="记忆保持率").last
    for text in ("东湖村 · 《民法典》", "知晓度 67.5%（掌握）", "记忆保持率 90.0%", "已学题目比例 75.0%", "参与 2 / 2 人"):
        expect(tooltip).to_contain_text(text)
    expect(page.locator("#mastery-suggestion")).to_contain_text("西山村 宣讲《民法典》")
    expect(page.locator("#mastery-table tbody tr").first).to_contain_text("67.5%")
    assert any(u.endswith("/admin/panel-static/mastery-heatmap.js") for u in panel.requests)
    assert errors == []
