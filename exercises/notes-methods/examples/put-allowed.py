# expect: partial (fails: other-methods-405)
# Also accepts PUT (replacing the whole list) and DELETE (clearing it), where the statement asks for 405.
from flask import Flask, request

app = Flask(__name__)
NOTES = []


@app.route("/notes", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def notes():
    if request.method == "GET":
        return NOTES
    if request.method == "DELETE":
        NOTES.clear()
        return "", 204
    data = request.get_json(silent=True)
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text:
        return {"error": "bad note"}, 400
    if request.method in ("PUT", "PATCH"):
        NOTES.clear()
    note = {"id": len(NOTES) + 1, "text": text}
    NOTES.append(note)
    return note, 201 if request.method == "POST" else 200
