"""gunicorn settings for onestop (read automatically from the working directory).

Workers are forked from a master that has already imported the app (preload), and the
objects alive at that point are moved out of the garbage collector's reach (gc.freeze):
the precomputed calendars, mappers and templates are never scanned again, and stay
shared copy-on-write between workers.
"""
import gc
import os

bind = os.environ.get("ONESTOP_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("ONESTOP_WORKERS", "2"))
preload_app = True
graceful_timeout = 20
timeout = 60


def pre_fork(server, worker):  # noqa: ARG001 (gunicorn hook signature)
    gc.freeze()

# create_app() opens no database connection (the engine connects lazily), so nothing
# pooled is inherited across the fork.
