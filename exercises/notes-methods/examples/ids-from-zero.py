# expect: partial (fails: post-creates-note)
# Uses the list index as the id, so the first note is 0 instead of 1.
from flask import Flask, request

app = Flask(__name__)
NOTES = []


@app.route("/notes", methods=["GET", "POST"])
def notes():
    if request.method == "GET":
        return NOTES
    data = request.get_json(silent=True)
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text:
        return {"error": "bad note"}, 400
    note = {"id": len(NOTES), "text": text}
    NOTES.append(note)
    return note, 201
