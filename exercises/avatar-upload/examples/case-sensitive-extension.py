# expect: partial (fails: extension-any-case)
# Compares the extension without lowering it first, so "AVATAR.PNG" or "photo.Jpg" is refused with 415.
from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)


@app.post("/avatar")
def upload_avatar():
    file = request.files.get("avatar")
    if file is None or file.filename == "":
        return {"error": "no avatar"}, 400
    if file.filename.rsplit(".", 1)[-1] not in {"png", "jpg", "jpeg", "gif"}:
        return {"error": "not an image"}, 415
    return {"filename": secure_filename(file.filename), "size": len(file.read())}, 201
