"""Writes and workflows of the strategies app."""
