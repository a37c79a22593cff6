from flask import Flask
import requests_that_do_not_exist  # noqa: F401

app = Flask(__name__)
