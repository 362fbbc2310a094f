"""Starts and stops a real `cardsim serve` for integration tests (stdlib only).

The server binds loopback on free ports (port 0), is stopped by PID, never by name.
"""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

BIN = os.environ.get("CARDSIM_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "cardsim"))

LISTEN_LINE = re.compile(r"^listening (\w+) ([\d.]+):(\d+)$")


class CardsimProcess:
    """A running `cardsim serve`; use as a context manager."""

    def __init__(self, *extra_args, data_dir=None, ephemeral=True, start_timeout=10.0):
        self.extra_args = list(extra_args)
        self.data_dir = data_dir
        self.ephemeral = ephemeral and data_dir is None
        self.start_timeout = start_timeout
        self.proc = None
        self.ports = {}
        self._log = tempfile.TemporaryFile()

    def start(self):
        args = [BIN, "serve", "--bind", "127.0.0.1", "--aws-port", "0", "--platform-port", "0",
                "--fakes-port", "0", "--log-level", "warn"]
        if self.ephemeral:
            args.append("--ephemeral")
        if self.data_dir:
            args += ["--data-dir", self.data_dir]
        args += self.extra_args
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._log, text=True)
        deadline = time.monotonic() + self.start_timeout
        while len(self.ports) < 3:
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("cardsim did not start: " + self.stderr())
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait(5)
                raise RuntimeError("cardsim exited with %s: %s" % (self.proc.returncode, self.stderr()))
            m = LISTEN_LINE.match(line.strip())
            if m:
                self.ports[m.group(1)] = int(m.group(3))
        return self

    def stderr(self):
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def url(self, listener="aws"):
        return "127.0.0.1", self.ports[listener]

    def request(self, method, path, body=None, headers=None, listener="aws"):
        """One request on a fresh connection; returns (status, headers dict lower-cased, body bytes)."""
        host, port = self.url(listener)
        conn = http.client.HTTPConnection(host, port, timeout=10)
        try:
            data = body
            if isinstance(body, (dict, list)):
                data = json.dumps(body).encode()
            conn.request(method, path, body=data, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def json(self, method, path, body=None, listener="aws"):
        status, headers, data = self.request(method, path, body, listener=listener)
        return status, json.loads(data) if data else None

    def signal(self, signo=signal.SIGTERM):
        os.kill(self.proc.pid, signo)

    def wait(self, timeout):
        return self.proc.wait(timeout)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self._log.close()


def raw_exchange(port, payload, timeout=5.0):
    """Sends raw bytes, returns everything the server sends until it closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        chunks = []
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
        except socket.timeout:
            pass
        return b"".join(chunks)


def run_cli(*args, timeout=10):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)
