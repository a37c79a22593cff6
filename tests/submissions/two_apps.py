from flask import Flask

admin = Flask("admin")
public = Flask("public")
