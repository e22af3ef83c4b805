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
# Each worker listens on its own socket and the kernel spreads new connections evenly over
# them. With one shared socket the first worker to wake takes most of them, and a burst
# of phones (or a load test) could leave a core idle for as long as they stay connected.
reuse_port = True
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None  # empty: no access log
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def worker_exit(server, worker):
    """Log what the group writer did in this worker (bench/bench_foundation.py reads it),
    then close its connection."""
    app = getattr(worker, "wsgi", None)
    writers = getattr(app, "extensions", {}).get("group_writers", {})
    for (_pid, table), writer in writers.items():
        if writer.batches:
            server.log.info("group commit: %d rows in %d commits (%s)", writer.rows,
                            writer.batches, table)
    if writers:
        from inspect_app.group_commit import close_writers

        close_writers(app)
