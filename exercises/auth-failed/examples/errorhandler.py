# expect: full
# A create_app() factory: the view aborts with 401 and an errorhandler shapes every 401 response.
from flask import Flask, abort, jsonify
from werkzeug.datastructures import WWWAuthenticate


def create_app():
    app = Flask(__name__)

    @app.route("/error")
    def custom_error():
        abort(401)

    @app.errorhandler(401)
    def unauthorized(error):
        response = jsonify(msg="Auth Failed")
        response.status_code = 401
        response.www_authenticate = WWWAuthenticate("basic", {"realm": "Login Required"})
        return response

    return app
