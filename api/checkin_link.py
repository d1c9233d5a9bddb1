"""/c/<token>: the address in the projector's link QR. WeChat's 扫一扫 opens the
mini-program for it (扫普通链接二维码打开小程序, a rule for {PUBLIC_BASE_URL}/c/ set in the
mini-program's console), so only another scanner or a browser lands on this page: it
says to scan with WeChat. The token is not shown or checked here; the mini-program
reads it from the link."""
from flask import Blueprint, render_template

bp = Blueprint("checkin_link", __name__, template_folder="templates")


@bp.get("/c/<token>")
def scan_with_wechat(token):
    response = render_template("checkin_link.html")
    return response, 200, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
