"""Livepost's zygote: one warm interpreter per server from which each sandbox is a fork().

Appended to the local kernel (cell.py + local.py, see KernelScripts.java) and run by the server
with the sandbox's environment and nothing else, from the bootstrap in Zygote.java (so that
neither its command line nor its environment, which every child inherits and shows as
/proc/1/cmdline and /proc/1/environ, names anything of the server). It imports numpy, pandas and
matplotlib once, freezes its heap (gc.freeze(), so no collection dirties the shared pages) and
then serves the server, one JSON object per line:

  server -> zygote (stdin):  config {seccomp(base64)|null, passwd, group, kernel, disk, maxFile,
                                     env, etc, userns|null}   (once, first)
                             spawn {id, uid, cgroups: [cgroup.procs paths], rlimits: {name: n}}
                             opened {id}   (the server has opened the child's pipes; see below)
  zygote -> server (stdout): ready {pid} | spawned {id, pid, fds: [stdin, stdout, stderr]}
                             | failed {id, error} | exit {pid, status}

Pids in messages are host pids. A server that is not root gives `userns`: the zygote then first
makes a user namespace where it is root, with 0 mapped to the server's uid and, where the server's
user has subordinate ids, 1..n mapped to those (written by newuidmap/newgidmap, which check
/etc/subuid and /etc/subgid; without them only the server's own id is mapped, and every sandbox
runs as the server's uid), and a pid namespace of that user namespace, whose pid 1 is the zygote
from then on (the process the server started only waits for it): setns() to a pid namespace needs
root in the user namespace that owns it. Everything below then happens as "root" in the zygote's
user namespace instead of the host's, with the same steps.

A spawn makes three pipes. The child keeps its ends as its fds 0, 1, 2; the server opens the other
ends through /proc/<zygote>/fd/<n> (root may), says `opened`, and the zygote closes its copies,
so the child's pipes lead to the server only and the child needs no path on the host.

How a child is built, each step before any reader code runs; any failure ends it with _exit(1)
and a line on its stderr (reader code never runs in a half-built sandbox). The fat interpreter is
forked once per sandbox (a fork costs about 6 ms per 90 MB of the parent's memory on a small VM,
and each process mapping the zygote's pages makes the kernel's walks over them longer):
  the zygote: sets its next child's pid namespace to a new one (setns back to its own, then
    unshare(CLONE_NEWPID)), forks, and answers `spawned` with the child's host pid at once, so
    the children of several spawns build their sandboxes in parallel.
  the child, pid 1 of the new pid namespace and the sandbox's kernel, first still root on the
    host: a session of its own; its pipes as 0/1/2, every other fd closed; joins the sandbox's
    cgroups; sets the rlimits; unshares mount, net, ipc, uts and cgroup namespaces and, while it
    still may, mounts /proc for its pid namespace in a staging tmpfs, brings loopback up and sets
    the hostname `sandbox`; drops its groups and becomes the host uid the server allocated (no
    capability left on the host); enters a user namespace mapping 1000 to that uid and a nested
    one mapping 1000 to 1000 (so uid_map shows nothing of the host, as with bubblewrap).
  then, in a mount namespace of the sandbox's own user namespace, where the host's mounts stay
    locked: a tmpfs root with read-only /usr, the symlinks, the /etc files, passwd/group, the
    kernel; the staged /proc with /proc/sys and friends read-only and kernel-revealing files
    masked by /dev/null; a read-only minimal /dev; one tmpfs of the work-disk size as /work and
    /tmp (one quota); pivot_root into it and the old root detached; no further user namespaces;
    capabilities gone (bounding set cleared, ambient cleared, capset to zero), no_new_privs, the
    seccomp filter; only fds 0-2; the sandbox's environment; chdir /work. It then serves as the
    kernel, reaping the orphans handed to it as pid 1; its exit ends the pid namespace and
    everything in it.
"""

import base64  # noqa: F811
import ctypes
import gc
import json  # noqa: F811
import os  # noqa: F811
import resource
import select  # noqa: F811
import signal  # noqa: F811
import socket
import struct  # noqa: F811
import sys  # noqa: F811
import fcntl  # noqa: F811
import functools
import threading  # noqa: F811
import traceback  # noqa: F811

