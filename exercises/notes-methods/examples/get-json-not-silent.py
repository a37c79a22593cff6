# expect: partial (fails: rejects-non-json-body)
# request.get_json() without silent=True: a body that is not JSON gets Flask's own HTML 400 or 415
# page instead of the JSON error.
from flask import Flask, jsonify, request

app = Flask(__name__)
NOTES = []


@app.get("/notes")
def list_notes():
    return jsonify(NOTES)


@app.post("/notes")
def create_note():
    data = request.get_json()
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text:
        return jsonify(error="bad note"), 400
    NOTES.append({"id": len(NOTES) + 1, "text": text})
    return jsonify(NOTES[-1]), 201
