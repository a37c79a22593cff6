# expect: partial (fails: rejected-post-creates-nothing)
# Appends the note first and removes it again only when the text is invalid; but a body that is not a
# JSON object leaves a note {"id": n, "text": null} behind, so the list and the ids are off.
from flask import Flask, request

app = Flask(__name__)
NOTES = []


@app.route("/notes", methods=["GET", "POST"])
def notes():
    if request.method == "GET":
        return NOTES
    data = request.get_json(silent=True)
    note = {"id": len(NOTES) + 1, "text": None}
    NOTES.append(note)
    if not isinstance(data, dict):
        return {"error": "send a JSON object"}, 400
    text = data.get("text")
    if not isinstance(text, str) or not text:
        NOTES.pop()
        return {"error": "text must be a non-empty string"}, 400
    note["text"] = text
    return note, 201
