"""The files upload v2 flow: files.getUploadURLExternal, the upload itself, completion."""

from __future__ import annotations

import json
import mimetypes

from bot.sandbox.records import JsonDict, UploadedFile
from bot.sandbox.state import ApiError, ApiRequest, PendingUpload, SlackState


def get_upload_url(state: SlackState, req: ApiRequest) -> JsonDict:
    filename = str(req.params.get("filename") or "")
    if not filename:
        raise ApiError("missing_argument", detail="filename is required")
    if req.params.get("length") in (None, ""):
        raise ApiError("missing_argument", detail="length is required")
    try:
        length = int(req.params["length"])
    except (TypeError, ValueError) as exc:
        raise ApiError("invalid_arguments", detail="length must be an integer") from exc
    if length <= 0:
        raise ApiError("invalid_arguments", detail="length must be positive")
    file_id = state.ids.prefixed("F")
    state.records.uploads[file_id] = PendingUpload(
        file_id=file_id, filename=filename, length=length
    )
    upload_url = f"{state.root_url}upload/v1/{file_id}"
    return {"ok": True, "upload_url": upload_url, "file_id": file_id}


def receive_upload(state: SlackState, file_id: str, content: bytes) -> bool:
    """Store the bytes posted to an upload URL; False when the URL is unknown."""
    with state.lock:
        pending = state.records.uploads.get(file_id)
        if pending is None:
            return False
        pending.content = content
        return True


def _files_param(raw: object) -> list[JsonDict]:
    if raw in (None, ""):
        raise ApiError("missing_argument", detail="files is required")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ApiError("invalid_arguments", detail="files must be a JSON array") from exc
    if not isinstance(raw, list) or not raw or not all(isinstance(f, dict) for f in raw):
        raise ApiError("invalid_arguments", detail="files must be a non-empty JSON array")
    return raw


def complete_upload(state: SlackState, req: ApiRequest) -> JsonDict:
    files = _files_param(req.params.get("files"))
    channel_ids = [str(req.params["channel_id"])] if req.params.get("channel_id") else []
    channel_ids += [c for c in str(req.params.get("channels") or "").split(",") if c]
    channels = [state.postable_channel(c, req.token).id for c in channel_ids]
    pending: list[tuple[PendingUpload, bytes, str | None]] = []
    for item in files:
        upload = state.records.uploads.get(str(item.get("id")))
        if upload is None or upload.content is None:
            raise ApiError("file_not_found")
        title = item.get("title")
        pending.append((upload, upload.content, None if title is None else str(title)))
    thread_ts = req.params.get("thread_ts") or None
    comment = req.params.get("initial_comment") or None
    out = []
    now = int(state.clock())
    for upload, content, title in pending:
        del state.records.uploads[upload.file_id]
        state.records.files.append(
            UploadedFile(
                file_id=upload.file_id,
                filename=upload.filename,
                content=content,
                title=title,
                channel=channels[0] if channels else None,
                thread_ts=None if thread_ts is None else str(thread_ts),
                initial_comment=None if comment is None else str(comment),
            )
        )
        mimetype = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        out.append(
            {
                "id": upload.file_id,
                "created": now,
                "timestamp": now,
                "name": upload.filename,
                "title": title or upload.filename,
                "mimetype": mimetype,
                "filetype": upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else "",
                "user": req.token.user_id,
                "size": len(content),
                "is_external": False,
                "channels": channels,
            }
        )
    return {"ok": True, "files": out}
