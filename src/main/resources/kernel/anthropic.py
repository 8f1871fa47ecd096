"""Livepost's kernel inside an Anthropic code execution container: the cell core on a socket.

Each bash call of the code execution tool is a new process, so interpreter variables would not
survive from one run to the next. This script keeps them: `python3 lp.py serve` is a kernel that
listens on a unix socket and runs cells in one namespace; `python3 lp.py run SECONDS warm|fresh`
reads a cell on stdin, hands it to the kernel, prints the cell's stdout and stderr, and ends
stderr with one line `LIVEPOST-STATUS {json}` that Livepost reads and removes:
  {"status": "ok|error|timeout|interrupted|killed|not_run", "exit": int,
   "lost": null|"restarted"|"timeout", "displays": [bundle...], "files": [names...]}
`warm` expects the interpreter of earlier runs: when there is none (or an abandoned run ignored
SIGINT for the grace time and the kernel was killed), a fresh kernel is started, the cell is not
run, and the status is not_run, lost "restarted". `fresh` starts the kernel if needed and runs
the cell. A cell past its time limit is interrupted (status timeout); one that ignores that for
the grace time is killed with its kernel, a fresh kernel is started (status killed, lost
"timeout"). A kernel that dies during the cell is replaced (status killed, lost "restarted").
Files the cell creates and figures go to the OUTPUT_DIR of the bash call that runs the cell (read
per run and sent to the kernel with the cell: the container hands back as file ids only what a
command wrote there, and the folder's name is the container's to choose). Standard library only;
LIVEPOST_HOME and LIVEPOST_WORK override the folders.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

from cell import Cells, flush_std_streams  # livepost: dropped when assembled

HOME = os.environ.get("LIVEPOST_HOME") or os.path.dirname(os.path.abspath(__file__))
SOCK = os.path.join(HOME, "kernel.sock")
PIDFILE = os.path.join(HOME, "kernel.pid")
BUSY = os.path.join(HOME, "busy")
WORK = os.environ.get("LIVEPOST_WORK") or "/tmp/work"
OUT = os.environ.get("OUTPUT_DIR") or "/tmp/outputs"
STATUS = "LIVEPOST-STATUS "
GRACE = 3.0
MAX_FILE_BYTES = 16 << 20
MAX_OUTPUT = 2 << 20


class ReplyHooks:
    """The cell core's hooks: displays and file names are collected for the reply."""

    def __init__(self):
        self.displays = []
        self.files = []
        self.out = OUT

    def display(self, bundle):
        self.displays.append(bundle)

    def file(self, name, mime, data, size):
        flat = name.replace(os.sep, "_")
        if data is None:
            self.notice("%s (%d bytes) is too large to send." % (name, size))
            return
        # Files in the run's OUTPUT_DIR come back to Livepost as file ids of the tool result.
        os.makedirs(self.out, exist_ok=True)
        with open(os.path.join(self.out, flat), "wb") as f:
            f.write(data)
        self.files.append(flat)

    def notice(self, message):
        # The status line has no place for prose: a notice is part of the cell's stderr.
        print("livepost: " + message, file=sys.stderr)

    def flush(self):
        flush_std_streams()


def read_all(conn):
    chunks = []
    while True:
        b = conn.recv(65536)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def read_capped(path):
    # More than Livepost shows anyway; keeps a runaway print loop from flooding the tool result.
    with open(path, "rb") as f:
        data = f.read(MAX_OUTPUT + 1)
    text = data[:MAX_OUTPUT].decode("utf-8", "replace")
    return text + "\n[output truncated]\n" if len(data) > MAX_OUTPUT else text


def execute(cells, hooks, src):
    out_path, err_path = os.path.join(HOME, "cell.out"), os.path.join(HOME, "cell.err")
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    hooks.displays, hooks.files = [], []
    with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
        os.dup2(fo.fileno(), 1)
        os.dup2(fe.fileno(), 2)
        try:
            status, code = cells.run(src)
        finally:
            hooks.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
    return {
        "status": status,
        "exit": code,
        "stdout": read_capped(out_path),
        "stderr": read_capped(err_path),
        "displays": hooks.displays,
        "files": hooks.files,
    }


