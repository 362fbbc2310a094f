"""Helpers shared by the fakes' integration tests (stdlib only; holds no tests itself)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cardsim_process import CardsimProcess


class Fakes:
    """A started `cardsim serve --clock virtual` with helpers for the fakes port."""

    def __init__(self, *extra):
        self.sim = CardsimProcess("--clock", "virtual", *extra).start()

    def stop(self):
        self.sim.__exit__(None, None, None)

    def call(self, method, path, body=None, headers=None, listener="fakes"):
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        data = body
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        status, h, raw = self.sim.request(method, path, data, hdrs, listener=listener)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return status, h, parsed

    def json(self, method, path, body=None, headers=None, listener="fakes"):
        status, _, parsed = self.call(method, path, body, headers, listener)
        return status, parsed

    def advance(self, duration):
        status, body = self.json("POST", "/_sim/clock", {"advance": duration})
        assert status == 200, body
        return body

    def journal(self, **query):
        qs = "&".join("%s=%s" % kv for kv in query.items())
        status, body = self.json("GET", "/_sim/journal?" + qs)
        assert status == 200, body
        return body["entries"]

    def wait_journal(self, predicate, timeout=10.0, **query):
        """Polls the journal until some entry satisfies `predicate` (remote answers arrive in real time)."""
        deadline = time.monotonic() + timeout
        while True:
            entries = self.journal(**query)
            if any(predicate(e) for e in entries):
                return entries
            if time.monotonic() > deadline:
                raise AssertionError("journal never matched: %s" % json.dumps(entries)[:2000])
            time.sleep(0.05)


class Receiver:
    """A tiny HTTP server standing in for the platform's external API: records POSTs and answers
    with the statuses of `script` in turn (then 200); `scripts[store_code]` does the same for the
    requests whose JSON body has that `store_code` (so concurrent deliveries do not interfere)."""

    def __init__(self, script=()):
        self.calls = []
        self.script = list(script)
        self.scripts = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                parsed = json.loads(body or b"{}")
                outer.calls.append((self.path, dict(self.headers), parsed))
                own = outer.scripts.get(parsed.get("store_code")) if isinstance(parsed, dict) else None
                if own:
                    status = own.pop(0)
                else:
                    status = outer.script.pop(0) if outer.script else 200
                payload = b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
