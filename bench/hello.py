"""The baseline: a bare Flask app that answers "hello".

Served by the same gunicorn command line as the real app (see run.sh), so the
ratio answer/hello measures what the app itself costs on top of Flask + gunicorn."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
