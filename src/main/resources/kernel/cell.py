"""Livepost's Python cell core: what a run of a code block means, shared by both kernels.

One namespace across runs; each run is a cell named <cell-1>, <cell-2>, ... whose source stays in
linecache, so a traceback into a function defined by an earlier run shows that run's line. The
last expression is displayed (a trailing `;` hides it) and kept as `_`; `display(*values)` is a
builtin. Figures of matplotlib (Agg backend) are sent as figure-N.png when `plt.show()` is called
and at the end of the run; files that the run creates or changes under the working folder are
sent too, without ever following a symbolic link.

The core knows nothing of its transport: it talks to it through a hooks object with four methods,
display(bundle), file(name, mime, data, size), notice(message), flush(). `file` gets data=None
and the size when a file is larger than the kernel may send. This file is self-contained; a
transport (local.py, anthropic.py) is appended to it to make one script (see KernelScripts.java).
Standard library only; numpy, pandas and matplotlib are used when present.
"""

import ast
import builtins
import importlib.machinery
import io
import linecache
import os
import stat
import sys
import traceback

# One set of caps for both kernels.
MAX_TEXT = 256 << 10  # characters of one MIME entry: a quarter of the run's output limit
MAX_DISPLAYS = 100  # displayed values per run
MAX_DISPLAY_CHARS = 1 << 20  # characters of a run's displayed values (the server counts them too)
MAX_FILES = 20  # files per run: figures first, then new or changed files
MAX_WALK = 10_000  # directory entries looked at when listing the working folder


