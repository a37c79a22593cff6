"""Notes: GET /notes lists the notes, POST /notes creates one; PUT, DELETE and PATCH answer 405.

A note is {"id": <int>, "text": "<string>"}; keep them in the NOTES list below.

GET /notes   -> 200 and the JSON list of every note, oldest first ([] at the start)
POST /notes  with the JSON {"text": "buy milk"}
             -> 201 and the new note {"id": 1, "text": "buy milk"} (ids count 1, 2, 3...)
             -> 400 and {"error": "<a message>"} when text is missing, empty or not a string, or the
                body is not JSON (and no note is created)

Run it with `flask --app app run` and try:
    curl -X POST http://localhost:5000/notes -H 'Content-Type: application/json' -d '{"text": "buy milk"}'
    curl http://localhost:5000/notes
"""

from flask import Flask, request

app = Flask(__name__)

NOTES = []


@app.route("/notes", methods=["GET", "POST"])
def notes():
    # TODO: if request.method == "GET", answer the NOTES list.
    # TODO: for POST, data = request.get_json(silent=True) gives None when the body is not JSON;
    #       check that data is a dict whose "text" is a non-empty string, else answer 400.
    # TODO: note = {"id": len(NOTES) + 1, "text": ...}; append it; answer it with status 201.
    return {"error": "not implemented yet"}, 501
