# expect: partial (fails: teapot-status-418)
# A (body, headers) tuple has no status, so the teapot answers 200 OK instead of 418.
from flask import Flask

app = Flask(__name__)


@app.get("/ping")
def ping():
    return "pong"


@app.get("/status")
def status():
    return {"ok": True, "version": 1}


@app.get("/teapot")
def teapot():
    return "I'm a teapot", {"X-Brew": "tea"}


@app.delete("/session")
def delete_session():
    return "", 204
