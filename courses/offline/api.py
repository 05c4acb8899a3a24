"""API: Offline group lessons recorded by leaders."""

from learning.api import api_blueprint

blp = api_blueprint("api_offline", __name__, "Offline group lessons")
