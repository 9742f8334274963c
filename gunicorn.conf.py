"""gunicorn settings for onestop (read automatically from the working directory).

Workers are forked from a master that has already imported the app (preload), and the
objects alive at that point are moved out of the garbage collector's reach (gc.freeze):
the precomputed calendars, mappers and templates are never scanned again, and stay
shared copy-on-write between workers.

Worker count: ONESTOP_WORKERS, else WEB_CONCURRENCY, else 1 (config.configured_workers). In
production several workers need a shared rate-limit store (ONESTOP_RATELIMIT_STORAGE_URI=redis://…):
the app refuses to start without one, and ``on_starting`` checks again against the count gunicorn
really uses (``-w`` on the command line overrides this file). docs/operations.md §3.
"""
import gc
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # config.py lives beside this file

from config import configured_workers

bind = os.environ.get("ONESTOP_BIND", "127.0.0.1:5000")
workers = configured_workers(os.environ)
preload_app = True
graceful_timeout = 20
timeout = 60


def on_starting(server):
    """Refuse, before any worker is forked, several workers counting rate limits and the
    phone-last-4 lock each in their own memory (onestop/extensions.py)."""
    from config import CONFIGS, env_overrides
    from onestop.extensions import rate_limit_refusal

    app = getattr(server.app, "callable", None)  # the Flask app, loaded already (preload_app)
    config = getattr(app, "config", None)
    if config is None:  # --no-preload: the same settings, read as create_app reads them
        base = CONFIGS[os.environ.get("ONESTOP_ENV", "development")]
        config = {"ENV_NAME": base.ENV_NAME, "RATELIMIT_STORAGE_URI": base.RATELIMIT_STORAGE_URI,
                  **env_overrides(os.environ)}
    problem = rate_limit_refusal(env_name=str(config.get("ENV_NAME") or ""), workers=int(server.cfg.workers),
                      storage_uri=str(config.get("RATELIMIT_STORAGE_URI") or "memory://"))
    if problem:
        raise RuntimeError(problem)  # gunicorn prints "Error: …" and exits 1


def pre_fork(server, worker):
    gc.freeze()

# create_app() opens no database connection (the engine connects lazily), so nothing
# pooled is inherited across the fork.
