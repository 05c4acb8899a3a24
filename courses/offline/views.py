"""Pages: Offline group lessons recorded by leaders."""

from pathlib import Path

from flask import Blueprint

bp = Blueprint("offline", __name__, template_folder=str(Path(__file__).parents[1] / "templates"))
