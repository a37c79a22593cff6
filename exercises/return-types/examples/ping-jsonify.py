# expect: partial (fails: ping-returns-pong, ping-is-html)
# jsonify("pong") sends the JSON string "pong" (with the quotes) as application/json, not the text pong.
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify("pong")


@app.get("/status")
def status():
    return jsonify(ok=True, version=1)


@app.get("/teapot")
def teapot():
    return "I'm a teapot", 418, {"X-Brew": "tea"}


@app.delete("/session")
def delete_session():
    return "", 204