from cell import Cells  # livepost: dropped when assembled
from local import PipeKernel  # livepost: dropped when assembled

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MNT_DETACH = 2

PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECCOMP_MODE_FILTER = 2
SYS_PIVOT_ROOT = 155
SYS_CAPSET = 126
LINUX_CAPABILITY_VERSION_3 = 0x20080522

INNER_ID = 1000
STAGED_PROC = "/tmp/proc"
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
# Read-only as bwrap makes them: the kernel's settings and triggers.
PROC_READ_ONLY = ("sys", "sysrq-trigger", "irq", "bus", "fs", "acpi", "scsi", "tty")


class SetupError(Exception):
    pass


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise SetupError("%s: %s" % (what, os.strerror(err)))


def _b(s):
    return None if s is None else s.encode()


def mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(_b(source), _b(target), _b(fstype), flags, _b(data)),
           "mount %s on %s" % (fstype or source, target))


def _locked_flags(path):
    """The flags of the mount holding `path` that a remount inside a user namespace must keep."""
    f = os.statvfs(path).f_flag
    flags = 0
    for st, ms in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
                   (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME),
                   (os.ST_RELATIME, MS_RELATIME)):
        if f & st:
            flags |= ms
    return flags


def bind(source, target, read_only=True):
    mount(source, target, None, MS_BIND | MS_REC)
    if read_only:
        mount(None, target, None,
              MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | _locked_flags(target))


def prctl(option, arg2=0, arg3=0, arg4=0, arg5=0):
    _check(_libc.prctl(option, arg2, arg3, arg4, arg5), "prctl %d" % option)


def write_file(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _touch(path, mode=0o644):
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))


