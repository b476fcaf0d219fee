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
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# nginx sets X-Forwarded-For/Proto; trust it only from the local proxy.
forwarded_allow_ips = os.environ.get("COORDINATOR_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
