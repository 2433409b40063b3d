"""Notifications to visitors and staff: e-mail over SMTP, SMS through one gateway interface."""
