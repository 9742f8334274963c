"""Notifications: the staff inbox and the citizens' messages, produced where events happen."""
