# expect: partial (fails: rejects-bad-text)
# Checks that text is a string but not that it is non-empty, so {"text": ""} creates an empty note.
from flask import Flask, request

app = Flask(__name__)
NOTES = []


@app.route("/notes", methods=["GET", "POST"])
def notes():
    if request.method == "GET":
        return NOTES
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return {"error": "bad note"}, 400
    note = {"id": len(NOTES) + 1, "text": data["text"]}
    NOTES.append(note)
    return note, 201
