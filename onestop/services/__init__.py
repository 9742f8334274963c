"""Use cases: (session, ..., actor, now) -> mutate -> flush. Never commit, never read
the request, current_user or the clock; the caller (view, job, CLI) commits once."""
