"""Video lessons: players, the watched rule and heartbeat crediting; a sample clip for the demo."""
