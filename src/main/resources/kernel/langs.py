"""Livepost's other languages: SQL, Bash and JavaScript runs under the local kernel.

The Python kernel stays the sandbox's supervisor and speaks the same protocol for every language;
a run message's "lang" picks who runs its code. Each runner has begin() (a new run: the kernel
calls it under the lock its interrupts take, so one that comes before the code starts is kept),
execute(code) -> (status, exit) (for Cells.run), interrupt() (from the commands thread) and
prepare() (starts what the language needs ahead of its first run, while the sandbox waits in a
pool).

- sql: Python's sqlite3 against /work/session.db; each statement's rows are a table display; an
  error names the line its statement starts on.
- bash: one persistent bash per session, its output written straight to the kernel's forwarded
  fds 1 and 2; variables, functions and the working folder persist; the last command's status is
  the exit code. An interrupt is SIGINT to its process group: the foreground command dies and
  a DEBUG trap makes the run's script return (extdebug), so the shell and its state survive.
- javascript: one persistent node process per session running each run in its main context with
  vm (top-level await, the last expression's value displayed, display() for values and HTML).
- java: one JShell per session in a JVM of its own sized to the sandbox (the driver's classes,
  dev.livepost.kernel, come from the server in the prepare message).

A child process gets its code on a pipe and tells the kernel on another pipe when a run is done;
neither is stdin, which stays the reader's. Standard library only.
"""

import base64
import html
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading

from cell import MAX_TEXT  # livepost: dropped when assembled

SCRATCH = "/work/.tmp/.livepost"  # /tmp: hidden from the reader's generated files
MAX_ROWS = 1000  # rows shown of one statement's result


def new_runner(lang, cells, msg):
    """The runner of a language; `msg` is the first message that names it (memory: the sandbox's
    limit in bytes; classes: for java, the driver's class files by path, base64)."""
    if lang == "sql":
        return SqlRunner(cells)
    if lang == "bash":
        return BashRunner(cells)
    if lang == "javascript":
        return NodeRunner(cells, msg.get("memory"))
    if lang == "java":
        return JavaRunner(cells, msg.get("memory"), msg.get("classes") or {})
    raise ValueError("unknown language %r" % lang)


class SqlRunner:
    """SQLite in the kernel itself; autocommit unless the code begins a transaction."""

    DB = "/work/session.db"

    def __init__(self, cells):
        self.cells = cells
        self.conn = None
        self.interrupted = False
        for suffix in ("", "-journal", "-wal", "-shm"):
            cells.ignored.add(self.DB + suffix)

    def prepare(self):
        if self.conn is None:
            self.conn = sqlite3.connect(self.DB, isolation_level=None, check_same_thread=False)
            # interrupt() stops only a statement that is running: one that lands between two
            # statements would be lost, and the next run until the time limit. The handler sees
            # the flag whenever the next one starts.
            self.conn.set_progress_handler(lambda: 1 if self.interrupted else 0, 1000)

    def interrupt(self):
        self.interrupted = True
        conn = self.conn
        if conn is not None:
            conn.interrupt()

    def begin(self):
        self.interrupted = False

    def execute(self, code):
        self.prepare()
        for line, statement in split_statements(code):
            if self.interrupted:
                return "interrupted", 130
            try:
                cursor = self.conn.execute(statement)
                if cursor.description is None:
                    continue
                columns = [d[0] for d in cursor.description]
                rows = cursor.fetchmany(MAX_ROWS + 1)
                cursor.close()
            except (sqlite3.Error, OverflowError, ValueError) as e:
                if self.interrupted:
                    return "interrupted", 130
                sys.stderr.write("Error in the statement at line %d: %s\n" % (line, e))
                return "error", 1
            more = len(rows) > MAX_ROWS
            self.cells.display_bundle(_table(columns, rows[:MAX_ROWS], more))
        return ("interrupted", 130) if self.interrupted else None


