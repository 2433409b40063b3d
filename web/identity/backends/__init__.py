"""Sign-in backends: each answers "who is this?" the same way (local passwords in
web/identity/signin.py, the directory in ldap.py)."""
