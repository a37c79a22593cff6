# expect: full
# A create_app() factory: the view returns a dict; after_request hooks add the headers to every
# response, using Werkzeug's response.vary set (which may already hold other entries).
from flask import Flask, request


def create_app():
    app = Flask(__name__)

    @app.route("/whoami", methods=["GET"])
    def whoami():
        ua = request.user_agent.string if "User-Agent" in request.headers else None
        return {"user_agent": ua, "mobile": bool(ua) and "mobile" in ua.casefold()}

    @app.after_request
    def add_vary(response):
        response.vary.add("Accept-Encoding")
        response.vary.add("User-Agent")
        return response

    @app.after_request
    def echo_request_id(response):
        if "X-Request-Id" in request.headers:
            response.headers["X-Request-Id"] = request.headers["X-Request-Id"]
        return response

    return app
