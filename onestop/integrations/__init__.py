"""The outside world behind small interfaces (docs/architecture.md §1): the national portal client, its
local fake and the outbox that feeds it."""
