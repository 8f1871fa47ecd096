"""Livepost's local kernel: the cell core behind a JSON-lines pipe, inside a bubblewrap sandbox.

Protocol (one JSON object per line):
  server -> kernel, on stdin:   {"type": "run", "id": "...", "code": "...", "lang": "..."}
                                (lang: python when absent, else sql, bash, javascript or java;
                                see langs.py), {"type": "prepare", "lang": "...", "memory":
                                bytes, "classes": {...}} (starts what a language needs before
                                its first run; classes: java's driver),
                                {"type": "interrupt", "id": "..."} (stops that run, even when it
                                has not started yet; without an id, the current run),
                                {"type": "stdin", "id": "...", "text": "..."} | {..., "eof": true}
                                (standard input for that run; ignored for any other run)
  kernel -> server, on a channel fd (a dup of the original stdout):
      ready | started {id} | stdout {text} | stderr {text} | display {mime} | input {prompt}
      | file {name, mime, data(base64)|null, size} | notice {message}
      | done {id, status: ok|error|interrupted, exit}

Fds 1 and 2 are pipes that the kernel reads and forwards as stdout/stderr payloads, so what user
code prints, C-level writes and child processes' output included, is just text, even a printed
line that looks like a message. But the channel is only an fd of this same process: user code runs
here, can find it (/proc/self/fd, or this module's objects) and write well-formed messages to it,
forged done, file, notice or display messages included. The server must treat every message as
untrusted input from the reader's code.

Standard input (fd 0) is a pipe the kernel writes what the reader types into. `input {prompt}`
says the code waits for it: sent when Python code reads sys.stdin (input(), readline()) and the
pipe is empty, or when another process of the sandbox is found blocked reading that pipe (checked
every 0.1 s during a run), once per wait. EOF closes the pipe until the next run; input left over
at the end of a run is dropped.

Run with the maximum file size in bytes as the only argument.
"""

import base64
import builtins
import codecs
import functools
import fcntl
import io
import json
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

from cell import Cells, flush_std_streams  # livepost: dropped when assembled
from langs import new_runner  # livepost: dropped when assembled

WORK = "/work"


class Channel:
    """The protocol fd; writes from several threads are serialized, each message whole."""

    def __init__(self, fd):
        self._out = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        self._lock = threading.Lock()

    def send(self, **msg):
        line = json.dumps(msg, ensure_ascii=False) + "\n"
        # An interrupt must not land inside a write to a full pipe: a KeyboardInterrupt there
        # leaves half a line, and the server ends a sandbox that breaks its protocol. SIGINT stays
        # pending until the line is whole.
        main = threading.current_thread() is threading.main_thread()
        if main:
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
        try:
            with self._lock:
                self._out.write(line)
                self._out.flush()
        finally:
            if main:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])


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

    @staticmethod
    def start(forwarders):
        """One thread forwards every pipe: each thread of a sandbox is woken twice a run just to
        be frozen and thawed, and a waking thread costs most in a sandbox that ran long ago."""

        def loop():
            by_fd = {f.fd: f for f in forwarders}
            while True:
                ready, _, _ = select.select(list(by_fd), [], [])
                for fd in ready:
                    with by_fd[fd].lock:
                        by_fd[fd]._forward()

        threading.Thread(target=loop, name="forward", daemon=True).start()

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


# read(2), readv(2), pread64(2) by architecture: a process blocked in one of these on fd 0 waits
# for the reader (see /proc/PID/syscall).
_READ_SYSCALLS = {"x86_64": {"0", "19", "17"}, "aarch64": {"63", "65", "67"}}.get(os.uname().machine, set())


