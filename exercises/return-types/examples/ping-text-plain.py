# expect: partial (fails: ping-is-html)
# Sends pong as text/plain; the statement asks for what Flask sends for a returned string, text/html.
from flask import Flask, Response

app = Flask(__name__)


@app.get("/ping")
def ping():
    return Response("pong", mimetype="text/plain")


@app.get("/status")
def status():
    return {"ok": True, "version": 1}


@app.get("/teapot")
def teapot():
    return "I'm a teapot", 418, {"X-Brew": "tea"}


@app.delete("/session")
def delete_session():
    return "", 204
