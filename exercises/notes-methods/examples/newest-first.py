# expect: partial (fails: get-lists-in-order)
# Inserts each new note at the front, so GET /notes lists the newest first instead of the oldest first;
# rejected POSTs still create nothing.
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
        return {"error": "text must be a non-empty string"}, 400
    note = {"id": len(NOTES) + 1, "text": text}
    NOTES.insert(0, note)
    return note, 201
