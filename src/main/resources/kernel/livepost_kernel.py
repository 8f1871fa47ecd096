"""Livepost's in-sandbox kernel: runs code blocks in one persistent namespace.

Protocol (one JSON object per line):
  server -> kernel, on stdin:   {"type": "run", "id": "...", "code": "..."}, {"type": "interrupt"}
  kernel -> server, on a private fd (a dup of the original stdout):
      ready | stdout {text} | stderr {text} | display {mime} | file {name, mime, data(base64)}
      | notice {message} | done {id, status: ok|error|interrupted}

User code cannot forge protocol messages: fds 1 and 2 are pipes that the kernel reads and
forwards as JSON payloads, so even a printed look-alike line is just stdout text. C-level
writes and child processes' output go through the same pipes.
"""

import ast
import base64
import builtins
import codecs
import fcntl
import io
import json
import linecache
import os
import queue
import select
import signal
import struct
import sys
import termios
import threading
import time
import traceback

WORK = "/work"
MAX_FILES_PER_RUN = 20
MAX_DISPLAY = 1 << 20


class Channel:
    """The private protocol fd; writes from several threads are serialized."""

    def __init__(self, fd):
        self._out = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        self._lock = threading.Lock()

    def send(self, **msg):
        line = json.dumps(msg, ensure_ascii=False) + "\n"
        with self._lock:
            self._out.write(line)
            self._out.flush()


class PipeForwarder:
    """Owns one of fds 1/2: a pipe whose read end is forwarded as stdout/stderr messages."""

    def __init__(self, channel, target_fd, kind):
        self.channel = channel
        self.kind = kind
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, target_fd)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        self.fd = read_fd
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        # Held while data is moved from the pipe to the channel, so drain() can tell that
        # everything written so far has been forwarded.
        self.lock = threading.Lock()
        threading.Thread(target=self._loop, name="fwd-" + kind, daemon=True).start()

    def _loop(self):
        while True:
            select.select([self.fd], [], [])
            with self.lock:
                self._forward()

    def _forward(self):
        chunks = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            if not data:
                break
            chunks.append(data)
            if sum(map(len, chunks)) >= 1 << 16:
                break
        text = self.decoder.decode(b"".join(chunks))
        if text:
            self.channel.send(type=self.kind, text=text)

    def drain(self):
        """Forwards what is in the pipe; returns once it is empty, or after 0.2 s of a writer
        that does not stop (a background process must not hold the run open)."""
        deadline = time.monotonic() + 0.2
        while True:
            with self.lock:
                self._forward()
                if _pending(self.fd) == 0 or time.monotonic() > deadline:
                    return


def _pending(fd):
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