class Zygote:
    def __init__(self):
        self.config = None
        self.nested = False  # in a user and pid namespace of its own (the server is not root)
        self.shared_uid = False  # every sandbox has the server's uid
        self.sandboxes = {}  # pid of each live sandbox's pid 1 -> (its host pid, cgroup folders)
        self.pending = {}  # spawn id -> the server's ends, until it has opened them

    def send(self, **msg):
        data = (json.dumps(msg) + "\n").encode()
        while data:
            data = data[os.write(1, data):]

    def start(self):
        # No PR_SET_PDEATHSIG: it follows the server's thread that started the zygote, not the
        # server. The server's death closes stdin, and the zygote then ends with its sandboxes.
        self.config = json.loads(self._line())
        userns = self.config.get("userns")
        if userns:
            _enter_zygote_namespaces(userns)
            self.nested = True
            self.shared_uid = not userns.get("newuidmap")
        # The host's /proc is mounted here: /proc/self names the host pid.
        self.host_pid = int(os.readlink("/proc/self"))
        self.pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY)
        # A mount namespace of its own with a private /tmp: matplotlib's font cache (MPLCONFIGDIR
        # is /tmp/mpl, as in the sandbox) is built there and never on the host.
        _check(_libc.unshare(CLONE_NEWNS), "unshare mount namespace")
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=16m")
        with open("/proc/sys/kernel/cap_last_cap") as f:
            self.cap_last = int(f.read())
        self.seccomp = (base64.b64decode(self.config["seccomp"])
                        if self.config.get("seccomp") else None)
        # One malloc arena: threads of a sandbox (the kernel's forwarders) then do not each
        # dirty an arena of their own.
        _libc.mallopt(-8, 1)  # M_ARENA_MAX
        Cells.preload(None, sys.stderr)
        try:
            _warm()
        except Exception:  # a missing library only costs its features, as in preload
            traceback.print_exc()
        if threading.active_count() != 1 or len(os.listdir("/proc/self/task")) != 1:
            raise SetupError("threads were started while preloading; fork would be unsafe")
        gc.collect()
        gc.freeze()
        _collapse_heap()
        self.send(type="ready", pid=self.host_pid)

    def _line(self):
        line = b""
        while not line.endswith(b"\n"):
            chunk = os.read(0, 1)
            if not chunk:
                os._exit(0)  # the server went away
            line += chunk
        return line

    def serve(self):
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        os.set_blocking(wake_r, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        buffer = b""
        while True:
            ready, _, _ = select.select([0, wake_r], [], [])
            if wake_r in ready:
                try:
                    os.read(wake_r, 4096)
                except BlockingIOError:
                    pass
                self.reap()
            if 0 in ready:
                data = os.read(0, 65536)
                if not data:
                    self.shutdown()
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self.handle(json.loads(line))

    def handle(self, msg):
        kind = msg.get("type")
        if kind == "spawn":
            self.spawn(msg)
        elif kind == "opened":
            for fd in self.pending.pop(msg.get("id"), ()):
                os.close(fd)

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.sandboxes:
                host_pid, _ = self.sandboxes.pop(pid)
                self.send(type="exit", pid=host_pid, status=os.waitstatus_to_exitcode(status))

    def shutdown(self):
        """The server is gone: every sandbox ends with the zygote. An idle one is frozen, and a
        frozen process may not take its SIGKILL (cgroup v1) until it is thawed, so each is killed,
        then thawed; nobody else would thaw it now."""
        for pid in self.sandboxes:
            try:
                os.kill(pid, signal.SIGKILL)  # pid 1 of a namespace: the whole namespace dies
            except OSError:
                pass
        for _, folders in self.sandboxes.values():
            for folder in folders:
                for name, value in (("cgroup.kill", "1"), ("freezer.state", "THAWED"),
                                    ("cgroup.freeze", "0")):
                    try:
                        write_file(folder + "/" + name, value)
                    except OSError:
                        pass
        os._exit(0)

    def spawn(self, msg):
        """Forks the sandbox's pid 1 straight into a new pid namespace: unshare(CLONE_NEWPID)
        applies to the zygote's next child only, and setns() back to its own pid namespace first
        undoes the previous spawn's. The zygote learns the host pid from fork() and answers at
        once; the child builds the rest in parallel with the next spawn."""
        pipes = [os.pipe() for _ in range(3)]
        # A nested zygote sees its children by the pids of its own pid namespace; each child says
        # its host pid (/proc is the host's until the child mounts its own) through this pipe.
        told = os.pipe() if self.nested else None
        try:
            _check(_libc.setns(self.pid_ns, CLONE_NEWPID), "setns to the zygote's pid namespace")
            _check(_libc.unshare(CLONE_NEWPID), "unshare the pid namespace")
            pid = os.fork()
        except (OSError, SetupError) as e:
            for r, w in pipes + ([told] if told else []):
                os.close(r)
                os.close(w)
            self.send(type="failed", id=msg["id"], error="cannot fork a sandbox: %s" % e)
            return
        if pid == 0:
            if told:
                os.close(told[0])
                os.write(told[1], os.readlink("/proc/self").encode())
                os.close(told[1])
            # Unwinds the zygote's loop (see zygote_main): the child keeps none of its frames.
            raise _Forked(msg, (pipes[0][0], pipes[1][1], pipes[2][1]))
        host_pid = pid
        if told:
            os.close(told[1])
            said = os.read(told[0], 32)
            os.close(told[0])
            host_pid = int(said) if said else -1
        child_ends = (pipes[0][0], pipes[1][1], pipes[2][1])
        server_ends = (pipes[0][1], pipes[1][0], pipes[2][0])
        for fd in child_ends:
            os.close(fd)
        if host_pid < 0:
            for fd in server_ends:
                os.close(fd)
            self.send(type="failed", id=msg["id"], error="a sandbox died before saying its pid")
            return
        self.sandboxes[pid] = (host_pid, [os.path.dirname(p) for p in msg.get("cgroups", [])])
        self.pending[msg["id"]] = server_ends
        self.send(type="spawned", id=msg["id"], pid=host_pid, fds=list(server_ends))


PR_SET_PDEATHSIG = 1


def _enter_zygote_namespaces(userns):
    """For a server that is not root: a user namespace where this process is root, and a pid
    namespace of it whose pid 1 goes on as the zygote; the process the server started stays
    behind only to wait for it (and to end as it ends), so the server's handle stays right."""
    helper = None
    if userns.get("newuidmap"):
        # newuidmap writes the map of another process, after it has made its user namespace: a
        # helper forked before the unshare waits for the word, maps its parent, and ends.
        ready_r, ready_w = os.pipe()
        helper = os.fork()
        if helper == 0:
            try:
                os.close(ready_w)
                os.read(ready_r, 1)
                target = str(os.getppid())
                for tool, key in (("newuidmap", "uidMap"), ("newgidmap", "gidMap")):
                    path = userns[tool]
                    pid = os.posix_spawn(path, [path, target] + [str(n) for n in userns[key]],
                                         {"PATH": "/usr/bin:/bin"})
                    if os.waitpid(pid, 0)[1] != 0:
                        os._exit(1)
                os._exit(0)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
        os.close(ready_r)
    # The kernel caps the processes of this user namespace and all below it, counted with the
    # server's own threads, at this process's RLIMIT_NPROC when the namespace is made: lower than
    # the server's, so that sandboxes together cannot take the server's last processes.
    nproc = int(userns["nproc"])
    if nproc < resource.getrlimit(resource.RLIMIT_NPROC)[0]:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    _check(_libc.unshare(CLONE_NEWUSER), "unshare the zygote's user namespace")
    if helper:
        os.write(ready_w, b"m")
        os.close(ready_w)
        if os.waitpid(helper, 0)[1] != 0:
            raise SetupError("newuidmap/newgidmap refused the server's subordinate ids"
                             " (see /etc/subuid and /etc/subgid)")
    else:
        write_file("/proc/self/uid_map", "%d %d %d\n" % tuple(userns["uidMap"]))
        write_file("/proc/self/setgroups", "deny")
        write_file("/proc/self/gid_map", "%d %d %d\n" % tuple(userns["gidMap"]))
    # The server opens the pipes of each sandbox through /proc/<zygote>/fd.
    prctl(PR_SET_DUMPABLE, 1)
    _check(_libc.unshare(CLONE_NEWPID), "unshare the zygote's pid namespace")
    inner = os.fork()
    if inner != 0:
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        while True:
            try:
                status = os.waitpid(inner, 0)[1]
                break
            except InterruptedError:
                continue
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    # Its parent waits for nothing else: when the server kills it, the zygote and every sandbox
    # (in pid namespaces below this one) go with it.
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _warm():
    """What a first plot and DataFrame import and build lazily, done once here so that every
    sandbox shares it instead of building its own copy."""
    import io

    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    df = pd.DataFrame({"a": range(100), "b": np.random.rand(100), "c": ["x"] * 100})
    for value in (df, df.describe(), df["b"], df.groupby("c").sum()):
        repr(value)
        getattr(value, "_repr_html_", lambda: None)()
    fig, ax = plt.subplots()
    ax.plot(np.arange(10), np.arange(10) ** 2, label="y")
    ax.set_title("warm")
    ax.legend()
    df.plot(ax=ax)
    fig.savefig(io.BytesIO(), format="png")
    plt.close("all")


MADV_COLLAPSE = 25
HUGE_PAGE = 2 << 20


def _collapse_heap():
    """Makes the anonymous memory the zygote has built into 2 MB pages where it can. fork()
    copies one page-table entry per mapped page, and ~65 MB of 4 KB pages made each fork cost
    ~6 ms; a huge page is one entry. A child that writes into one gets a copy of the 4 KB it
    wrote, as before, so sharing is unchanged. Kernels before 6.1 lack MADV_COLLAPSE (EINVAL)."""
    _libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    with open("/proc/self/maps") as f:
        regions = [line.split() for line in f]
    for fields in regions:
        if "w" not in fields[1] or (len(fields) > 5 and fields[5] != "[heap]"):
            continue
        low, high = (int(x, 16) for x in fields[0].split("-"))
        for start in range((low + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1), high - HUGE_PAGE + 1,
                           HUGE_PAGE):
            _libc.madvise(start, HUGE_PAGE, MADV_COLLAPSE)  # where it fails, 4 KB pages stay


def _describe(e):
    return "%s: %s" % (type(e).__name__, e) if not isinstance(e, SetupError) else str(e)


def _or_exit(step, zygote):
    """Builds the sandbox; if a step fails, says why on stderr and ends the process, so no reader
    code ever runs in a half-built sandbox."""
    try:
        step(zygote)
    except BaseException as e:
        _fail(2, "sandbox setup failed: %s" % _describe(e))
        os._exit(1)


def _fail(fd, text):
    try:
        os.write(fd, (text.replace("\n", " ") + "\n").encode())
    except OSError:
        pass


def sandbox_init(zygote, msg, pipes):
    """Builds the sandbox in the process that becomes its kernel: pid 1 of a new pid namespace,
    still root in the zygote's user namespace (the host's, or its own when the server is not
    root). Joins the sandbox's limits; makes the namespaces whose setup needs that root (mount,
    network, IPC, UTS, cgroup; /proc for the new pid namespace is staged here, as only root may
    mount it); becomes the sandbox's host uid, enters a user namespace of its own and builds the
    sandbox's view of the system in it (build_sandbox). One fork of the warm interpreter per
    sandbox: no init process of its own, the kernel reaps orphans (OrphanReaper), and no process
    of the sandbox keeps a view of the host's filesystem."""
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    os.setsid()
    for target, fd in enumerate(pipes):
        os.dup2(fd, target)
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    for procs in msg.get("cgroups", []):
        # "0" is the writer itself: its pid in this pid namespace (1) means another process to
        # the host.
        write_file(procs, "0")
    rlimits = dict(msg.get("rlimits", {}))
    nproc = rlimits.pop("nproc", None)
    for name, value in rlimits.items():
        limit = getattr(resource, "RLIMIT_" + name.upper())
        resource.setrlimit(limit, (value, value))
    host_id = int(msg["uid"])
    msg.clear()
    if host_id <= 0 and not zygote.shared_uid:
        raise SetupError("no host uid of the sandbox's own")

    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
                         | CLONE_NEWCGROUP), "unshare namespaces")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    # A staging area the kernel builds the sandbox from: this pid namespace's /proc, and an empty
    # mount point for the kernel's own tmpfs (the zygote's private /tmp is hidden under it).
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k,nr_inodes=16")
    for name in ("proc", "sandbox"):
        os.mkdir("/tmp/" + name, 0o755)
    mount("proc", STAGED_PROC, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _loopback_up()
    socket.sethostname("sandbox")

    if not zygote.shared_uid:  # without subordinate ids, setgroups() is denied in the namespace
        os.setgroups([])
    os.setresgid(host_id, host_id, host_id)
    os.setresuid(host_id, host_id, host_id)
    # Changing uids made the process non-dumpable, which would make its /proc files (uid_map)
    # root's; it has no capability left on the host to protect.
    prctl(PR_SET_DUMPABLE, 1)
    _enter_user_namespace(host_id)
    if nproc is not None:
        # The kernel counts a process against its uid in its user namespace and in each one
        # above, each level capped by the RLIMIT_NPROC its namespace was made with. Set between
        # the two namespaces, the cap applies to this sandbox's processes alone, even where every
        # sandbox has the same host uid (a server that is not root and has no subordinate ids).
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    # A second one, as bubblewrap nests one: its uid_map says 1000 is 1000, so nothing in the
    # sandbox shows the host uid.
    _enter_user_namespace(INNER_ID)
    build_sandbox(zygote)


def _enter_user_namespace(outer_id):
    """A new user namespace where uid and gid 1000 are `outer_id` of the namespace outside (the
    map of its own ids that any process may write)."""
    _check(_libc.unshare(CLONE_NEWUSER), "unshare the user namespace")
    write_file("/proc/self/uid_map", "%d %d 1\n" % (INNER_ID, outer_id))
    write_file("/proc/self/setgroups", "deny")
    write_file("/proc/self/gid_map", "%d %d 1\n" % (INNER_ID, outer_id))


def build_sandbox(zygote):
    """The sandbox's view of the system, then every privilege dropped."""
    config = zygote.config
    # A mount namespace owned by the sandbox's user namespace, the one the kernel may build in;
    # what it inherits from the one made as root stays locked (it cannot be unmounted to see what
    # is under it).
    _check(_libc.unshare(CLONE_NEWNS), "unshare the mount namespace")
    base = "/tmp/sandbox"
    mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=1m")
    root = base + "/root"
    scratch = base + "/scratch"
    os.mkdir(root, 0o755)
    os.mkdir(scratch, 0o700)
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=2m,nr_inodes=512")
    mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV,
          "mode=0755,size=%d" % int(config["disk"]))
    os.mkdir(scratch + "/work", 0o755)
    os.mkdir(scratch + "/tmp", 0o1777)
    os.chmod(scratch + "/tmp", 0o1777)

    for name in ("usr", "etc", "proc", "dev", "work", "tmp", "livepost"):
        os.mkdir(root + "/" + name, 0o755)
    bind("/usr", root + "/usr")
    for name in ("lib", "lib64", "bin", "sbin"):
        os.symlink("usr/" + name, root + "/" + name)
    for path in config["etc"]:
        if not os.path.exists(path):
            continue
        target = root + path
        if os.path.isdir(path):
            os.makedirs(target, 0o755, exist_ok=True)
        else:
            _touch(target)
        bind(path, target)
    for name in ("passwd", "group"):
        with open(root + "/etc/" + name, "w") as f:
            f.write(config[name])
    with open(root + "/livepost/kernel.py", "w") as f:
        f.write(config["kernel"])

    proc = root + "/proc"
    mount(STAGED_PROC, proc, None, MS_BIND | MS_REC)
    # No user namespaces below this one (bwrap --disable-userns; the seccomp filter refuses them
    # too).
    write_file(proc + "/sys/user/max_user_namespaces", "0")
    for name in PROC_READ_ONLY:
        if os.path.exists(proc + "/" + name):
            bind(proc + "/" + name, proc + "/" + name)
    # Files of /proc that tell about the host (the same list as the bubblewrap path's).
    for path in config["masked"]:
        if os.path.exists(root + path):
            mount("/dev/null", root + path, None, MS_BIND)

    dev = root + "/dev"
    mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64")
    for name in DEVICES:
        _touch(dev + "/" + name, 0o666)
        mount("/dev/" + name, dev + "/" + name, None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"),
                         ("shm", "/tmp")):
        os.symlink(target, dev + "/" + name)
    mount(None, dev, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC)

    mount(scratch + "/work", root + "/work", None, MS_BIND)
    mount(scratch + "/tmp", root + "/tmp", None, MS_BIND)
    mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)

    os.chdir(root)
    _check(_libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")

    _drop_privileges(zygote.seccomp, zygote.cap_last)
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    os.environ.clear()
    os.environ.update(config["env"])
    os.chdir("/work")


def _loopback_up():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ifreq = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s, 0x8913, ifreq))[1]  # SIOCGIFFLAGS
        fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", flags | 0x1 | 0x40))  # UP, RUNNING
    finally:
        s.close()


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _drop_privileges(seccomp, last):
    for cap in range(last + 1):
        prctl(PR_CAPBSET_DROP, cap)
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    os.setresgid(INNER_ID, INNER_ID, INNER_ID)
    os.setresuid(INNER_ID, INNER_ID, INNER_ID)
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.syscall(SYS_CAPSET, ctypes.byref(header), ctypes.byref(data)), "capset")
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    if seccomp is not None:
        buf = ctypes.create_string_buffer(seccomp, len(seccomp))
        prog = _SockFprog(len(seccomp) // 8, ctypes.cast(buf, ctypes.c_void_p))
        _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0),
               "seccomp")
    # Trust, but verify: the kernel's own account of what this process may do.
    with open("/proc/self/status") as f:
        status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        if int(status.get(key, "1"), 16) != 0:
            raise SetupError("capabilities left: %s %s" % (key, status.get(key)))
    if status.get("NoNewPrivs", "0").strip() != "1":
        raise SetupError("no_new_privs is not set")
    if seccomp is not None and status.get("Seccomp", "0").strip() != "2":
        raise SetupError("the seccomp filter is not installed")
    if status.get("Uid", "").split() != [str(INNER_ID)] * 4 or status.get("Groups", "").strip():
        raise SetupError("unexpected ids: %s %s" % (status.get("Uid"), status.get("Groups")))


