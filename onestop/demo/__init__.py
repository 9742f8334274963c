"""The demo province: reference data, people and months of history made through the services."""
