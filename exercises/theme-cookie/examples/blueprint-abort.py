# expect: full
# A Blueprint; bad input ends the request with abort(Response) carrying the JSON error.
from flask import Blueprint, Flask, abort, jsonify, request

prefs = Blueprint("prefs", __name__)
THEMES = frozenset({"dark", "light"})


def bad_request(message):
    response = jsonify(error=message)
    response.status_code = 400
    abort(response)


@prefs.post("/prefs")
def choose_theme():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        bad_request("the body must be a JSON object")
    theme = data.get("theme")
    if not isinstance(theme, str) or theme not in THEMES:
        bad_request('theme must be "dark" or "light"')
    response = jsonify({"theme": theme})
    response.set_cookie("theme", theme, max_age=2592000, path="/", httponly=True, samesite="Lax")
    return response


@prefs.get("/prefs")
def read_theme():
    theme = request.cookies.get("theme")
    return jsonify(theme=theme if theme in THEMES else "light")


app = Flask(__name__)
app.register_blueprint(prefs)