class Cells:
    """Runs code blocks in one namespace. Not thread-safe: runs happen one at a time."""

    def __init__(self, hooks, work, max_file_bytes):
        self.hooks = hooks
        self.work = work
        self.max_file_bytes = max_file_bytes
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.sources = {}
        self.count = 0
        self.running = False
        self.plt = None
        # Files the working folder holds for the kernel itself (a SQL session's database): never
        # sent as generated files.
        self.ignored = set()
        self.reset_budget()
        builtins.display = self.display
        os.environ["MPLBACKEND"] = "Agg"
        if "matplotlib.pyplot" in sys.modules:
            self.patch_pyplot(sys.modules["matplotlib.pyplot"])
        else:
            sys.meta_path.insert(0, _PyplotWatch(self.patch_pyplot))

    def reset_budget(self):
        self.displays = 0
        self.display_chars = 0
        self.files = 0
        self.figures = 0
        self.display_noticed = False

    def preload(self, log):
        """Imports the heavy libraries once, so that a run does not pay for them."""
        try:
            import matplotlib.pyplot as plt
            import numpy  # noqa: F401
            import pandas  # noqa: F401

            fig = plt.figure()  # builds the font cache now rather than in the first run
            fig.savefig(io.BytesIO(), format="png")
            plt.close("all")
        except Exception:  # a missing optional library only costs its features
            traceback.print_exc(file=log)

    def patch_pyplot(self, plt):
        self.plt = plt

        # A function, not a bound method: pyplot sets attributes (__signature__) on its show.
        def show(*args, **kwargs):
            self.show_figures()

        plt.show = show

    def on_sigint(self, signum, frame):
        # Only user code is interrupted; a late signal must not break the kernel's own work.
        if self.running:
            raise KeyboardInterrupt

    def run(self, code, stopped=lambda: False, execute=None):
        """Runs one cell; returns (status, exit): ok 0, error n, or interrupted 130.

        `stopped()` tells whether the run was interrupted before it started: an interrupt that
        arrives while `running` is still False sends no signal, so it is asked once it is True.
        `execute(code)`, when given, runs the code instead of Python (another language, see
        langs.py): it prints its own errors and returns (status, exit), or None for ok."""
        before = self.snapshot()
        self.reset_budget()
        status, code_exit = "ok", 0
        try:
            try:
                self.running = True
                if stopped():
                    raise KeyboardInterrupt
                if execute is None:
                    self.execute(code)
                else:
                    status, code_exit = execute(code) or (status, code_exit)
            finally:
                self.running = False
        except SystemExit as e:
            if e.code is None or e.code == 0:
                pass
            elif isinstance(e.code, int):
                status, code_exit = "error", e.code
            else:
                print(e.code, file=sys.stderr)
                status, code_exit = "error", 1
        except KeyboardInterrupt as e:
            if execute is None:
                self.print_traceback(e)
            status, code_exit = "interrupted", 130
        except BaseException as e:
            self.print_traceback(e)
            status, code_exit = "error", 1
        for step in (self.show_figures, lambda: self.send_changed_files(before)):
            try:
                step()
            except Exception:
                traceback.print_exc(file=sys.stderr)
        self.hooks.flush()
        return status, code_exit

    def forget_runs(self):
        """As before the first run: the next cell is <cell-1> again."""
        for name in self.sources:
            linecache.cache.pop(name, None)
        self.sources.clear()
        self.count = 0

    def execute(self, code):
        self.count += 1
        name = "<cell-%d>" % self.count
        self.sources[name] = (len(code), None, code.splitlines(True), name)
        linecache.cache[name] = self.sources[name]
        tree = ast.parse(code, name)
        last = None
        # As in Jupyter, a trailing semicolon hides the last value (e.g. `plt.plot(x);`).
        if tree.body and isinstance(tree.body[-1], ast.Expr) and not code.rstrip().endswith(";"):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, name, "exec"), self.namespace)
        if last is not None:
            value = eval(compile(last, name, "eval"), self.namespace)
            if value is not None:
                self.namespace["_"] = value
                self.display(value)

    def print_traceback(self, e):
        # User code may have cleared linecache; the cells' lines must still show.
        linecache.cache.update(self.sources)
        tb = e.__traceback__
        # Drop the kernel's own frames: the user's start at their cell.
        while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell-"):
            tb = tb.tb_next
        # And the kernel's frames at the end, such as the SIGINT handler that raised.
        last, t = None, tb
        while t is not None:
            if t.tb_frame.f_code.co_filename != __file__:
                last = t
            t = t.tb_next
        if last is not None:
            last.tb_next = None
        sys.stderr.write("".join(traceback.format_exception(type(e), e, tb)))

    def display(self, *values):
        for value in values:
            # Past the caps only a notice is sent; one value is always shown whole.
            if self.displays >= MAX_DISPLAYS or self.display_chars >= MAX_DISPLAY_CHARS:
                self.over_display_cap()
                continue
            bundle = _bundle(value)
            self.displays += 1
            self.display_chars += sum(map(len, bundle.values()))
            self.hooks.flush()
            self.hooks.display(bundle)

    def display_bundle(self, bundle):
        """Displays a MIME bundle made elsewhere (another language's value), within the caps."""
        if self.displays >= MAX_DISPLAYS or self.display_chars >= MAX_DISPLAY_CHARS:
            self.over_display_cap()
            return
        bundle = {str(k): _capped(str(v)) for k, v in bundle.items()}
        self.displays += 1
        self.display_chars += sum(map(len, bundle.values()))
        self.hooks.flush()
        self.hooks.display(bundle)

    def over_display_cap(self):
        if self.display_noticed:
            return
        self.display_noticed = True
        self.hooks.flush()
        self.hooks.notice(
            "This run displayed more than %d values or %d characters; the rest are not shown."
            % (MAX_DISPLAYS, MAX_DISPLAY_CHARS)
        )

    def show_figures(self):
        plt = self.plt
        if plt is None:
            return
        for num in plt.get_fignums():
            if self.files >= MAX_FILES:
                break
            buf = io.BytesIO()
            plt.figure(num).savefig(buf, format="png", bbox_inches="tight")
            self.files += 1
            self.figures += 1
            data = buf.getvalue()
            self.hooks.flush()
            self.hooks.file("figure-%d.png" % self.figures, "image/png", data, len(data))
        plt.close("all")

    def send_changed_files(self, before):
        after = self.snapshot()
        changed = [
            p
            for p, key in sorted(after.items())
            if before.get(p) != key and p not in self.ignored
        ]
        room = max(0, MAX_FILES - self.files)
        if len(changed) > room:
            self.hooks.flush()
            self.hooks.notice(
                "%d files changed in %s; only the first %d are sent."
                % (len(changed), self.work, room)
            )
        for path in changed[:room]:
            name = os.path.relpath(path, self.work)
            try:
                data, size = self.read(path)
            except OSError:
                continue
            self.files += 1
            self.hooks.flush()
            self.hooks.file(name, None, data, size)

    def read(self, path):
        """(bytes, size) of a regular file, or (None, size) past the cap; never follows a link."""
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise OSError("not a regular file")
            if st.st_size > self.max_file_bytes:
                return None, st.st_size
            data = f.read(self.max_file_bytes + 1)
        if len(data) > self.max_file_bytes:
            return None, len(data)
        return data, len(data)

    def snapshot(self):
        """Regular files under the working folder by path, keyed by (mtime, size, inode).

        Never follows a symbolic link; skips hidden folders and __pycache__; looks at no more
        than MAX_WALK entries."""
        found = {}
        stack = [self.work]
        seen = 0
        while stack and seen < MAX_WALK:
            try:
                with os.scandir(stack.pop()) as it:
                    entries = list(it)
            except OSError:
                continue
            for entry in entries[: MAX_WALK - seen]:
                seen += 1
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not entry.name.startswith(".") and entry.name != "__pycache__":
                            stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        st = entry.stat(follow_symlinks=False)
                        found[entry.path] = (st.st_mtime_ns, st.st_size, st.st_ino)
                except OSError:
                    continue
        return found


def flush_std_streams():
    """Flushes what Python buffered on stdout and stderr; a broken stream is the code's own."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


class _PyplotWatch:
    """A meta path finder that patches pyplot.show as soon as matplotlib.pyplot is imported."""

    def __init__(self, patch):
        self.patch = patch

    def find_spec(self, name, path=None, target=None):
        if name != "matplotlib.pyplot":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            self.patch(module)

        spec.loader.exec_module = exec_module
        return spec


def _bundle(value):
    """The MIME bundle of a displayed value: text/plain, and text/html when it has one."""
    bundle = {"text/plain": _capped(repr(value))}
    html = getattr(value, "_repr_html_", None)
    if callable(html) and not isinstance(value, type):
        try:
            rendered = html()
            if isinstance(rendered, str):
                bundle["text/html"] = _capped(rendered)
        except Exception:
            pass
    return bundle


def _capped(text):
    if len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT] + "..."
