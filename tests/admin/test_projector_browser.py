"""The check-in projector in a real browser, on a hall's landscape screen, a portrait
screen and a phone: the whole code is on screen, as large as the screen allows, centred."""
import pytest
from playwright.sync_api import expect

from core.extensions import db
from tests.admin.conftest import Panel

browser_test = pytest.mark.committing

SCREENS = [
    pytest.param(1920, 1080, False, id="1080p-landscape"),
    pytest.param(1280, 720, False, id="720p-landscape"),
    pytest.param(3840, 2160, False, id="4k-landscape"),
    pytest.param(1080, 1920, False, id="1080p-portrait"),
    # A phone lays out a page without a viewport meta 980 px wide and shrinks it.
    pytest.param(390, 844, True, id="phone"),
]


@pytest.fixture
def screen(open_panel):
    """Factory: a logged-out panel in a browser window of the given size (a phone's if
    `mobile`); open_panel holds it to reaching nothing but the local server and keeping
    its CSP."""

    def opener(width: int, height: int, mobile: bool) -> Panel:
        options = {"is_mobile": True, "has_touch": True, "device_scale_factor": 3} if mobile else {}
        return open_panel(viewport={"width": width, "height": height}, **options)

    return opener


def _box(page, selector: str) -> dict:
    return page.evaluate("""(selector) => {
        const r = document.querySelector(selector).getBoundingClientRect();
        return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height};
    }""", selector)


@browser_test
@pytest.mark.parametrize("width,height,mobile", SCREENS)
def test_the_whole_code_fills_the_screen_centred(screen, make, width, height, mobile):
    username = make.admin(role="admin").username
    event_id = make.event(title="“12·4”国家宪法日暨宪法宣传周集中宣传活动暨民法典进村入户宣讲（标题再长也不挤掉二维码）").id
    db.session.commit()
    panel = screen(width, height, mobile)
    panel.login(username)
    page = panel.page
    panel.goto(f"/admin/events/projector/{event_id}")
    expect(page.locator("#qr svg")).to_be_visible()

    view = page.evaluate("""() => ({vw: document.documentElement.clientWidth, vh: document.documentElement.clientHeight,
                                    scrollW: document.documentElement.scrollWidth, scrollH: document.documentElement.scrollHeight})""")
    assert (view["vw"], view["vh"]) == (width, height), "laid out for another screen size"
    assert view["scrollW"] <= width and view["scrollH"] <= height, ("the page is larger than the screen", view)

    # The code as drawn (its dark modules, finder patterns in three corners), not merely
    # the element it is drawn in.
    code = _box(page, "#qr svg path")
    assert code["left"] >= 0 and code["top"] >= 0 and code["right"] <= width and code["bottom"] <= height, code
    assert abs((code["left"] + code["right"]) / 2 - width / 2) <= 3, ("not centred across", code)
    assert abs((code["top"] + code["bottom"]) / 2 - height / 2) <= 3, ("not centred up and down", code)
    assert abs(code["width"] - code["height"]) <= 1, code
    # As large as the screen allows: the back of the hall scans it, a phone shows it
    # nearly edge to edge.
    assert code["width"] >= (0.7 * width if width < height else 0.45 * height), code

    # The title, the count and the hint are on screen and clear of the code.
    for selector in ("h1", ".sub", ".count", ".hint"):
        r = _box(page, selector)
        assert r["top"] >= 0 and r["bottom"] <= height and r["left"] >= 0 and r["right"] <= width, (selector, r)
        assert r["bottom"] <= code["top"] or r["top"] >= code["bottom"], (selector, r, code)
