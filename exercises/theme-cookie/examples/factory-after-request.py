# expect: full
# A create_app() factory: the view records the chosen theme in `g`; an after_request hook sets the cookie.
from flask import Flask, g, request


class InvalidTheme(Exception):
    pass


def create_app():
    app = Flask(__name__)

    @app.errorhandler(InvalidTheme)
    def invalid_theme(error):
        return {"error": str(error)}, 400

    @app.after_request
    def remember_theme(response):
        theme = g.pop("chosen_theme", None)
        if theme is not None:
            response.set_cookie(
                "theme", theme, max_age=60 * 60 * 24 * 30, path="/", httponly=True, samesite="Lax"
            )
        return response

    @app.route("/prefs", methods=["POST"])
    def choose():
        data = request.get_json(silent=True)
        theme = data.get("theme") if isinstance(data, dict) else None
        if theme not in ("dark", "light"):
            raise InvalidTheme("theme must be 'dark' or 'light'")
        g.chosen_theme = theme
        return {"theme": theme}

    @app.route("/prefs", methods=["GET"])
    def show():
        theme = request.cookies.get("theme")
        return {"theme": theme} if theme in ("dark", "light") else {"theme": "light"}

    return app
