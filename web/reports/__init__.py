"""Queue statistics and reports for managers, computed from the hubs' events."""
