"""Data-subject requests (GDPR art. 15 and 17) and the access log (art. 5(2))."""
