"""Theme cookie: remember the user's colour theme ("dark" or "light") in a cookie named `theme`.

POST /prefs with the JSON {"theme": "dark"} or {"theme": "light"}:
  - answer 200 with the JSON {"theme": "<theme>"} and set the cookie theme=<theme> with
    Path=/, HttpOnly, SameSite=Lax and Max-Age=2592000 (30 days);
  - for anything else (another theme, a theme that is not a string, JSON that is not an object,
    a body that is not JSON at all) answer 400 with {"error": "<a message>"} and set no cookie.

GET /prefs:
  - answer 200 with {"theme": "<theme>"}: the `theme` cookie if it is "dark" or "light", else "light".

Run it with `flask --app app run` and try:
    curl -i -X POST http://localhost:5000/prefs -H 'Content-Type: application/json' -d '{"theme": "dark"}'
"""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/prefs")
def set_prefs():
    # TODO: data = request.get_json(silent=True) gives None when the body is not JSON.
    # TODO: check that data is a dict whose "theme" is "dark" or "light"; if not, answer
    #       {"error": "..."} with status 400.
    # TODO: response = jsonify(theme=theme); response.set_cookie("theme", theme, ...); return response
    return {"error": "not implemented yet"}, 501


@app.get("/prefs")
def get_prefs():
    # TODO: read request.cookies.get("theme"); answer it if it is "dark" or "light", else "light".
    return {"error": "not implemented yet"}, 501
