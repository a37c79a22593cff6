"""Avatar upload: POST /avatar accepts an image sent as a multipart file field named `avatar`.

- png, jpg, jpeg or gif (any letter case: .PNG is fine): answer 201 with
  {"filename": secure_filename(<uploaded filename>), "size": <number of bytes uploaded>}
- no `avatar` file in the request, or an empty filename: answer 400 with {"error": "<a message>"}
- any other extension (the part after the last dot): answer 415 with {"error": "<a message>"}

You do not need to save the file.

Run it with `flask --app app run` and try:
    curl -i -F 'avatar=@My Photo.PNG' http://localhost:5000/avatar
"""

from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)

ALLOWED_EXTENSIONS = {"png", "jpg", "jpeg", "gif"}


@app.post("/avatar")
def upload_avatar():
    # TODO: file = request.files.get("avatar"); no file or file.filename == "" -> 400.
    # TODO: take the extension after the last dot, in lower case; not in ALLOWED_EXTENSIONS -> 415.
    # TODO: answer {"filename": secure_filename(file.filename), "size": len(file.read())} with 201.
    return {"error": "not implemented yet"}, 501
