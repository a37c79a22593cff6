# expect: partial (fails: sanitises-filename)
# Answers the filename exactly as uploaded: "../../etc/évil photo.jpg" should be "etc_evil_photo.jpg".
from flask import Flask, request

app = Flask(__name__)


@app.post("/avatar")
def upload_avatar():
    file = request.files.get("avatar")
    if file is None or file.filename == "":
        return {"error": "no avatar"}, 400
    if file.filename.rsplit(".", 1)[-1].lower() not in {"png", "jpg", "jpeg", "gif"}:
        return {"error": "not an image"}, 415
    return {"filename": file.filename, "size": len(file.read())}, 201
