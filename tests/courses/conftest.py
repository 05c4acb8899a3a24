"""Course tests read messages in English: the client has chosen English, as a visitor can.

The Chinese default itself is covered by tests/learning/test_i18n.py.
"""

import pytest


@pytest.fixture
def client(app):
    client = app.test_client()
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client
