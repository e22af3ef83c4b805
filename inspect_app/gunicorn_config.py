"""gunicorn settings (gunicorn -c python:inspect_app.gunicorn_config). One small server:
a worker per core, a few threads each, since requests mostly wait on the database's fsync."""
import multiprocessing
import os

workers = int(os.environ.get("WEB_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", 4))
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("WEB_ACCESS_LOG", "-")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def worker_exit(server, worker):
    """Log what the group writer did in this worker (bench/bench_foundation.py reads it)."""
    extensions = getattr(getattr(worker, "wsgi", None), "extensions", {})
    for (_pid, table), writer in extensions.get("group_writers", {}).items():
        if writer.batches:
            server.log.info("group commit: %d rows in %d commits (%s)", writer.rows,
                            writer.batches, table)
