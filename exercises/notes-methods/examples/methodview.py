# expect: full
# A class-based MethodView: only get() and post() exist, so Flask answers 405 to PUT, DELETE and PATCH.
# An itertools counter hands out the ids.
import itertools

from flask import Flask, jsonify, request
from flask.views import MethodView


class NoteList(MethodView):
    def __init__(self, store, ids):
        self.store = store
        self.ids = ids

    def get(self):
        return jsonify(self.store)

    def post(self):
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return jsonify(error="the body must be a JSON object"), 400
        text = payload.get("text")
        if not isinstance(text, str) or not text:
            return jsonify(error="text must be a non-empty string"), 400
        note = {"id": next(self.ids), "text": text}
        self.store.append(note)
        return jsonify(note), 201


app = Flask(__name__)
app.add_url_rule(
    "/notes", view_func=NoteList.as_view("notes", store=[], ids=itertools.count(1))
)
