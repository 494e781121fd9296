"""Processes a test starts beside itself: a worker, runserver, or gunicorn with the production
settings, on the test run's own database (or one the test names), listening on a free loopback
port. One place for the environment they get, the static files they serve, and starting,
waiting for and stopping them."""

import contextlib
import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parents[2]

# Settings a child must not inherit from the shell that runs the tests: each would point it at
# another database, cache, Redis, media folder, proxy or CDN than the test means.
NOT_INHERITED = (
    "DJANGO_",
    "DATABASE_URL",
    "SQLITE_PATH",
    "REDIS_URL",
    "CACHE_DIR",
    "CACHE_KEY_PREFIX",
    "PAGE_CACHE",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "VARNISH_PURGE_URL",
    "AWS_",
    "FRONTEND_CACHE_",
    "WEB_CONCURRENCY",
    "GUNICORN_",
)


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_env():
    """DATABASE_URL or SQLITE_PATH naming the database this pytest run uses (once pytest-django
    has created it), for a child process on any of the site's settings."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
        host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
        return {"DATABASE_URL": f"postgres://{user}{password}@{host}/{db['NAME']}"}
    return {"SQLITE_PATH": str(db["NAME"])}


def child_env(settings_module, database=None, **extra):
    """The environment of a child process: the shell's, less what would point it elsewhere, on
    ``settings_module`` and ``database`` (the test run's database unless given)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(NOT_INHERITED)}
    env.update(database if database is not None else test_database_env())
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    env.update({k: str(v) for k, v in extra.items()})
    return env


def production_env(folder, database=None, **extra):
    """``config.settings.production`` on loopback over plain HTTP, as ``make serve`` runs it:
    its own secret key, media and cache folders in ``folder``, the shared collected static
    files, and emails dropped (the tests that count emails run the worker in-process)."""
    folder = Path(folder)
    settings = {
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "MEDIA_ROOT": folder / "media",
        "CACHE_DIR": folder / "cache",
        "STATIC_ROOT": collected_static(),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "WEB_CONCURRENCY": 1,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    settings.update(extra)
    return child_env("config.settings.production", database, **settings)


def manage(env, *args, timeout=300):
    """Run ``manage.py`` in a child; its output is shown if it fails."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def collected_static():
    """The production static files (hashed and compressed), collected once into var/ and again
    only when a static file changes: collecting takes most of a minute, so every test server of
    every run shares them. A lock keeps two test processes from collecting at once."""
    from django.contrib.staticfiles import finders

    target = ROOT / "var" / "test-static"
    target.parent.mkdir(exist_ok=True)
    fingerprint = hashlib.sha256()
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            fingerprint.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    stamp = target / ".fingerprint"
    with open(ROOT / "var" / "test-static.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.read_text() != fingerprint.hexdigest():
            env = child_env(
                "config.settings.production",
                database={},
                SECRET_KEY="collectstatic-only",
                STATIC_ROOT=target,
            )
            manage(env, "collectstatic", "--noinput", "--clear", "-v0")
            stamp.write_text(fingerprint.hexdigest())
    return target


class RedisServer:
    """A private redis-server (a free port, no persistence; the shared Redis is never touched):
    started, stopped, frozen and thawed by the test that owns it."""

    def __init__(self, folder, port=None):
        self.folder = folder
        self.port = port or free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return self
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def client(self):
        import redis

        return redis.Redis(port=self.port, socket_timeout=2)

    def stop(self):
        """Killed outright, as a crash would."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
            self.process.wait(10)

    def freeze(self):
        """Still accepting connections (the kernel does that), never answering."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)


class Server:
    """A server process on a free loopback port; what it prints goes to a log file."""

    def __init__(self, args, env, log_path, port=None):
        self.args = args
        self.env = env
        self.log_path = Path(log_path)
        self.port = port or free_port()
        self.process = None

    @classmethod
    def gunicorn(cls, env, log_path, port=None):
        """gunicorn as ``make serve`` starts it (gunicorn.conf.py; WEB_CONCURRENCY workers)."""
        port = port or free_port()
        args = ["-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
        return cls(args, env, log_path, port)

    @classmethod
    def runserver(cls, env, log_path):
        port = free_port()
        args = ["manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        return cls(args, env, log_path, port)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=90):
        """Start it and wait until it answers HTTP; fail with its log if it stops first."""
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"the server stopped:\n{self.log()[-3000:]}")
            try:
                requests.get(self.url + "/", timeout=10)
                return self
            except requests.RequestException as error:
                if time.monotonic() > deadline:
                    self.stop()
                    log = self.log()[-3000:]
                    raise AssertionError(f"the server did not start:\n{log}") from error
                time.sleep(0.2)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@contextlib.contextmanager
def postgres_database(prefix):
    """A new, empty PostgreSQL database on the server the tests use (or on loopback), dropped
    afterwards; yields the env that points a child at it."""
    import psycopg
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user, password = db.get("USER") or "postgres", db.get("PASSWORD") or ""
        host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    else:
        user, password, host, port = "postgres", "", "127.0.0.1", 5432
    auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    server = f"postgresql://{auth}@{host}:{port}"
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": f"postgres://{auth}@{host}:{port}/{name}"}
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
