"""The database plumbing: declarative base, engine settings, the reports replica session."""
