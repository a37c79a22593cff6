from flask import request  # noqa: F401

greeting = "hello"
