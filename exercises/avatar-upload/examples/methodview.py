# expect: full
# A class-based MethodView with only post(), registered with add_url_rule; the bytes are read in chunks.
from flask import Flask, jsonify, request
from flask.views import MethodView
from werkzeug.utils import secure_filename

ALLOWED = frozenset({"png", "jpg", "jpeg", "gif"})


def allowed_file(filename):
    return "." in filename and filename.rsplit(".", 1)[1].lower() in ALLOWED


class AvatarUpload(MethodView):
    def post(self):
        file = request.files.get("avatar")
        if not file or not file.filename:
            return jsonify(error="missing avatar file"), 400
        if not allowed_file(file.filename):
            return jsonify(error="wrong file type"), 415
        size = 0
        while chunk := file.stream.read(4096):
            size += len(chunk)
        return jsonify(filename=secure_filename(file.filename), size=size), 201


app = Flask(__name__)
app.add_url_rule("/avatar", view_func=AvatarUpload.as_view("avatar"))
