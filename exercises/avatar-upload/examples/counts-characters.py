# expect: partial (fails: counts-binary-bytes)
# Decodes the upload (replacing bytes that are not UTF-8) and counts the characters: "café" is 4 characters
# but 5 bytes, so the size of any file with accents or binary data is wrong.
from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)


@app.post("/avatar")
def upload_avatar():
    file = request.files.get("avatar")
    if file is None or not file.filename:
        return {"error": "no avatar"}, 400
    if file.filename.rsplit(".", 1)[-1].lower() not in {"png", "jpg", "jpeg", "gif"} or "." not in file.filename:
        return {"error": "not an image"}, 415
    text = file.read().decode("utf-8", errors="replace")
    return {"filename": secure_filename(file.filename), "size": len(text)}, 201
