"""Staff accounts: argon2 passwords, sessions with idle logout, roles."""