def split_statements(code):
    """(line, text) of each complete statement; a last one may lack its semicolon."""
    out = []
    start = 0
    for i, ch in enumerate(code):
        if ch == ";" and sqlite3.complete_statement(code[start : i + 1]):
            out.append((start, code[start : i + 1]))
            start = i + 1
    out.append((start, code[start:]))
    result = []
    for offset, text in out:
        first = code.count("\n", 0, offset) + 1
        # The statement's line is its first one that is neither blank nor a comment.
        for i, line in enumerate(text.split("\n")):
            body = line.strip(" \t\r;")
            if body and not body.startswith("--"):
                result.append((first + i, text))
                break
    return result


def _cell(value):
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return "x'" + value.hex() + "'"
    return str(value)


def _table(columns, rows, more):
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(c) for c in columns]
    for row in cells:
        widths = [max(w, len(v)) for w, v in zip(widths, row)]
    widths = [min(w, 60) for w in widths]

    def line(values):
        return " | ".join(v[:60].ljust(w) for v, w in zip(values, widths)).rstrip()

    text = [line(columns), "-+-".join("-" * w for w in widths)]
    text += [line(r) for r in cells]
    head = "".join("<th>%s</th>" % html.escape(c) for c in columns)
    body = "".join(
        "<tr>%s</tr>" % "".join("<td>%s</td>" % html.escape(v) for v in row) for row in cells
    )
    note = ""
    if more:
        text.append("(only the first %d rows are shown)" % MAX_ROWS)
        note = "<p>Only the first %d rows are shown.</p>" % MAX_ROWS
    elif not cells:
        text.append("(no rows)")
    plain = "\n".join(text)
    table = "<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>%s" % (head, body, note)
    if len(table) > MAX_TEXT:
        return {"text/plain": plain}
    return {"text/plain": plain, "text/html": table}


class ChildRunner:
    """A persistent child process of the sandbox: code goes to it on a pipe (fd `cmd` in the
    child), and it answers each run with JSON lines on another (fd `out`): {"display": bundle},
    {"stream": "stdout"|"stderr", "text": ...} and at the end {"status": ..., "exit": n}. Its fds 1
    and 2 are the kernel's forwarded ones, for what writes there directly (bash, its commands); a
    child that also displays values sends its own output on `out`, so both keep their order."""

    name = "?"

    def __init__(self, cells=None):
        self.cells = cells
        self.proc = None
        self.cmd = None
        self.out = None
        self.interrupted = False
        self.runs = 0  # which run is going on, or went last
        self.sent = False  # the run's code went to the child, whose answer is not in yet
        # Guards proc against an interrupt while it starts, and a run's state against an interrupt
        # that must reach the child only once its code has gone (and never the next run's).
        self.lock = threading.Lock()

    def command(self, cmd_fd, out_fd):
        raise NotImplementedError

    def env(self):
        return dict(os.environ)

    def prepare(self):
        if self.proc is not None and self.proc.poll() is None:
            return
        self.close()
        cmd_r, cmd_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            proc = subprocess.Popen(
                self.command(cmd_r, out_w),
                pass_fds=(cmd_r, out_w),
                start_new_session=True,  # its own process group, for interrupts
                env=self.env(),
                cwd="/work",
            )
        finally:
            os.close(cmd_r)
            os.close(out_w)
        with self.lock:
            self.proc = proc
        self.cmd = os.fdopen(cmd_w, "w", encoding="utf-8")
        self.out = os.fdopen(out_r, "r", encoding="utf-8", errors="replace")

    def close(self):
        for f in (self.cmd, self.out):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        self.cmd = self.out = None
        with self.lock:
            proc, self.proc = self.proc, None
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()

    def begin(self):
        with self.lock:
            self.runs += 1
            self.interrupted = False

    def interrupt(self):
        with self.lock:
            self.interrupted = True
            if self.sent:
                self.stop()

    def stop(self):
        """Stops the run in the child; called with the lock held, after its code went, at each
        interrupt (a command that took the first SIGINT may end at the next). SIGINT to the
        child's process group."""
        self._sigint()

    def _sigint(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGINT)
            except OSError:
                pass

    def send(self, code):
        raise NotImplementedError

    def execute(self, code):
        try:
            return self._execute(code)
        finally:
            with self.lock:
                self.sent = False

    def _execute(self, code):
        self.prepare()
        try:
            with self.lock:
                # An interrupt that came before the code went: the code never starts.
                if self.interrupted:
                    return "interrupted", 130
                self.send(code)
                self.sent = True
            for line in self.out:
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if "display" in msg and isinstance(msg["display"], dict):
                    self.cells.display_bundle(msg["display"])
                elif msg.get("stream") in ("stdout", "stderr"):
                    text = str(msg.get("text", ""))
                    for i in range(0, len(text), 1 << 16):
                        self.cells.hooks.output(msg["stream"], text[i : i + (1 << 16)])
                elif "status" in msg:
                    if self.interrupted:
                        return "interrupted", 130
                    status = msg["status"] if msg["status"] in ("ok", "error") else "error"
                    code_exit = int(msg.get("exit", 1)) & 0xFF
                    if status == "ok":
                        code_exit = 0
                    elif code_exit == 0:
                        code_exit = 1
                    return status, code_exit
        except (OSError, ValueError):
            pass  # the child is gone: below
        return self.gone()

    def gone(self):
        """The child exited during the run (the code ended it): reports its code, starts anew."""
        proc = self.proc
        code = proc.wait() if proc is not None else 1
        self.close()
        sys.stdout.flush()
        if code < 0:
            code = 128 - code
        sys.stderr.write(
            "%s exited with code %d; the next run starts a new one (its state is gone)\n"
            % (self.name, code)
        )
        if self.interrupted:
            return "interrupted", 130
        return ("ok", 0) if code == 0 else ("error", code & 0xFF or 1)


