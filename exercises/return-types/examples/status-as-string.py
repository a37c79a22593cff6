# expect: partial (fails: status-returns-json)
# Returns the JSON as a string: Flask sends a string as text/html, so /status is not a JSON response.
from flask import Flask

app = Flask(__name__)


@app.get("/ping")
def ping():
    return "pong"


@app.get("/status")
def status():
    return '{"ok": true, "version": 1}'


@app.get("/teapot")
def teapot():
    return "I'm a teapot", 418, {"X-Brew": "tea"}


@app.delete("/session")
def delete_session():
    return "", 204