class Kernel:
    def __init__(self, max_file_bytes):
        self.max_file_bytes = max_file_bytes
        sys.stdout.flush()
        self.channel = Channel(os.dup(1))
        self.log = os.fdopen(os.dup(2), "w")
        devnull = os.open(os.devnull, os.O_RDONLY)
        self.commands = os.fdopen(os.dup(0), "r", encoding="utf-8")
        os.dup2(devnull, 0)  # user code reading stdin gets EOF, not our commands
        self.forwarders = [
            PipeForwarder(self.channel, 1, "stdout"),
            PipeForwarder(self.channel, 2, "stderr"),
        ]
        # Line-buffered: every printed line reaches the reader at once.
        sys.stdout = io.TextIOWrapper(
            io.FileIO(1, "w", closefd=False),
            encoding="utf-8",
            errors="backslashreplace",
            line_buffering=True,
        )
        sys.stderr = io.TextIOWrapper(
            io.FileIO(2, "w", closefd=False),
            encoding="utf-8",
            errors="backslashreplace",
            line_buffering=True,
        )
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        builtins.display = self.display
        self.queue = queue.Queue()
        self.running = False
        self.cell = 0
        self.plt = None

    def preload(self):
        """Imports the heavy libraries once, so a run does not pay for them."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            import numpy  # noqa: F401
            import pandas  # noqa: F401

            fig = plt.figure()  # builds the font cache now rather than in the first run
            fig.savefig(io.BytesIO(), format="png")
            plt.close("all")
            plt.show = self.show_figures
            self.plt = plt
        except Exception:  # a missing optional library only costs its features
            traceback.print_exc(file=self.log)

    def read_commands(self):
        for line in self.commands:
            msg = json.loads(line)
            if msg.get("type") == "interrupt":
                if self.running:
                    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            else:
                self.queue.put(msg)
        os._exit(0)  # the server went away

    def on_sigint(self, signum, frame):
        # Only user code is interrupted; a late signal must not break the kernel's own work.
        if self.running:
            raise KeyboardInterrupt

    def serve(self):
        signal.signal(signal.SIGINT, self.on_sigint)
        threading.Thread(target=self.read_commands, name="commands", daemon=True).start()
        self.channel.send(type="ready")
        while True:
            try:
                msg = self.queue.get()
                if msg.get("type") == "run":
                    self.run(msg["id"], msg["code"])
            except KeyboardInterrupt:
                pass  # an interrupt that arrived just after a run ended

    def run(self, run_id, code):
        before = snapshot()
        status = "ok"
        self.running = True
        try:
            try:
                self.execute(code)
            finally:
                self.running = False
        except KeyboardInterrupt:
            status = "interrupted"
            print("KeyboardInterrupt", file=sys.stderr)
        except SystemExit as e:
            if e.code not in (None, 0):
                status = "error"
                print("SystemExit: %s" % e.code, file=sys.stderr)
        except BaseException as e:
            status = "error"
            self.print_user_traceback(e)
        for step in (self.show_figures, lambda: self.send_changed_files(before), self.flush):
            try:
                step()
            except Exception:
                traceback.print_exc(file=sys.stderr)
        self.channel.send(type="done", id=run_id, status=status)

    def execute(self, code):
        self.cell += 1
        name = "<cell-%d>" % self.cell
        linecache.cache[name] = (len(code), None, code.splitlines(True), name)
        tree = ast.parse(code, name)
        last = None
        # As in Jupyter, a trailing semicolon hides the last value (e.g. `plt.plot(x);`).
        if tree.body and isinstance(tree.body[-1], ast.Expr) and not code.rstrip().endswith(";"):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, name, "exec"), self.namespace)
        if last is not None:
            value = eval(compile(last, name, "eval"), self.namespace)
            if value is not None:
                builtins._ = value
                self.display(value)

    def print_user_traceback(self, e):
        tb = e.__traceback__
        # Drop the kernel's own frames: the user's start at their cell.
        while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell-"):
            tb = tb.tb_next
        sys.stderr.write("".join(traceback.format_exception(type(e), e, tb)))

    def display(self, *values):
        self.flush()
        for value in values:
            mime = {"text/plain": _capped(repr(value))}
            html = getattr(value, "_repr_html_", None)
            if callable(html) and not isinstance(value, type):
                try:
                    rendered = html()
                    if isinstance(rendered, str):
                        mime["text/html"] = _capped(rendered)
                except Exception:
                    pass
            self.channel.send(type="display", mime=mime)

    def show_figures(self, *args, **kwargs):
        plt = self.plt
        if plt is None:
            return
        for num in plt.get_fignums():
            buf = io.BytesIO()
            plt.figure(num).savefig(buf, format="png")
            self.send_file("figure-%d.png" % num, "image/png", buf.getvalue())
        plt.close("all")

    def send_changed_files(self, before):
        after = snapshot()
        changed = [p for p, key in sorted(after.items()) if before.get(p) != key]
        if len(changed) > MAX_FILES_PER_RUN:
            self.flush()
            self.channel.send(
                type="notice",
                message="%d files changed in /work; only the first %d are sent."
                % (len(changed), MAX_FILES_PER_RUN),
            )
        for path in changed[:MAX_FILES_PER_RUN]:
            size = after[path][1]
            name = os.path.relpath(path, WORK)
            if size > self.max_file_bytes:
                self.send_file(name, None, None, size)
                continue
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                with os.fdopen(fd, "rb") as f:
                    data = f.read(self.max_file_bytes + 1)
            except OSError:
                continue
            self.send_file(name, None, data[: self.max_file_bytes])

    def send_file(self, name, mime, data, size=None):
        self.flush()
        if data is None:
            self.channel.send(type="file", name=name, mime=mime, data=None, size=size)
        else:
            encoded = base64.b64encode(data).decode("ascii")
            self.channel.send(type="file", name=name, mime=mime, data=encoded, size=len(data))

    def flush(self):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        for forwarder in self.forwarders:
            forwarder.drain()


def _capped(text):
    """A rich value's text, at most MAX_DISPLAY characters (the server caps output anyway)."""
    if len(text) <= MAX_DISPLAY:
        return text
    return text[:MAX_DISPLAY] + "..."


def snapshot():
    """Regular files under /work by path, keyed by (mtime, size, inode); never follows links."""
    found = {}
    stack = [WORK]
    while stack and len(found) < 10000:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif entry.is_file(follow_symlinks=False):
                found[entry.path] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return found


def main():
    max_file_bytes = int(sys.argv[1]) if len(sys.argv) > 1 else 16 << 20
    kernel = Kernel(max_file_bytes)
    kernel.preload()
    kernel.serve()


if __name__ == "__main__":
    main()
