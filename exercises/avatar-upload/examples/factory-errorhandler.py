# expect: full
# A create_app() factory; validation raises an exception that an errorhandler turns into JSON;
# the size comes from seeking to the end of the uploaded stream instead of reading it.
import os

from flask import Flask, jsonify, request
from werkzeug.utils import secure_filename


class UploadRejected(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def create_app():
    app = Flask(__name__)

    @app.errorhandler(UploadRejected)
    def rejected(error):
        return jsonify({"error": str(error)}), error.status

    @app.post("/avatar")
    def avatar():
        upload = request.files.get("avatar")
        if upload is None or upload.filename in (None, ""):
            raise UploadRejected(400, "attach the image as the file field `avatar`")
        if "." not in upload.filename or upload.filename.rpartition(".")[2].casefold() not in {
            "png", "jpg", "jpeg", "gif"
        }:
            raise UploadRejected(415, "unsupported file type")
        upload.stream.seek(0, os.SEEK_END)
        size = upload.stream.tell()
        return {"filename": secure_filename(upload.filename), "size": size}, 201, {"Cache-Control": "no-store"}

    return app
