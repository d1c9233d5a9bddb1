"""Event photos in the panel: the archive of each event's evidence. Admins upload
and delete; editors and reviewers look. Checking and storing are
activities.photos's, as for the mini-program."""
from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from accounts import audit, tenancy
from activities import photos
from activities.models import EVENT_KIND_LABELS, Event, EventPhoto
from admin.auth import StaffView, forbidden, has_role
from admin.tenancy import get_or_404, viewer_town
from admin.views import asked_page
from core.domain_errors import DomainError
from core.extensions import db
from core.timeutil import local_text
from core.transactions import writing

UPLOADERS = ("admin",)  # editors keep the question bank
DELETERS = ("admin",)
PAGE_SIZE = 20


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(n // 1024, 1)} KB"


def _uploader(photo: EventPhoto) -> str:
    if photo.uploaded_by_admin is not None:
        return f"{photo.uploaded_by_admin.username}（后台）"
    if photo.uploaded_by_user is not None:
        user = photo.uploaded_by_user
        return user.real_name or user.nickname or f"用户 {user.id}"
    return ""


def _prepare(upload, caption: str) -> photos.Prepared:
    return photos.Prepared(upload.stream.read(photos.MAX_BYTES + 1), upload.filename, upload.mimetype, caption)


def _record(event: Event, prepared: list[tuple[str, photos.Prepared]]) -> list[bool]:
    """Record checked photos in one unit of work; whether each was new to the event."""
    created = []
    with writing():
        for filename, ready in prepared:
            photo, is_new = photos.record_photo(event, ready, admin_id=current_user.id)
            if is_new:
                audit.record(current_user.id, "create", "event_photo", photo.id, f"为活动“{event.title}”上传照片 {filename}")
            created.append(is_new)
    return created


class EventPhotoView(StaffView):
    """Each event's photos: view (staff), upload and delete (admins, audited)."""

    @expose("/")
    def index(self):
        page = asked_page()
        town = viewer_town()
        total = db.session.scalar(tenancy.scope(select(func.count()).select_from(Event), Event, town))
        counts = select(EventPhoto.event_id, func.count().label("n")).group_by(EventPhoto.event_id).subquery()
        rows = db.session.execute(
            tenancy.scope(select(Event, func.coalesce(counts.c.n, 0)), Event, town)
            .outerjoin(counts, counts.c.event_id == Event.id)
            .order_by(Event.starts_at.desc(), Event.id.desc())
            .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        ).all()
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        return self.render("admin/event_photos.html", rows=rows, kinds=EVENT_KIND_LABELS, local=local_text, page=page, pages=pages)

    def _event(self, event_id: int) -> Event:
        return get_or_404(Event, event_id)

    @expose("/<int:event_id>")
    def detail(self, event_id):
        event = self._event(event_id)
        rows = db.session.scalars(
            select(EventPhoto).where(EventPhoto.event_id == event.id)
            .options(selectinload(EventPhoto.uploaded_by_user), selectinload(EventPhoto.uploaded_by_admin))
            .order_by(EventPhoto.taken_at.is_(None), EventPhoto.taken_at, EventPhoto.id)
        ).all()
        return self.render(
            "admin/event_photos_event.html", event=event, photos=rows, kinds=EVENT_KIND_LABELS, local=local_text, size=_size,
            uploader=_uploader, photo_url=photos.photo_url, thumb_url=photos.thumb_url,
            can_upload=has_role(*UPLOADERS), can_delete=has_role(*DELETERS),
            max_bytes=photos.MAX_BYTES, max_mb=photos.MAX_BYTES // (1024 * 1024), caption_max=photos.CAPTION_MAX,
        )

    @expose("/<int:event_id>/upload", methods=("POST",))
    def upload(self, event_id):
        """The page's script (static/event-photos.js) sends one photo a request and
        asks for JSON, so a batch has no total size; a browser without it posts the
        form, all its photos in one request (up to MAX_CONTENT_LENGTH)."""
        if not has_role(*UPLOADERS):
            return forbidden()
        event = self._event(event_id)
        uploads = [f for f in request.files.getlist("file") if f and f.filename]
        caption = request.form.get("caption", "")
        if request.accept_mimetypes.best == "application/json":
            return self._upload_one(event, uploads, caption)
        if not uploads:
            flash("请选择要上传的照片。", "error")
            return redirect(url_for(".detail", event_id=event.id))
        prepared = []  # checked and kept first: no image work inside the unit of work
        for upload in uploads:
            try:
                prepared.append((upload.filename, _prepare(upload, caption)))
            except DomainError as exc:
                flash(f"{upload.filename}：{exc.message}", "error")
        created = _record(event, prepared)
        added = sum(created)
        if added:
            flash(f"已上传 {added} 张照片。", "success")
        if len(created) > added:
            flash(f"{len(created) - added} 张照片此活动已有，未重复保存。", "info")
        return redirect(url_for(".detail", event_id=event.id))

    @staticmethod
    def _upload_one(event: Event, uploads: list, caption: str):
        if len(uploads) != 1:
            return jsonify(message="请每次上传一张照片。"), 400
        upload = uploads[0]
        try:
            ready = _prepare(upload, caption)
        except DomainError as exc:
            return jsonify(message=exc.message), 422
        [created] = _record(event, [(upload.filename, ready)])
        return jsonify(created=created, message="已上传" if created else "此活动已有这张照片，未重复保存")

    @expose("/<int:event_id>/photos/<int:photo_id>/delete", methods=("POST",))
    def delete(self, event_id, photo_id):
        if not has_role(*DELETERS):
            return forbidden()
        photo = db.session.get(EventPhoto, photo_id)
        if photo is None or photo.event_id != event_id:
            abort(404)
        self._event(event_id)
        photos.delete_photo(photo, current_user.id)
        flash("照片已删除。", "success")
        return redirect(url_for(".detail", event_id=event_id))
