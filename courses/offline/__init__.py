"""Offline group lessons recorded by leaders."""
