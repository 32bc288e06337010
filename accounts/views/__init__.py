"""Pages of the accounts app: sign-in (allauth underneath), the account page, invitations, users."""
