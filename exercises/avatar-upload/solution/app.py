"""Reference solution for avatar-upload."""

from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)

ALLOWED_EXTENSIONS = {"png", "jpg", "jpeg", "gif"}


def extension(filename):
    """The part after the last dot, in lower case ("" when there is no dot)."""
    return filename.rsplit(".", 1)[1].lower() if "." in filename else ""


@app.post("/avatar")
def upload_avatar():
    file = request.files.get("avatar")
    if file is None or file.filename == "":
        return {"error": "send an image in the multipart file field `avatar`"}, 400
    if extension(file.filename) not in ALLOWED_EXTENSIONS:
        return {"error": "only png, jpg, jpeg and gif images are accepted"}, 415
    size = len(file.read())  # bytes, so NUL and non-UTF-8 bytes count like any other
    return {"filename": secure_filename(file.filename), "size": size}, 201
