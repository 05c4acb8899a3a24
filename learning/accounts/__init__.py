"""Accounts: users, logging in and out, passwords, personal API tokens."""
