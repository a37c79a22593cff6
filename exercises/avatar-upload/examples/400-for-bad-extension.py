# expect: partial (fails: rejects-other-extension)
# Refuses a .txt or .svg file with 400 Bad Request; the statement asks for 415 Unsupported Media Type.
from flask import Flask, jsonify, request
from werkzeug.utils import secure_filename

app = Flask(__name__)


@app.route("/avatar", methods=["POST"])
def upload_avatar():
    file = request.files.get("avatar")
    ok = file is not None and "." in file.filename and file.filename.rsplit(".", 1)[1].lower() in {
        "png", "jpg", "jpeg", "gif"}
    if not ok:
        return jsonify(error="send a png, jpg, jpeg or gif file as `avatar`"), 400
    return jsonify(filename=secure_filename(file.filename), size=len(file.read())), 201
