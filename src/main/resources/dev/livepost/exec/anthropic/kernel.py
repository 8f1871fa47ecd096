"""Livepost's long-lived interpreter inside an Anthropic code execution container.

Each bash call of the code execution tool is a new process, so interpreter variables would not
survive from one run to the next. This file keeps them: `python3 lp.py serve` is a kernel that
listens on a unix socket and executes cells in one namespace; `python3 lp.py run SECONDS` reads a
cell on stdin, hands it to the kernel (starting it if needed), prints the cell's stdout and stderr,
and ends stderr with one status line that Livepost reads and removes. Standard library only.
"""
import ast
import builtins
import json
import linecache
import os
import signal
import socket
import subprocess
import sys
import time
import traceback

HOME = os.path.dirname(os.path.abspath(__file__))
SOCK = os.path.join(HOME, "kernel.sock")
PIDFILE = os.path.join(HOME, "kernel.pid")
BUSY = os.path.join(HOME, "busy")
WORK = os.environ.get("LIVEPOST_WORK") or "/tmp/work"
OUT = os.environ.get("OUTPUT_DIR") or "/tmp/outputs"
STATUS = "LIVEPOST-STATUS "
GRACE = 3.0
MAX_FILES = 10
MAX_FILE_BYTES = 16 << 20
MAX_TEXT = 200_000
MAX_OUTPUT = 2 << 20
MAX_DISPLAYS = 100
DISPLAYS = []


def read_all(conn):
    chunks = []
    while True:
        b = conn.recv(65536)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def snapshot():
    seen = {}
    for root, dirs, files in os.walk(WORK):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for f in files:
            p = os.path.join(root, f)
            try:
                st = os.stat(p)
                seen[p] = (st.st_mtime_ns, st.st_size)
            except OSError:
                pass
        if len(seen) > 2000:
            break
    return seen


def publish(path, name):
    # Files in OUT come back to Livepost as file_ids of the tool result.
    os.makedirs(OUT, exist_ok=True)
    with open(path, "rb") as src, open(os.path.join(OUT, name), "wb") as dst:
        dst.write(src.read())


def collect_files(ns, before):
    names = []
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        for i, num in enumerate(plt.get_fignums(), 1):
            name = "figure-%d.png" % i
            os.makedirs(OUT, exist_ok=True)
            plt.figure(num).savefig(os.path.join(OUT, name), format="png", bbox_inches="tight")
            names.append(name)
        plt.close("all")
    for path, stamp in snapshot().items():
        if len(names) >= MAX_FILES:
            break
        if before.get(path) == stamp or stamp[1] > MAX_FILE_BYTES:
            continue
        name = os.path.relpath(path, WORK).replace(os.sep, "_")
        try:
            publish(path, name)
            names.append(name)
        except OSError:
            pass
    return names


def rich(value):
    bundle = {"text/plain": repr(value)[:MAX_TEXT]}
    html = getattr(value, "_repr_html_", None)
    if callable(html) and not isinstance(value, type):
        try:
            h = html()
            if isinstance(h, str):
                bundle["text/html"] = h[:MAX_TEXT]
        except Exception:
            pass
    return bundle


def display(*values):
    # As in Jupyter and Livepost's local kernel: display(x) shows x as a rich value.
    for value in values:
        if len(DISPLAYS) < MAX_DISPLAYS:
            DISPLAYS.append(rich(value))


def read_capped(path):
    # More than Livepost shows anyway; keeps a runaway print loop from flooding the tool result.
    with open(path, "rb") as f:
        data = f.read(MAX_OUTPUT + 1)
    text = data[:MAX_OUTPUT].decode("utf-8", "replace")
    return text + "\n[output truncated]\n" if len(data) > MAX_OUTPUT else text


def run_cell(ns, src):
    # So that tracebacks show the reader's source lines.
    linecache.cache["<cell>"] = (len(src), None, src.splitlines(True), "<cell>")
    tree = ast.parse(src, "<cell>", "exec")
    last = None
    # As in Jupyter, a trailing semicolon hides the last value (e.g. `plt.plot(x);`).
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not src.rstrip().endswith(";"):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, "<cell>", "exec"), ns)
    if last is not None:
        value = eval(compile(last, "<cell>", "eval"), ns)
        if value is not None:
            ns["_"] = value
            display(value)


def user_traceback(e):
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    traceback.print_exception(type(e), e, tb)


