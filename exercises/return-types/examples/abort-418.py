# expect: partial (fails: teapot-body, teapot-header)
# abort(418) gets the status right, but sends Flask's HTML error page and no X-Brew header.
from flask import Flask, abort

app = Flask(__name__)


@app.get("/ping")
def ping():
    return "pong"


@app.get("/status")
def status():
    return {"ok": True, "version": 1}


@app.get("/teapot")
def teapot():
    abort(418)


@app.delete("/session")
def delete_session():
    return "", 204
