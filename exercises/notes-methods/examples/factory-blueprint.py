# expect: full
# A create_app() factory registering a Blueprint with one view per method; the notes live in a dict
# keyed by id (dicts keep insertion order); bad input ends the request with abort(Response).
from flask import Blueprint, Flask, abort, current_app, jsonify, make_response, request

bp = Blueprint("notes", __name__)


def bad_request(message):
    abort(make_response(jsonify({"error": message}), 400))


@bp.get("/notes")
def list_notes():
    return list(current_app.config["NOTES"].values())


@bp.post("/notes")
def create_note():
    if not request.is_json:
        bad_request("send the note as JSON")
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or "text" not in data:
        bad_request('expected {"text": "..."}')
    text = data["text"]
    if type(text) is not str or len(text) == 0:
        bad_request("text must be a non-empty string")
    store = current_app.config["NOTES"]
    note_id = max(store, default=0) + 1
    store[note_id] = {"id": note_id, "text": text}
    return make_response(jsonify(store[note_id]), 201, {"Location": f"/notes/{note_id}"})


def create_app():
    app = Flask(__name__)
    app.config["NOTES"] = {}
    app.register_blueprint(bp)
    return app
