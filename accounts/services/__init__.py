"""Writes and workflows of the accounts domain, split by sub-domain (users, login, tokens, …)."""