def run_kernel(config):
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    orphans = OrphanReaper()
    orphans.install()
    try:
        import numpy.random

        # Not the zygote's state, shared by every sandbox. A seed from the OS, as an int: seed()
        # with no argument builds a SeedSequence, ~3.5 ms and 90 more page faults in a new child.
        # Its 32 bits only keep sandboxes apart (a reader sees no other sandbox's numbers), and
        # numpy.random.default_rng() takes its own entropy anyway.
        numpy.random.seed(int.from_bytes(os.urandom(4), "little"))
    except Exception:
        pass
    kernel = PipeKernel(int(config["maxFile"]))
    run = kernel.cells.run

    def run_then_trim(*args, **kwargs):
        try:
            return run(*args, **kwargs)
        finally:
            orphans.reap()
            # What a run freed goes back to the host instead of staying a private copy.
            gc.collect()
            _libc.malloc_trim(0)

    kernel.cells.run = run_then_trim
    kernel.serve()


class OrphanReaper:
    """The kernel is its sandbox's pid 1, so a process whose parent ended is handed to it, and
    once it ends stays a zombie (counted against the sandbox's process cap) until the kernel
    reaps it. The kernel's own children are not its to reap: the code waits for those itself
    (subprocess, multiprocessing, os.waitpid) and would lose their exit status. So every way
    Python makes a child notes the child's pid, and only other zombies are reaped: on SIGCHLD
    while code runs (unless the code set its own handler), and after each run."""

    def __init__(self):
        self.own = set()
        # A child noted while SIGCHLD comes may have ended before its pid is in `own`: reaping
        # then waits until the noting is done.
        self.noting = 0
        self.deferred = False

    def install(self):
        import subprocess

        def noting(make, pid_of=lambda result: result):
            @functools.wraps(make)
            def make_and_note(*args, **kwargs):
                self.noting += 1
                try:
                    result = make(*args, **kwargs)
                    pid = pid_of(result)
                    if pid > 0:  # 0 in a forked child
                        self.own.add(pid)
                    return result
                finally:
                    self.noting -= 1
                    if self.deferred and not self.noting:
                        self.reap()

            return make_and_note

        for module, name in ((os, "fork"), (os, "posix_spawn"), (os, "posix_spawnp"),
                             (subprocess, "_fork_exec")):
            if hasattr(module, name):
                setattr(module, name, noting(getattr(module, name)))
        os.forkpty = noting(os.forkpty, lambda result: result[0])
        signal.signal(signal.SIGCHLD, lambda *_: self.reap())

    def reap(self):
        if os.getpid() != 1:  # a child of the kernel, which inherited the handler
            return
        if self.noting:
            self.deferred = True
            return
        self.deferred = False
        alive = set()
        try:
            names = os.listdir("/proc")
        except OSError:  # never an error in the code that the signal interrupted
            return
        for name in names:
            if not name.isdigit() or name == "1":
                continue
            pid = int(name)
            alive.add(pid)
            if pid in self.own:
                continue
            try:
                with open("/proc/%d/stat" % pid, "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            state, parent = stat[stat.rindex(b")") + 2:].split()[:2]
            if state == b"Z" and parent == b"1":
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        self.own &= alive


class _Forked(BaseException):
    """Raised in a new child to leave the zygote's serve loop, whose frames hold other
    commands."""


def zygote_main():
    zygote = Zygote()
    try:
        zygote.start()
    except BaseException:
        traceback.print_exc()
        os._exit(1)
    forked = None
    try:
        zygote.serve()
    except _Forked as e:
        forked = e.args
    # Only in a child from here on. What the zygote knows of other sandboxes is forgotten.
    msg, pipes = forked
    zygote.sandboxes.clear()
    zygote.pending.clear()
    _or_exit(lambda z: sandbox_init(z, msg, pipes), zygote)
    try:
        run_kernel(zygote.config)
    except BaseException:
        traceback.print_exc()
    os._exit(1)


if __name__ == "__zygote__":
    zygote_main()
