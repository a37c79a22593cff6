# expect: partial (fails: rejects-other-extension)
# endswith("png") without the dot also accepts "avatarpng", a name with no extension at all.
from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)


@app.post("/avatar")
def upload_avatar():
    file = request.files.get("avatar")
    if file is None or not file.filename:
        return {"error": "no avatar"}, 400
    if not file.filename.lower().endswith(("png", "jpg", "jpeg", "gif")):
        return {"error": "not an image"}, 415
    return {"filename": secure_filename(file.filename), "size": len(file.read())}, 201
