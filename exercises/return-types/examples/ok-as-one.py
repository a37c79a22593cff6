# expect: partial (fails: status-returns-json)
# {"ok": 1} is not {"ok": true}: JSON keeps numbers and booleans apart even though Python's 1 == True.
from flask import Flask

app = Flask(__name__)


@app.get("/ping")
def ping():
    return "pong"


@app.get("/status")
def status():
    return {"ok": 1, "version": 1}


@app.get("/teapot")
def teapot():
    return "I'm a teapot", 418, {"X-Brew": "tea"}


@app.delete("/session")
def delete_session():
    return "", 204
