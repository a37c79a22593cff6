# expect: partial (fails: delete-session-204)
# The DELETE view clears the session but never returns: Flask raises TypeError ("did not return a valid
# response"), because even an empty 204 answer has to be returned.
from flask import Flask, jsonify

app = Flask(__name__)
sessions = {"alice": "token"}


@app.route("/ping")
def ping():
    return "pong"


@app.route("/status")
def status():
    return jsonify({"ok": True, "version": 1})


@app.route("/teapot")
def teapot():
    return "I'm a teapot", 418, {"X-Brew": "tea"}


@app.route("/session", methods=["DELETE"])
def delete_session():
    sessions.clear()
