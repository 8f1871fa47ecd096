"""Timing for `livepost bench`: the same workloads on Livepost (over its HTTP API and event
stream) and on a Jupyter kernel (ipykernel, over ZMQ through jupyter_client), both timed by wall
clock from this one Python process, so neither side gets a faster or slower client than the other.

Reads a JSON job from stdin:
  {"repeats": N, "warmup": N, "preload": "code", "workloads": {"name": "code", ...},
   "livepost": {"url": "http://127.0.0.1:PORT", "artifact": "SLUG/ID", "pause": seconds}}
Prints {"livepost": {...}, "jupyter": {...}}, each {"first_output_ms": [...], "<name>_ms": [...]},
and for Jupyter also "idle_pss_mib".
"""
import http.client
import json
import sys
import time
import urllib.parse

from jupyter_client.manager import KernelManager


class Livepost:
    """One keep-alive HTTP connection, as a browser tab would hold."""

    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)

    def _json(self, method, path, body=None):
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                          headers={"Content-Type": "application/json"})
        r = self.conn.getresponse()
        data = r.read()
        return r.status, json.loads(data) if data else None

    def create(self, artifact):
        status, body = self._json("POST", "/api/sessions", {"artifact": artifact})
        if status != 201:
            raise RuntimeError(f"POST /api/sessions answered {status}: {body}")
        return body["session"]

    def delete(self, token):
        self._json("DELETE", f"/api/sessions/{token}")

    def run(self, token, code):
        """Returns (time of first output event, time of done), perf_counter seconds."""
        self.conn.request("POST", f"/api/sessions/{token}/runs", body=json.dumps({"code": code}),
                          headers={"Content-Type": "application/json", "Accept": "text/event-stream"})
        r = self.conn.getresponse()
        if r.status != 200:
            raise RuntimeError(f"run answered {r.status}: {r.read()!r}")
        first = None
        event = None
        while True:
            line = r.readline()
            if not line:
                raise RuntimeError("the event stream ended without done")
            line = line.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                now = time.perf_counter()
                if first is None and event in ("stdout", "stderr", "display", "file"):
                    first = now
                if event in ("done", "error"):
                    data = json.loads(line[6:])
                    if data.get("status") != "ok":
                        raise RuntimeError(f"bench run ended {data}: {code!r}")
                    r.read()  # the rest of the chunked body, so the connection can be reused
                    return first or now, now


class Jupyter:
    def __init__(self):
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(extra_arguments=["--HistoryManager.enabled=False"])
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def run(self, code, timeout=60):
        """Returns (time of first output, time of idle), perf_counter seconds."""
        msg_id = self.kc.execute(code)
        first = None
        while True:
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "error":
                raise RuntimeError(f"bench run failed on Jupyter: {code!r}")
            if first is None and kind in ("stream", "display_data", "execute_result"):
                first = time.perf_counter()
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                end = time.perf_counter()
                return first or end, end

    def pss_mib(self):
        return pss_kib(self.km.provisioner.process.pid) / 1024

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def pss_kib(pid):
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            total += sum(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            total += sum(pss_kib(int(c)) for c in f.read().split())
    except OSError:
        pass
    return total


def warm_runs(run, job):
    """Median-ready samples of each workload on a warm session: request to end of run."""
    out = {}
    run(job["preload"])
    for name, code in job["workloads"].items():
        for _ in range(job["warmup"]):
            run(code)
        samples = []
        for _ in range(job["repeats"]):
            start = time.perf_counter()
            _, end = run(code)
            samples.append((end - start) * 1000)
        out[name + "_ms"] = samples
    return out


def bench_livepost(job):
    cfg = job["livepost"]
    lp = Livepost(cfg["url"])
    firsts = []
    for _ in range(job["repeats"]):
        # What a reader waits for on a page's first Run: a new session, then its first output.
        start = time.perf_counter()
        token = lp.create(cfg["artifact"])
        first, _ = lp.run(token, "print(1)")
        firsts.append((first - start) * 1000)
        lp.delete(token)
        time.sleep(cfg["pause"])  # readers arrive apart; the pool refills meanwhile
    token = lp.create(cfg["artifact"])
    result = {"first_output_ms": firsts, **warm_runs(lambda code: lp.run(token, code), job)}
    lp.delete(token)
    return result


def bench_jupyter(job):
    firsts = []
    for _ in range(job["repeats"]):
        start = time.perf_counter()
        k = Jupyter()
        # Livepost's sandboxes come with numpy, pandas and matplotlib imported; so must the anchor.
        k.run(job["preload"])
        first, _ = k.run("print(1)")
        firsts.append((first - start) * 1000)
        k.close()
    k = Jupyter()
    result = {"first_output_ms": firsts, **warm_runs(k.run, job)}
    time.sleep(0.5)
    result["idle_pss_mib"] = [k.pss_mib()]
    k.close()
    return result


def main():
    job = json.load(sys.stdin)
    json.dump({"livepost": bench_livepost(job), "jupyter": bench_jupyter(job)}, sys.stdout)


if __name__ == "__main__":
    main()
