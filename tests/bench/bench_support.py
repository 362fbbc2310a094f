"""Helpers shared by the benchmark scripts in this folder (standard library only)."""
import socket


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (for servers that cannot take port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    """Resident memory of process `pid` in KiB (VmRSS), 0 if it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class MotoServer:
    """A moto_server on a free loopback port, started now and stopped by its PID (`stop`)."""

    def __init__(self, ready_path="/moto-api/", start_timeout=30):
        import http.client
        import os
        import shutil
        import subprocess
        import tempfile
        import time
        self.port = free_port()
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([shutil.which("moto_server") or "moto_server", "-H", "127.0.0.1", "-p",
                                      str(self.port)], stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", ready_path)
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("moto_server did not start")

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        import os
        import signal
        import subprocess
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def parse_wrk(out):
    """Requests/s, transfer in MB/s (response bytes, decimal megabytes), p50/p99 latency (ms),
    non-2xx count, socket errors and the raw text (for counters a Lua script prints in its `done`)
    from `wrk --latency` output."""
    import re

    def latency(tag):
        m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)\s*$" % tag, out, re.M)
        if not m:
            return None
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    scale = {"B": 1 / 1e6, "KB": 1024 / 1e6, "MB": 1024 ** 2 / 1e6, "GB": 1024 ** 3 / 1e6}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(rps.group(1)) if rps else 0.0,
            "mbs": float(transfer.group(1)) * scale.get(transfer.group(2), 1) if transfer else 0.0,
            "p50": latency("50"), "p99": latency("99"),
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "errors": errors.group(1) if errors else "",
            "output": out}


def run_wrk(port, lua, threads, conns, duration, workdir, name, path="/"):
    """Runs wrk with the Lua script text `lua` against 127.0.0.1:`port`; returns parse_wrk's dict."""
    import os
    import subprocess
    script = os.path.join(workdir, name + ".lua")
    with open(script, "w") as f:
        f.write(lua)
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % duration, "--latency", "-s", script,
           "http://127.0.0.1:%d%s" % (port, path)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    return parse_wrk(p.stdout + p.stderr)
