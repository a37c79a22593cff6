"""Reference solution for return-types: each view returns a different kind of value."""

from flask import Flask

app = Flask(__name__)


@app.get("/ping")
def ping():
    return "pong"  # a string: 200, text/html


@app.get("/status")
def status():
    return {"ok": True, "version": 1}  # a dict: 200, sent as JSON


@app.get("/teapot")
def teapot():
    return "I'm a teapot", 418, {"X-Brew": "tea"}  # (body, status, headers)


@app.delete("/session")
def delete_session():
    return "", 204  # a view must return something, even when the answer has no body
