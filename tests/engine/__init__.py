"""Tests of the pure numeric engine (never touch the database)."""
