"""Accounts: users and roles, permissions, invitations, 2FA, passkeys, JWT, security events."""
