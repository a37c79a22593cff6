# expect: partial (fails: rejected-post-creates-nothing)
# Takes the next id from a counter before validating the body, so every rejected POST uses up an id:
# after a few bad requests the next note is not the next number.
from flask import Flask, jsonify, request

app = Flask(__name__)
notes = []
last_id = 0


@app.route("/notes", methods=["GET", "POST"])
def handle_notes():
    global last_id
    if request.method == "GET":
        return jsonify(notes)
    last_id += 1
    data = request.get_json(silent=True) or {}
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text:
        return jsonify(error="text must be a non-empty string"), 400
    notes.append({"id": last_id, "text": text})
    return jsonify(notes[-1]), 201
