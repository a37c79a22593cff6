# expect: partial (fails: counts-binary-bytes)
# Decodes the upload as UTF-8 text to measure it: a real image's bytes are not UTF-8, so the route
# crashes (and for text it would count characters, not bytes).
from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)


@app.post("/avatar")
def upload_avatar():
    file = request.files.get("avatar")
    if file is None or not file.filename:
        return {"error": "no avatar"}, 400
    if file.filename.rsplit(".", 1)[-1].lower() not in {"png", "jpg", "jpeg", "gif"}:
        return {"error": "not an image"}, 415
    text = file.read().decode("utf-8")
    return {"filename": secure_filename(file.filename), "size": len(text)}, 201
