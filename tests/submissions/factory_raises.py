from flask import Flask


def create_app():
    app = Flask(__name__)
    raise ValueError("database URL missing")
    return app
