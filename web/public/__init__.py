"""The visitors' pages: online booking in five steps, confirmation, the visit's page and
cancellation."""
