"""Reference solution for theme-cookie."""

from flask import Flask, jsonify, request

app = Flask(__name__)

THEMES = ("dark", "light")
DEFAULT_THEME = "light"
THIRTY_DAYS = 30 * 24 * 60 * 60  # 2592000 seconds


@app.post("/prefs")
def set_prefs():
    data = request.get_json(silent=True)  # None when the body is not JSON
    theme = data.get("theme") if isinstance(data, dict) else None
    if theme not in THEMES:  # a tuple compares with ==, so any JSON value is safe here
        return {"error": 'send JSON like {"theme": "dark"} or {"theme": "light"}'}, 400
    response = jsonify(theme=theme)
    response.set_cookie(
        "theme", theme, max_age=THIRTY_DAYS, path="/", httponly=True, samesite="Lax"
    )
    return response


@app.get("/prefs")
def get_prefs():
    theme = request.cookies.get("theme")
    return {"theme": theme if theme in THEMES else DEFAULT_THEME}
