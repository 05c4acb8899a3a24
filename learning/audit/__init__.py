"""The audit log of admin and leader actions."""
