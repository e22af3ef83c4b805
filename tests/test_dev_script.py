"""dev.py, the README's two commands: what can be checked without installing anything."""
import importlib.util
import socket
from argparse import Namespace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dev():
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_refuses_a_port_a_worker_already_listens_on(dev):
    """gunicorn's workers listen with SO_REUSEPORT, so a second server on the same port
    would not fail by itself: dev.py run must notice."""
    with socket.socket() as worker:
        worker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        worker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        worker.bind(("0.0.0.0", 0))
        worker.listen()
        port = worker.getsockname()[1]
        assert not dev.port_is_free(port)
        with pytest.raises(SystemExit) as stopped:
            dev.run(Namespace(port=port, https=False))
        assert f"Port {port} is in use" in str(stopped.value)
    assert dev.port_is_free(port)
