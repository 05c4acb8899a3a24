"""Demo data for courses: a campaign course, an assignment and some progress."""


def load(logins: list) -> None:
    """Add the demo course (idempotently); may append (role, username, password) to logins."""
