"""Administration: departments, locations, services, service points, calendars, staff."""
