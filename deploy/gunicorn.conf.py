"""gunicorn settings for coordinator: gunicorn -c deploy/gunicorn.conf.py wsgi:app"""

import multiprocessing
import os

bind = os.environ.get("COORDINATOR_BIND", "127.0.0.1:8000")
# Sync workers: requests are short database reads and writes; scale by processes.
workers = int(os.environ.get("COORDINATOR_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 2
# A worker is replaced after this many requests (a guard against slow leaks); 0 turns it off. The page benchmark
# turns it off: at thousands of requests a second it would restart each worker every second.
max_requests = int(os.environ.get("COORDINATOR_MAX_REQUESTS", 2000))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
# nginx sets X-Forwarded-For/Proto; trust it only from the local proxy.
forwarded_allow_ips = os.environ.get("COORDINATOR_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips


def post_worker_init(worker):
    """Once the app is loaded, move everything it allocated (modules, templates, SQLAlchemy's mappers) out of the
    garbage collector's view: a full collection then walks only what requests create, instead of pausing a request
    for tens of milliseconds now and then."""
    import gc

    gc.collect()
    gc.freeze()