def serve():
    os.makedirs(WORK, exist_ok=True)
    os.chdir(WORK)
    sys.path.insert(0, WORK)
    hooks = ReplyHooks()
    cells = Cells(hooks, WORK, MAX_FILE_BYTES)
    signal.signal(signal.SIGINT, cells.on_sigint)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        os.unlink(SOCK)
    except FileNotFoundError:
        pass
    srv.bind(SOCK)
    srv.listen(8)
    with open(PIDFILE, "w") as f:
        f.write(str(os.getpid()))
    while True:
        try:
            conn, _ = srv.accept()
            with conn:
                req = json.loads(read_all(conn))
                open(BUSY, "w").close()
                hooks.out = req.get("out") or OUT
                try:
                    reply = execute(cells, hooks, req["code"])
                finally:
                    os.unlink(BUSY)
                conn.sendall(json.dumps(reply).encode())
        except (KeyboardInterrupt, OSError, ValueError):
            # A late interrupt, or a client that went away: keep serving.
            continue


def kernel_pid():
    try:
        with open(PIDFILE) as f:
            pid = int(f.read().strip())
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if os.path.basename(__file__).encode() not in f.read():
                return None  # the pid now belongs to another process
        with open("/proc/%d/status" % pid) as f:
            if any(line.startswith("State:") and "Z" in line for line in f):
                return None  # killed, not yet reaped
        return pid
    except (OSError, ValueError):
        return None


def start_kernel():
    for p in (BUSY, SOCK, PIDFILE):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
    subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "serve"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=HOME,
    )
    deadline = time.time() + 15
    while time.time() < deadline:
        pid = kernel_pid()
        if pid and os.path.exists(SOCK):
            return pid
        time.sleep(0.02)
    raise RuntimeError("the Livepost kernel did not start")


def wait_idle(seconds):
    deadline = time.time() + seconds
    while os.path.exists(BUSY) and time.time() < deadline:
        time.sleep(0.05)
    return not os.path.exists(BUSY)


def kill(pid):
    # The kernel leads its own session: its group holds the processes the cells started.
    for send in (os.killpg, os.kill):
        try:
            send(pid, signal.SIGKILL)
            return
        except OSError:
            pass


def connect():
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(SOCK)
        return conn
    except OSError:
        conn.close()
        return None


def finish(reply, lost):
    sys.stdout.write(reply.get("stdout", ""))
    sys.stdout.flush()
    sys.stderr.write(reply.get("stderr", ""))
    code = reply.get("exit") if isinstance(reply.get("exit"), int) else 1
    trailer = {
        "status": reply.get("status", "error"),
        "exit": code,
        "lost": lost,
        "displays": reply.get("displays", []),
        "files": reply.get("files", []),
    }
    sys.stderr.write("\n" + STATUS + json.dumps(trailer) + "\n")
    sys.stderr.flush()
    sys.exit(code)


def run(timeout, warm):
    src = sys.stdin.read()
    for f in os.listdir(OUT) if os.path.isdir(OUT) else []:
        try:
            os.unlink(os.path.join(OUT, f))
        except OSError:
            pass
    pid = kernel_pid()
    if pid and os.path.exists(BUSY):
        # An earlier run was abandoned (stopped by the reader, or its request timed out):
        # interrupt it like Ctrl-C before this one starts.
        os.kill(pid, signal.SIGINT)
        if not wait_idle(GRACE):
            kill(pid)
            pid = None
    conn = connect() if pid else None
    if conn is None:
        # No kernel, or a stale pid file (e.g. the pid was reused after a restore).
        if pid:
            kill(pid)
        pid = start_kernel()
        if warm:
            finish({"status": "not_run", "exit": 0}, "restarted")
        conn = connect()
    conn.sendall(json.dumps({"code": src, "out": OUT}).encode())
    conn.shutdown(socket.SHUT_WR)
    conn.settimeout(timeout)
    timed_out, lost = False, None
    try:
        data = read_all(conn)
    except socket.timeout:
        timed_out = True
        os.kill(pid, signal.SIGINT)
        conn.settimeout(GRACE)
        try:
            data = read_all(conn)
        except socket.timeout:
            data, lost = b"", "timeout"
    if not data:
        # Killed past the grace time, or the kernel died in the cell (os._exit, out of memory):
        # its variables are gone, and a fresh kernel waits for the next run.
        kill(pid)
        lost = lost or "restarted"
        try:
            start_kernel()
        except RuntimeError:
            pass
        finish({"status": "killed", "exit": 137}, lost)
    reply = json.loads(data)
    if timed_out:
        reply["status"] = "timeout"
    finish(reply, None)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve()
    else:
        run(
            float(sys.argv[2]) if len(sys.argv) > 2 else 30.0,
            (sys.argv[3] if len(sys.argv) > 3 else "warm") != "fresh",
        )
