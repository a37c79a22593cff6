# expect: partial (fails: rejects-empty-filename)
# Only tests that the `avatar` part exists: a part with an empty filename (no file chosen in the
# browser) falls through to the extension test and answers 415 instead of 400.
from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)


@app.post("/avatar")
def upload_avatar():
    if "avatar" not in request.files:
        return {"error": "no avatar"}, 400
    file = request.files["avatar"]
    if file.filename.rsplit(".", 1)[-1].lower() not in {"png", "jpg", "jpeg", "gif"}:
        return {"error": "not an image"}, 415
    return {"filename": secure_filename(file.filename), "size": len(file.read())}, 201
