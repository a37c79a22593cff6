# expect: full
# A Blueprint; os.path.splitext for the extension; errors end the request with abort(Response);
# make_response(jsonify(...), 201) for the success.
import os

from flask import Blueprint, Flask, abort, jsonify, make_response, request
from werkzeug.utils import secure_filename

avatars = Blueprint("avatars", __name__)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif")


def refuse(status, message):
    abort(make_response(jsonify(error=message), status))


@avatars.route("/avatar", methods=["POST"])
def upload():
    if "avatar" not in request.files:
        refuse(400, "no file in the field `avatar`")
    avatar = request.files["avatar"]
    if not avatar.filename:
        refuse(400, "no file was chosen")
    _, ext = os.path.splitext(avatar.filename)
    if ext.lower() not in IMAGE_EXTENSIONS:
        refuse(415, f"{ext or 'no extension'} is not an image type we accept")
    data = avatar.read()
    return make_response(jsonify(filename=secure_filename(avatar.filename), size=len(data)), 201)


app = Flask(__name__)
app.register_blueprint(avatars)