class StdinRaw(io.FileIO):
    """fd 0 for sys.stdin: asks the reader for input before a read that would block."""

    def __init__(self, stdin):
        super().__init__(0, "r", closefd=False)
        self.stdin = stdin

    # FileIO's C methods do not call each other: each read path asks on its own.
    def readinto(self, b):
        self.stdin.wants_input()
        return super().readinto(b)

    def read(self, size=-1):
        if size is None or size < 0:
            return self.readall()
        self.stdin.wants_input()
        return super().read(size)

    def readall(self):
        chunks = []
        while True:
            chunk = self.read(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


class Stdin:
    """The reader's standard input: a pipe on fd 0 whose write end only the kernel holds (not
    inherited, so closing it is an EOF also for child processes). Thread-safe."""

    def __init__(self, channel, hooks):
        self.channel = channel
        self.hooks = hooks
        self.lock = threading.Lock()
        self.writer = None
        self.link = None
        self.asked = False  # an input message was sent and no text or EOF came since
        self.prompt = ""
        self.in_run = threading.Event()  # set by the kernel while a run goes on
        self.open_pipe()

    def open_pipe(self):
        read_fd, write_fd = os.pipe()
        os.dup2(read_fd, 0)
        os.close(read_fd)
        os.set_blocking(write_fd, False)
        self.writer = write_fd
        self.link = os.readlink("/proc/self/fd/0")

    def reset(self):
        """Before a run: a fresh pipe after an EOF, and nothing left over from the last run."""
        with self.lock:
            if self.writer is None:
                self.open_pipe()
            pending = _pending(0)
            if pending:
                os.set_blocking(0, False)
                try:
                    while os.read(0, 65536):
                        pass
                except BlockingIOError:
                    pass
                finally:
                    os.set_blocking(0, True)
            self.asked = False
            self.prompt = ""

    def feed(self, text=None, eof=False):
        with self.lock:
            self.asked = False
            if self.writer is None:
                return
            if text:
                try:
                    os.write(self.writer, text.encode("utf-8"))
                except (BlockingIOError, BrokenPipeError):
                    pass  # the server caps a run's input below the pipe's size
            if eof:
                os.close(self.writer)
                self.writer = None

    def wants_input(self, prompt=None):
        """Tells the server the code waits for input, unless input is there or was asked for."""
        with self.lock:
            if self.asked or self.writer is None or _pending(0) > 0:
                return
            self.asked = True
            prompt = self.prompt if prompt is None else prompt
        self.hooks.flush()  # the prompt and everything printed before it come first
        self.channel.send(type="input", prompt=prompt)

    def watch(self, running):
        """Runs in a thread: notices other processes blocked reading the pipe. Looks only while
        a run goes on (`in_run`): an idle sandbox that is not frozen wakes for nothing, and 1000
        such sandboxes waking ten times a second took both cores of the development machine."""
        me = str(os.getpid())
        while True:
            self.in_run.wait()
            time.sleep(0.1)
            if not running() or self.asked or self.writer is None or not _READ_SYSCALLS:
                continue
            try:
                if _pending(0) > 0:
                    continue
                pids = [p for p in os.listdir("/proc") if p.isdigit() and p != me]
            except OSError:
                continue
            for pid in pids:
                if self._blocked_on_stdin(pid):
                    self.wants_input("")
                    break

    def _blocked_on_stdin(self, pid):
        try:
            if os.readlink("/proc/%s/fd/0" % pid) != self.link:
                return False
            with open("/proc/%s/syscall" % pid) as f:
                fields = f.read().split()
        except OSError:
            return False
        return len(fields) > 1 and fields[0] in _READ_SYSCALLS and fields[1] == "0x0"


class PipeHooks:
    """The cell core's hooks: everything goes to the channel, after the output written so far."""

    def __init__(self, channel, forwarders):
        self.channel = channel
        self.forwarders = forwarders

    def display(self, bundle):
        self.channel.send(type="display", mime=bundle)

    def file(self, name, mime, data, size):
        encoded = None if data is None else base64.b64encode(data).decode("ascii")
        self.channel.send(type="file", name=name, mime=mime, data=encoded, size=size)

    def notice(self, message):
        self.channel.send(type="notice", message=message)

    def output(self, kind, text):
        """stdout or stderr text another language's runner got on its own pipe."""
        self.flush()
        self.channel.send(type=kind, text=text)

    def flush(self):
        flush_std_streams()
        for forwarder in self.forwarders:
            forwarder.drain()


class PipeKernel:
    def __init__(self, max_file_bytes):
        sys.stdout.flush()
        self.channel = Channel(os.dup(1))
        self.log = os.fdopen(os.dup(2), "w")
        self.commands = os.fdopen(os.dup(0), "r", encoding="utf-8")
        forwarders = [
            PipeForwarder(self.channel, 1, "stdout"),
            PipeForwarder(self.channel, 2, "stderr"),
        ]
        PipeForwarder.start(forwarders)
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
        hooks = PipeHooks(self.channel, forwarders)
        # User code reading stdin gets what the reader types, never our commands.
        self.stdin = Stdin(self.channel, hooks)
        self.new_sys_stdin()
        original_input = builtins.input

        @functools.wraps(original_input)
        def input_with_prompt(prompt=""):
            self.stdin.prompt = str(prompt)
            try:
                return original_input(prompt)
            finally:
                self.stdin.prompt = ""

        builtins.input = input_with_prompt
        self.cells = Cells(hooks, WORK, max_file_bytes)
        self.queue = queue.Queue()
        # Which run is where, so an interrupt reaches the run it names. Guarded by lock.
        self.lock = threading.Lock()
        self.queued = []
        self.current_id = None
        self.stop_id = None  # the run to stop, also before it starts
        self.runners = {}  # language -> its runner (langs.py), made on first use
        self.runner = None  # the current run's, when not Python

    def runner_for(self, msg):
        """The runner of the message's language; None for Python, which Cells runs itself."""
        lang = msg.get("lang") or "python"
        if lang == "python":
            return None
        if lang not in self.runners:
            self.runners[lang] = new_runner(lang, self.cells, msg)
        return self.runners[lang]

    def new_sys_stdin(self):
        """A fresh sys.stdin (no text buffered from an earlier run) that asks before it blocks."""
        sys.stdin = io.TextIOWrapper(io.BufferedReader(StdinRaw(self.stdin)), encoding="utf-8")

    def read_commands(self):
        for line in self.commands:
            msg = json.loads(line)
            if msg.get("type") == "interrupt":
                self.interrupt(msg.get("id"))
            elif msg.get("type") == "stdin":
                with self.lock:
                    current = msg.get("id") == self.current_id
                if current:
                    self.stdin.feed(msg.get("text"), bool(msg.get("eof")))
            else:
                with self.lock:
                    if msg.get("type") == "run":
                        self.queued.append(msg.get("id"))
                self.queue.put(msg)
        os._exit(0)  # the server went away

    def interrupt(self, run_id):
        with self.lock:
            if run_id is None:
                run_id = self.current_id
            # The run named may not have started yet (its command is still queued): it stops as
            # soon as it starts. One that already ended is not interrupted.
            if run_id is None or (run_id != self.current_id and run_id not in self.queued):
                return
            self.stop_id = run_id
            if self.cells.running and run_id == self.current_id:
                if self.runner is not None:
                    self.runner.interrupt()
                else:
                    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    def rehearse(self):
        """Runs nothing once before `ready`, and forgets it: a sandbox's first run would
        otherwise pay for the first touches of a run's code paths (in a forked sandbox, copies of
        the zygote's pages), and a pooled sandbox pays for them before any reader waits."""
        try:
            self.stdin.reset()
            self.new_sys_stdin()
            self.cells.run("None")
        except Exception:  # only a cost, moved to the first run
            traceback.print_exc(file=self.log)
        self.cells.forget_runs()

    def serve(self):
        signal.signal(signal.SIGINT, self.cells.on_sigint)
        threading.Thread(target=self.read_commands, name="commands", daemon=True).start()
        threading.Thread(
            target=self.stdin.watch, args=(lambda: self.cells.running,), name="stdin", daemon=True
        ).start()
        self.rehearse()
        self.channel.send(type="ready")
        while True:
            try:
                msg = self.queue.get()
                if msg.get("type") == "prepare":
                    try:
                        self.runner_for(msg).prepare()
                    except Exception:  # the first run says why, to the reader
                        traceback.print_exc(file=self.log)
                if msg.get("type") == "run":
                    run_id = msg["id"]
                    with self.lock:
                        if run_id in self.queued:
                            self.queued.remove(run_id)
                        self.current_id = run_id
                    self.stdin.reset()
                    self.new_sys_stdin()
                    runner = self.runner_for(msg)
                    with self.lock:
                        self.runner = runner
                        if runner is not None:
                            runner.begin()
                    self.channel.send(type="started", id=run_id)
                    self.stdin.in_run.set()
                    try:
                        status, code = self.cells.run(
                            msg["code"],
                            lambda: self.stop_id == run_id,
                            execute=None if runner is None else runner.execute,
                        )
                    finally:
                        self.stdin.in_run.clear()
                    with self.lock:
                        self.current_id = self.stop_id = None
                        self.runner = None
                    self.channel.send(type="done", id=run_id, status=status, exit=code)
            except KeyboardInterrupt:
                pass  # an interrupt that arrived just after a run ended


def main():
    max_file_bytes = int(sys.argv[1]) if len(sys.argv) > 1 else 16 << 20
    kernel = PipeKernel(max_file_bytes)
    kernel.cells.preload(kernel.log)
    kernel.serve()


if __name__ == "__main__":
    main()
