"""What a student hands in through the browser (a ``.py`` file, a zip of a folder, or pasted code), turned into
the files the grader reads, with the same bounds as a submission read from disk.

A zip is hostile input: every member name is checked (no absolute paths, no ``..``), the number of files and
the bytes actually decompressed are capped while reading (a zip bomb stops at the cap, whatever its header
claims), and hidden or tool folders are skipped as :func:`grader.sandbox.read_submission` skips them.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path, PurePosixPath

from ..errors import GraderError
from ..files import skipped
from ..submission import MAX_SUBMISSION_BYTES, MAX_SUBMISSION_FILES, Submission, files_hash


class UploadError(GraderError):
    """A hand-in the portal cannot use; the message is shown to the student as it is."""


def from_paste(text: str, entry: str) -> dict[str, bytes]:
    data = text.replace("\r\n", "\n").encode("utf-8")
    if not data.strip():
        raise UploadError("the pasted code is empty", tip="paste the whole of your " + entry)
    if len(data) > MAX_SUBMISSION_BYTES:
        raise UploadError(f"the pasted code is over {MAX_SUBMISSION_BYTES // 1024 // 1024} MB")
    return {entry: data}


def from_upload(filename: str, data: bytes, entry: str) -> dict[str, bytes]:
    name = filename.lower()
    if name.endswith(".zip"):
        return _from_zip(data, entry)
    if name.endswith((".py", Path(entry).suffix or ".py")):  # graded as the entry (answers.yaml for a quiz)
        if not data.strip():
            raise UploadError(f"{filename} is empty")
        return {entry: data}
    raise UploadError(f"{filename}: hand in a {Path(entry).suffix or '.py'} file or a .zip of your folder")


def _member_path(name: str) -> str | None:
    """The member's safe relative path, or None for one to skip (folders, hidden and tool files)."""
    if name.endswith("/"):
        return None
    if name.startswith("/") or "\\" in name or ":" in name:
        raise UploadError(f"the zip holds an unsafe file name: {name!r}")
    parts = PurePosixPath(posixpath.normpath(name)).parts
    if not parts or ".." in parts:
        raise UploadError(f"the zip holds an unsafe file name: {name!r}")
    if skipped(PurePosixPath(*parts)):
        return None
    return "/".join(parts)


def _from_zip(data: bytes, entry: str) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadError("the file is not a valid zip archive") from None
    files: dict[str, bytes] = {}
    total = 0
    with archive:
        for info in archive.infolist():
            rel = _member_path(info.filename)
            if rel is None:
                continue
            if len(files) >= MAX_SUBMISSION_FILES:
                raise UploadError(f"the zip holds more than {MAX_SUBMISSION_FILES} files")
            try:
                with archive.open(info) as member:
                    content = member.read(MAX_SUBMISSION_BYTES - total + 1)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
                raise UploadError(f"{rel} in the zip cannot be read: {exc}") from None
            total += len(content)
            if total > MAX_SUBMISSION_BYTES:
                raise UploadError(f"the zip unpacks to more than {MAX_SUBMISSION_BYTES // 1024 // 1024} MB")
            files[rel] = content
    return _strip_folder(files, entry)


def _strip_folder(files: dict[str, bytes], entry: str) -> dict[str, bytes]:
    """A zip of a folder puts everything under ``folder/``: grade the folder, as if its contents were zipped."""
    if not files:
        raise UploadError("the zip holds no files")
    if entry in files:
        return dict(sorted(files.items()))
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) == 1 and all("/" in name for name in files):
        top = tops.pop() + "/"
        files = {name[len(top):]: data for name, data in files.items()}
    if entry not in files:
        raise UploadError(f"the zip holds no {entry} at its top (or in its one folder)",
                          tip=f"zip the folder that holds {entry}")
    return dict(sorted(files.items()))


def pack(files: dict[str, bytes]) -> bytes:
    """The files as a zip, the same bytes for the same files (fixed dates), as stored in the database."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in sorted(files.items()):
            out.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def unpack(blob: bytes) -> dict[str, bytes]:
    """Files stored by :func:`pack` (written by the portal itself, so already checked and bounded)."""
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def fingerprint(files: dict[str, bytes]) -> str:
    """The submission's hash, over its files in name order."""
    return files_hash(sorted(files.items()))


def to_submission(files: dict[str, bytes], label: str) -> Submission:
    ordered = tuple(sorted(files.items()))
    return Submission(path=Path(label), files=ordered, sha256=fingerprint(files))
