"""Marshmallow's default error messages in Chinese: residents read them in `details`."""
from marshmallow import Schema, fields

fields.Field.default_error_messages = {
    "required": "此项必填。",
    "null": "此项不能为空。",
    "validator_failed": "内容不符合要求。",
}
for field_cls, message in (
    (fields.Integer, "须为整数。"), (fields.Number, "须为数字。"), (fields.String, "须为文本。"),
    (fields.List, "须为列表。"), (fields.Boolean, "须为是或否。"), (fields.Nested, "格式不正确。"),
    (fields.URL, "须为有效的网址。"), (fields.DateTime, "须为有效的时间。"),
):
    field_cls.default_error_messages = {**field_cls.default_error_messages, "invalid": message}
fields.Integer.default_error_messages["too_large"] = "数字过大。"

Schema._default_error_messages = {"type": "请求内容须为 JSON 对象。", "unknown": "不支持此字段。"}
