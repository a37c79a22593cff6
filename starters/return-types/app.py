"""Return types: four views, each returning a different kind of value.

- GET /ping        answers 200 with the text  pong  (a returned string is sent as text/html)
- GET /status      answers 200 with the JSON  {"ok": true, "version": 1}
- GET /teapot      answers 418 with the text  I'm a teapot  and the header  X-Brew: tea
- DELETE /session  answers 204 with an empty body

A view must always return something: a view that returns None makes Flask raise
TypeError: The view function for '...' did not return a valid response.

Run it with `flask --app app run` and try:  curl -i http://localhost:5000/teapot
"""

from flask import Flask

app = Flask(__name__)


@app.get("/ping")
def ping():
    # TODO: return the string "pong".
    return "TODO", 501


@app.get("/status")
def status():
    # TODO: return a dict; Flask sends it as JSON.
    return "TODO", 501


@app.get("/teapot")
def teapot():
    # TODO: return a tuple (body, status, headers).
    return "TODO", 501


@app.delete("/session")
def delete_session():
    # TODO: answer 204 with an empty body, e.g. the tuple ("", 204).
    return "TODO", 501
