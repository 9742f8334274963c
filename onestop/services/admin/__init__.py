"""Admin use cases by what they change: accounts, people, agencies, calendars, procedures."""
