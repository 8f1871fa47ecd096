"""The anchor of `livepost bench`: the same workloads on a Jupyter kernel (ipykernel),
driven through jupyter_client, timed the way Livepost is timed (wall clock, client side).

Reads a JSON job from stdin: {"repeats": N, "workloads": {"name": "code", ...}}.
Prints one JSON object: {"first_output_ms": [...], "<workload>_ms": [...], "idle_pss_mib": [...]}.
"""
import json
import os
import sys
import time

from jupyter_client.manager import KernelManager


def pss_mib(pid):
    total = 0
    pids = [pid] + children(pid)
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def children(pid):
    out = []
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            for c in f.read().split():
                out.append(int(c))
                out.extend(children(int(c)))
    except OSError:
        pass
    return out


def run(kc, code, timeout=60):
    """Executes code; returns (time of first output, time of idle), perf_counter seconds."""
    msg_id = kc.execute(code)
    first = None
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if first is None and kind in ("stream", "display_data", "execute_result", "error"):
            first = time.perf_counter()
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            end = time.perf_counter()
            break
    return first or end, end


def main():
    job = json.load(sys.stdin)
    repeats = job["repeats"]
    preload = job.get("preload", "")
    result = {"first_output_ms": [], "idle_pss_mib": []}
    for name in job["workloads"]:
        result[name + "_ms"] = []

    # A new kernel's first output: what a reader waits for on the first Run of a page.
    for _ in range(repeats):
        start = time.perf_counter()
        km = KernelManager(kernel_name="python3")
        km.start_kernel(extra_arguments=["--HistoryManager.enabled=False"])
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        if preload:
            # Livepost's sandboxes come with numpy, pandas and matplotlib imported; so must the anchor.
            run(kc, preload)
        first, _ = run(kc, "print(1)")
        result["first_output_ms"].append((first - start) * 1000)
        kc.stop_channels()
        km.shutdown_kernel(now=True)

    km = KernelManager(kernel_name="python3")
    km.start_kernel(extra_arguments=["--HistoryManager.enabled=False"])
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    run(kc, preload or "pass")
    for name, code in job["workloads"].items():
        run(kc, code)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            _, end = run(kc, code)
            result[name + "_ms"].append((end - start) * 1000)
    time.sleep(0.5)
    result["idle_pss_mib"].append(pss_mib(km.provisioner.process.pid))
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    main()