class BashRunner(ChildRunner):
    name = "bash"
    count = 0

    # The DEBUG trap returns 2 (simulated `return`, extdebug) only inside the sourced run file or
    # a function, so an interrupted run unwinds to this loop and the loop itself goes on.
    LOOP = r"""
__lp_two() { return 2; }
__lp_int=
trap '__lp_int=1' INT
shopt -s extdebug
set -T
trap '[[ -z $__lp_int || ${#BASH_SOURCE[@]} -eq 0 ]] || __lp_two' DEBUG
while IFS= read -r __lp_file <&"$LP_CMD"; do
  exec 0</proc/"$LP_KERNEL"/fd/0
  __lp_int=
  source "$__lp_file"
  __lp_status=$?
  printf '{"status": "%s", "exit": %d}\n' "$([[ $__lp_status == 0 ]] && echo ok || echo error)" "$__lp_status" >&"$LP_OUT"
done
"""

    def command(self, cmd_fd, out_fd):
        self.fds = (cmd_fd, out_fd)
        return ["/bin/bash", "--norc", "--noprofile", "-c", self.LOOP, "bash"]

    def env(self):
        env = dict(os.environ)
        env["LP_CMD"], env["LP_OUT"] = (str(fd) for fd in self.fds)
        env["LP_KERNEL"] = str(os.getpid())
        return env

    def send(self, code):
        BashRunner.count += 1
        os.makedirs(SCRATCH, exist_ok=True)
        path = "%s/run-%d.sh" % (SCRATCH, BashRunner.count)
        with open(path, "w", encoding="utf-8") as f:
            f.write(code if code.endswith("\n") else code + "\n")
        self.cmd.write(path + "\n")
        self.cmd.flush()


