"""Reference solution for notes-methods."""

from flask import Flask, request

app = Flask(__name__)

NOTES = []  # lives as long as the app's process; the checks start each one from a fresh app


@app.route("/notes", methods=["GET", "POST"])  # any other method gets 405 from Flask
def notes():
    if request.method == "GET":
        return NOTES  # Flask answers a list as JSON

    data = request.get_json(silent=True)  # None when the body is not JSON
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or text == "":
        return {"error": 'send JSON like {"text": "buy milk"} with a non-empty string'}, 400
    note = {"id": len(NOTES) + 1, "text": text}
    NOTES.append(note)
    return note, 201
