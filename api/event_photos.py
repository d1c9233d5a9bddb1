"""Event photos from the mini-program: cadres upload the evidence of an event."""
from apiflask import Schema
from apiflask.fields import File, Integer, Method, String
from apiflask.validators import Length

from activities import photos
from api import bp
from api.auth import auth, current_user_id
from api.idempotency import idempotent
from api.schemas import LocalDateTime, Text

ID = "int(max=2147483647)"


class PhotoIn(Schema):
    file = File(required=True, metadata={"description": "JPEG、PNG 或 WebP 图片，不超过 10 MB"})
    caption = Text(load_default="", validate=Length(max=photos.CAPTION_MAX, error=f"说明不能超过 {photos.CAPTION_MAX} 个字。"),
                   metadata={"description": "照片说明"})


class PhotoOut(Schema):
    id = Integer()
    event_id = Integer()
    url = Method("get_url", metadata={"description": "原图地址（本服务器上的路径）"})
    thumb_url = Method("get_thumb_url", metadata={"description": "缩略图地址（JPEG，最长边 480 像素）"})
    sha256 = String()
    mime_type = String()
    width = Integer()
    height = Integer()
    size_bytes = Integer()
    taken_at = LocalDateTime(allow_none=True, metadata={"description": "拍摄时间（照片 EXIF 信息），没有则为 null"})
    caption = String()
    created_at = LocalDateTime()

    def get_url(self, photo):
        return photos.photo_url(photo)

    def get_thumb_url(self, photo):
        return photos.thumb_url(photo)


@bp.post(f"/events/<{ID}:event_id>/photos")
@bp.auth_required(auth)
@idempotent
@bp.input(PhotoIn, location="form_and_files", arg_name="body")
@bp.output(PhotoOut, status_code=201, description="照片已保存")
@bp.doc(responses={
    200: "该活动已有同一张照片，返回已有的记录",
    400: "请求格式有误",
    403: "不是干部（forbidden），或不是活动主办单位的干部（not_organiser）",
    404: "活动不存在",
    422: "不是 JPEG、PNG 或 WebP 图片（invalid_image）、超过 10 MB（file_too_large）、"
         "文件名或类型与内容不符（type_mismatch）、尺寸过大（image_too_large），或说明过长",
})
def upload_event_photo(event_id, body):
    """上传活动照片（主办单位的干部）

    以 multipart/form-data 提交 `file`（图片）和 `caption`（说明，可选）。按内容识别类型；
    同一张照片重复上传到同一活动时返回已有的记录（200），不会重复保存。
    """
    upload = body["file"]
    # Read one byte past the limit: enough to know it is too large, never the whole of a huge file.
    data = upload.stream.read(photos.MAX_BYTES + 1)
    photo, created = photos.upload_by_user(current_user_id(), event_id, data, upload.filename or "",
                                           upload.mimetype, body.get("caption", ""))
    return photo, 201 if created else 200