class NodeRunner(ChildRunner):
    name = "node"
    SIGINT_AFTER = 0.05  # seconds for node to answer an interrupt line before it is signalled

    def __init__(self, cells, memory_bytes):
        super().__init__(cells)
        # Node's heap within the sandbox's memory (which the cgroup or rlimit enforces anyway),
        # leaving room for the kernel and node's own native memory.
        self.heap_mb = max(64, (memory_bytes or 512 << 20) * 3 // 4 >> 20)
        self.stopped = 0  # the last run stop() was called for; guarded by the lock

    def command(self, cmd_fd, out_fd):
        return [
            "/usr/bin/node",
            "--expose-internals",  # node's own REPL helpers: acorn and the top-level await rewrite
            "--max-old-space-size=%d" % self.heap_mb,
            "--unhandled-rejections=warn",
            "-e",
            NODE_DRIVER,
            str(cmd_fd),
            str(out_fd),
        ]

    def send(self, code):
        self.cmd.write(json.dumps({"code": code, "run": self.runs}) + "\n")
        self.cmd.flush()

    def stop(self):
        """An awaited promise is rejected by a line on the command pipe, which node reads as soon
        as the run waits. Code that keeps node busy gets one SIGINT (vm's breakOnSigint ends it),
        and only if the line went unanswered: a SIGINT that lands as vm enters or leaves a run,
        where node has no handler of its own for an instant, kills node and the session's state
        with it; a run waiting on a promise is never in vm. Once a run: a repeated interrupt
        would only add a SIGINT."""
        run = self.runs
        if self.stopped == run:
            return
        self.stopped = run
        try:
            self.cmd.write(json.dumps({"interrupt": run}) + "\n")
            self.cmd.flush()
        except (OSError, ValueError):
            pass  # node is gone; the run ends with it

        def busy():
            with self.lock:
                if self.sent and self.runs == run:
                    self._sigint()

        timer = threading.Timer(self.SIGINT_AFTER, busy)
        timer.daemon = True
        timer.start()


class JavaRunner(ChildRunner):
    """JShell in one JVM (its local execution engine), sized to the sandbox: the heap is half of
    its memory, C1 only (starts faster, less memory), a heap that shrinks back after a run."""

    name = "java"
    JAVA = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"  # Thread.stop (interrupt) needs <= 19
    CLASSES = SCRATCH + "/classes"

    def __init__(self, cells, memory_bytes, classes):
        super().__init__(cells)
        self.heap_mb = max(64, (memory_bytes or 512 << 20) // 2 >> 20)
        self.classes = classes

    def command(self, cmd_fd, out_fd):
        if not os.path.exists(self.JAVA):
            raise OSError("Java is not installed (%s is missing)" % self.JAVA)
        for path, data in self.classes.items():
            target = os.path.join(self.CLASSES, path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(base64.b64decode(data))
        return [
            self.JAVA,
            "-Xmx%dm" % self.heap_mb,
            "-Xms8m",
            "-XX:MinHeapFreeRatio=10",
            "-XX:MaxHeapFreeRatio=20",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:CICompilerCount=1",
            "-XX:ReservedCodeCacheSize=32m",
            "-XX:-UsePerfData",
            "-Xss1m",
            "-Djava.io.tmpdir=/tmp",
            "-cp",
            self.CLASSES,
            "dev.livepost.kernel.JShellDriver",
            str(cmd_fd),
            str(out_fd),
        ]

    def send(self, code):
        self.cmd.write(base64.b64encode(code.encode("utf-8")).decode("ascii") + "\n")
        self.cmd.flush()


NODE_DRIVER = r"""
'use strict';
const fs = require('fs');
const net = require('net');
const vm = require('vm');
const util = require('util');
const readline = require('readline');
const { createRequire } = require('module');
const { processTopLevelAwait } = require('internal/repl/await');
const acorn = require('internal/deps/acorn/acorn/dist/acorn');
const [cmdFd, outFd] = process.argv.slice(1).map(Number);
const send = (msg) => fs.writeSync(outFd, JSON.stringify(msg) + '\n');
let count = 0; // runs in this process, for their file names
let current = 0; // the kernel's number of the run going on, or of the last one
let stopped = 0; // the last run an interrupt line named
let stop = null;

globalThis.require = createRequire('/work/');
globalThis.display = (...values) => {
  for (const v of values) send({ display: { 'text/plain': typeof v === 'string' ? v : util.inspect(v) } });
};
globalThis.display.html = (html) => send({ display: { 'text/html': String(html), 'text/plain': '[html]' } });

// Top-level let, const and class become var: a re-run may declare them again, as in a notebook.
// null when the code does not parse: vm then reports the syntax error, with its line.
function rewrite(code) {
  let ast;
  try {
    ast = acorn.parse(code, { ecmaVersion: 'latest', allowAwaitOutsideFunction: true });
  } catch {
    return null;
  }
  const edits = [];
  for (const node of ast.body) {
    if (node.type === 'VariableDeclaration' && node.kind !== 'var') {
      edits.push([node.start, node.start + node.kind.length, 'var']);
    } else if (node.type === 'ClassDeclaration' && node.id) {
      edits.push([node.start, node.start, 'var ' + node.id.name + ' = ']);
      edits.push([node.end, node.end, ';']);
    }
  }
  for (const [from, to, text] of edits.reverse()) {
    code = code.slice(0, from) + text + code.slice(to);
  }
  return code;
}

// The stack down to the first frame of node's vm or of this driver; without node's pointer into
// source that is not the reader's (JSON.parse's, say).
function stackOf(err) {
  if (!(err instanceof Error) || typeof err.stack !== 'string') {
    return 'Uncaught ' + util.inspect(err);
  }
  let lines = err.stack.split('\n');
  if (!/^run-\d+\.js:\d+$/.test(lines[0]) && lines.indexOf('') > 0 && lines.indexOf('') < 5) {
    lines = lines.slice(lines.indexOf('') + 1);
  }
  const keep = [];
  for (const line of lines) {
    if (/^\s+at /.test(line) && /node:|\[eval\]/.test(line)) break;
    keep.push(line);
  }
  return keep.join('\n');
}

// console.log and friends: through the out pipe, in order with display().
for (const name of ['stdout', 'stderr']) {
  process[name].write = (chunk, encoding, callback) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    send({ stream: name, text });
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
}

async function run(code, id) {
  current = id;
  if (stopped === id) {
    send({ status: 'error', exit: 130 });
    return;
  }
  const file = 'run-' + ++count + '.js';
  let status = 'ok';
  try {
    const rewritten = rewrite(code);
    const source = rewritten === null ? code : rewritten;
    const wrapped = rewritten === null ? null : processTopLevelAwait(source);
    const options = { filename: file, breakOnSigint: true };
    let value;
    if (wrapped === null) {
      value = vm.runInThisContext(source, options);
    } else {
      const interrupted = new Promise((_, reject) => { stop = reject; });
      const result = await Promise.race([vm.runInThisContext(wrapped, options), interrupted]);
      value = result && result.value;
    }
    if (value !== undefined) {
      globalThis._ = value;
      send({ display: { 'text/plain': util.inspect(value) } });
    }
  } catch (err) {
    status = 'error';
    process.stderr.write(stackOf(err) + '\n');
  } finally {
    stop = null;
  }
  send({ status, exit: status === 'ok' ? 0 : 1 });
}

process.on('SIGINT', () => {
  if (stop) stop(new Error('Interrupted'));
});
process.on('uncaughtException', (err) => {
  process.stderr.write(stackOf(err) + '\n');
});
// A socket, not fs.createReadStream: a read blocked in the thread pool would keep process.exit()
// from ending the process.
const lines = readline.createInterface({ input: new net.Socket({ fd: cmdFd, readable: true }) });
let queue = Promise.resolve();
lines.on('line', (line) => {
  const msg = JSON.parse(line);
  if (msg.interrupt !== undefined) {
    // Read while the run waits on a promise, or before it starts when both lines came at once.
    stopped = msg.interrupt;
    if (current === stopped && stop) stop(new Error('Interrupted'));
    return;
  }
  queue = queue.then(() => run(msg.code, msg.run));
});
lines.on('close', () => process.exit(0));
"""