def execute(ns, src):
    before = snapshot()
    out_path, err_path = os.path.join(HOME, "cell.out"), os.path.join(HOME, "cell.err")
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
        os.dup2(fo.fileno(), 1)
        os.dup2(fe.fileno(), 2)
        status, code = "ok", 0
        del DISPLAYS[:]
        try:
            run_cell(ns, src)
        except SystemExit as e:
            if e.code is None or isinstance(e.code, int):
                code = e.code or 0
            else:
                print(e.code, file=sys.stderr)
                code = 1
            status = "ok" if code == 0 else "error"
        except KeyboardInterrupt as e:
            user_traceback(e)
            status, code = "interrupted", 130
        except BaseException as e:
            user_traceback(e)
            status, code = "error", 1
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except Exception:
                pass
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
    try:
        files = collect_files(ns, before)
    except Exception:
        files = []
    out, err = read_capped(out_path), read_capped(err_path)
    return {"status": status, "exit": code, "stdout": out, "stderr": err,
            "displays": list(DISPLAYS), "files": files}


def serve():
    os.makedirs(WORK, exist_ok=True)
    os.chdir(WORK)
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.path.insert(0, WORK)
    builtins.display = display
    ns = {"__name__": "__main__", "__builtins__": builtins}
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
                try:
                    reply = execute(ns, req["code"])
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
            if any(l.startswith("State:") and "Z" in l for l in f):
                return None  # killed, not yet reaped
        return pid
    except (OSError, ValueError):
        return None


def start_kernel():
    for p in (BUSY, SOCK):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
    subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True, cwd=HOME)
    deadline = time.time() + 15
    while time.time() < deadline:
        if os.path.exists(SOCK) and kernel_pid():
            return kernel_pid()
        time.sleep(0.02)
    raise RuntimeError("the Livepost kernel did not start")


def wait_idle(seconds):
    deadline = time.time() + seconds
    while os.path.exists(BUSY) and time.time() < deadline:
        time.sleep(0.05)
    return not os.path.exists(BUSY)


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def run(timeout):
    src = sys.stdin.read()
    for f in os.listdir(OUT) if os.path.isdir(OUT) else []:
        try:
            os.unlink(os.path.join(OUT, f))
        except OSError:
            pass
    notes, started = [], False
    pid = kernel_pid()
    if pid and os.path.exists(BUSY):
        # An earlier run was abandoned (stopped by the reader, or its request timed out):
        # interrupt it like Ctrl-C before this one starts.
        os.kill(pid, signal.SIGINT)
        if not wait_idle(GRACE):
            kill(pid)
            pid = None
            notes.append("The previous run did not stop, so the interpreter was restarted: "
                         "variables were lost.")
    if pid is None:
        pid = start_kernel()
        started = True
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(SOCK)
    except OSError:
        # A stale pid file (e.g. the pid was reused after a restore): start afresh.
        if not started:
            kill(pid)
            pid = start_kernel()
            started = True
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(SOCK)
    conn.sendall(json.dumps({"code": src}).encode())
    conn.shutdown(socket.SHUT_WR)
    conn.settimeout(timeout)
    status = None
    try:
        data = read_all(conn)
    except socket.timeout:
        os.kill(pid, signal.SIGINT)
        conn.settimeout(GRACE)
        try:
            data = read_all(conn)
            status = "timeout"
        except socket.timeout:
            kill(pid)
            data = json.dumps({"status": "killed", "exit": 137, "stdout": "", "stderr": ""})
            notes.append("The code did not stop after its time limit, so the interpreter was "
                         "restarted: variables were lost.")
    reply = json.loads(data or b'{"status": "killed", "exit": 137, "stdout": "", "stderr": ""}')
    sys.stdout.write(reply.get("stdout", ""))
    sys.stdout.flush()
    sys.stderr.write(reply.get("stderr", ""))
    trailer = {"status": status or reply.get("status", "error"), "exit": reply.get("exit", 1),
               "started": started, "displays": reply.get("displays", []),
               "files": reply.get("files", []), "notes": notes}
    sys.stderr.write("\n" + STATUS + json.dumps(trailer) + "\n")
    sys.stderr.flush()
    sys.exit(reply.get("exit", 1) if isinstance(reply.get("exit"), int) else 1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve()
    else:
        run(float(sys.argv[2]) if len(sys.argv) > 2 else 30.0)
