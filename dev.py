#!/usr/bin/env python3
"""Set up and run Campus Inspect with nothing but python3.

    python3 dev.py run     # virtual environment, packages, database, translations, demo
                           # school, then serve on the local network
    python3 dev.py test    # the same setup plus test tools, then every test

Uses only the standard library, so it works before anything is installed.
"""
import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
# Debian packages the project needs: a CJK font for label sheets; for the tests poppler and
# librsvg to rasterise label PDFs and SVGs, and Chromium for the browser tests.
APT_RUN = ["fonts-wqy-microhei"]
APT_TEST = ["fonts-wqy-microhei", "poppler-utils", "librsvg2-bin", "chromium"]


def say(text):
    print(f"\033[1m==> {text}\033[0m", flush=True)


def sh(*args, **kwargs):
    kwargs.setdefault("cwd", ROOT)
    return subprocess.run([str(a) for a in args], check=True, **kwargs)


def ensure_venv(extras):
    """Create .venv and install the project (again only when pyproject.toml changed)."""
    if not PY.exists():
        say("creating the virtual environment in .venv")
        sh(sys.executable, "-m", "venv", VENV)
    spec = f".[{extras}]" if extras else "."
    stamp = VENV / f".installed-{extras or 'app'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        say(f"installing packages ({spec})")
        sh(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        sh(PY, "-m", "pip", "install", "--quiet", "-e", spec)
        stamp.write_text(digest)


def ensure_apt(packages, required):
    """Install missing Debian packages when we may (root with apt-get); else explain."""
    missing = [p for p in packages if not _has_deb(p)]
    if not missing:
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say(f"installing Debian packages: {' '.join(missing)}")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sh("apt-get", "update", "-qq", env=env)
        sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)
        return
    message = f"please install these system packages: {' '.join(missing)}"
    if required:
        sys.exit(f"dev.py: {message}")
    print(f"dev.py: note: {message}", file=sys.stderr)


def _has_deb(package):
    if not shutil.which("dpkg-query"):
        return True  # not Debian: the tests say what is missing
    result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                            capture_output=True, text=True)
    return result.stdout.strip().endswith("installed")


def flask(*args, env=None):
    return sh(BIN / "flask", "--app", "inspect_app", *args, env=env)


def compile_translations():
    say("compiling translations")
    sh(BIN / "pybabel", "compile", "-d", ROOT / "translations", stdout=subprocess.DEVNULL)


def lan_address():
    """This machine's address on the local network (no packet is sent to find it)."""
    if shutil.which("hostname"):
        result = subprocess.run(["hostname", "-I"], capture_output=True, text=True)
        for address in result.stdout.split():
            if "." in address and not address.startswith("127."):
                return address
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = info[4][0]
            if not address.startswith("127."):
                return address
    except OSError:
        pass
    return "127.0.0.1"


def port_is_free(port):
    """True when nothing listens on the port. gunicorn's workers share their port with any
    other server that also asks for SO_REUSEPORT (see gunicorn_config.py), so a second copy
    of the app started by mistake would not fail by itself: this check makes it fail."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed one may linger
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def run(args):
    if not port_is_free(args.port):
        sys.exit(f"Port {args.port} is in use (is Campus Inspect already running?). "
                 f"Stop it, or choose another: python3 dev.py run --port 8001")
    ensure_venv("")
    ensure_apt(APT_RUN, required=False)
    compile_translations()
    address = lan_address()
    scheme = "https" if args.https else "http"
    base_url = os.environ.get("INSPECT_BASE_URL") or f"{scheme}://{address}:{args.port}"
    env = dict(os.environ, INSPECT_BASE_URL=base_url)
    if args.https:
        env["INSPECT_COOKIE_SECURE"] = "true"
    say("updating the database")
    flask("db", "upgrade", env=env)
    say("loading the demo school")
    flask("demo", env=env)
    print(f"\n  Campus Inspect: {base_url}/   (on this computer: {scheme}://127.0.0.1:{args.port}/)")
    print("  Open it on a phone on the same Wi-Fi. Demo sign-ins (password demo1234):")
    print("    admin (logistics manager) · guard · guard2 · staff (repair) · teacher\n", flush=True)
    command = [BIN / "gunicorn", "-c", "python:inspect_app.gunicorn_config",
               "--bind", f"0.0.0.0:{args.port}", "inspect_app.wsgi:app"]
    if args.https:
        cert, key = self_signed_certificate(address)
        command += ["--certfile", cert, "--keyfile", key]
    os.execve(str(command[0]), [str(c) for c in command], env)


def self_signed_certificate(address):
    """A certificate for a trial over HTTPS on the LAN (phones will warn once)."""
    folder = ROOT / "instance" / "tls"
    folder.mkdir(parents=True, exist_ok=True)
    cert, key, made_for = folder / "cert.pem", folder / "key.pem", folder / "address"
    # A new LAN address (another Wi-Fi) needs a new certificate naming it.
    if not cert.exists() or not made_for.exists() or made_for.read_text() != address:
        say("making a self-signed certificate for the HTTPS trial")
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365",
           "-subj", "/CN=campus-inspect", "-keyout", key, "-out", cert,
           "-addext", f"subjectAltName=IP:{address},IP:127.0.0.1,DNS:localhost")
        made_for.write_text(address)
    return str(cert), str(key)


def test(args):
    ensure_venv("test")
    ensure_apt(APT_TEST, required=bool(os.environ.get("CI")))
    compile_translations()
    say("running every test")
    env = dict(os.environ)
    result = subprocess.run([str(PY), "-m", "pytest", *args.pytest_args], cwd=ROOT, env=env)
    sys.exit(result.returncode)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="set up and serve the demo school")
    run_parser.add_argument("--port", type=int, default=8000)
    run_parser.add_argument("--https", action="store_true",
                            help="serve a trial over HTTPS with a self-signed certificate")
    test_parser = sub.add_parser("test", help="set up and run every test")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    {"run": run, "test": test}[args.command](args)


if __name__ == "__main__":
    main()
