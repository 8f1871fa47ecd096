package dev.livepost.exec.local;

import dev.livepost.Limits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One cgroup per sandbox under a {@code livepost} parent: memory (swap included where the kernel
 * accounts it), process count, one CPU's worth of time, and a freezer for idle sessions. Works on
 * the unified hierarchy (v2) and on the legacy one (v1: one folder per controller; cpu and freezer
 * optional). Thread-safe.
 */
final class Cgroups implements SandboxLimits {
    private static final Logger log = LoggerFactory.getLogger(Cgroups.class);
    private static final Path ROOT = Path.of("/sys/fs/cgroup");
    private static final long CPU_PERIOD_US = 100_000;

    private final Limits limits;
    private final String instance;
    private final boolean v2;
    private final boolean delegated;

    /** v2: the one parent; v1: the parent in each of memory, pids, cpu (cpu may be missing). */
    private final List<Path> parents;

    private Cgroups(
            Limits limits, String instance, boolean v2, List<Path> parents, boolean delegated) {
        this.limits = limits;
        this.instance = instance;
        this.v2 = v2;
        this.parents = parents;
        this.delegated = delegated;
    }

    /**
     * The usable hierarchy, or null (nothing writable: an unprivileged server without a delegated
     * cgroup, or a read-only mount). Root puts its sandboxes under {@code livepost} at the top of
     * each hierarchy; any other user under the cgroup it was started in, when that was delegated to
     * it (systemd's {@code Delegate=yes}, or folders an administrator made and chowned).
     */
    static Cgroups detect(Limits limits, String instance) {
        try {
            boolean root = SandboxLauncher.effectiveUid() == 0;
            if (Files.exists(ROOT.resolve("cgroup.controllers"))) {
                Path parent = root ? v2Parent(ROOT, ROOT.resolve("livepost")) : delegatedV2();
                if (parent == null) {
                    return null;
                }
                var found = new Cgroups(limits, instance, true, List.of(parent), !root);
                found.probe();
                return found;
            }
            Map<String, String> own = root ? Map.of() : ownCgroups();
            List<Path> parents = new ArrayList<>();
            for (String controller : List.of("memory", "pids", "cpu", "freezer")) {
                Path dir = ROOT.resolve(controller);
                Path parent = null;
                if (Files.isDirectory(dir)) {
                    parent = root ? dir.resolve("livepost") : delegatedV1(dir, own, controller);
                }
                if (parent != null) {
                    Files.createDirectories(parent);
                    parents.add(parent);
                } else if (controller.equals("memory") || controller.equals("pids")) {
                    return null;
                }
            }
            var found = new Cgroups(limits, instance, false, List.copyOf(parents), !root);
            found.probe();
            return found;
        } catch (IOException | UncheckedIOException | SecurityException e) {
            log.debug("no writable cgroup", e);
            return null;
        }
    }

    /**
     * Makes {@code parent} under {@code top} with memory, pids and (where it can) cpu enabled for
     * its children. One controller per write: inside a container whose cgroup holds processes these
     * writes fail (rlimits then).
     */
    private static Path v2Parent(Path top, Path parent) throws IOException {
        Files.createDirectories(parent);
        for (String controller : List.of("memory", "pids", "cpu")) {
            try {
                write(top.resolve("cgroup.subtree_control"), "+" + controller);
                write(parent.resolve("cgroup.subtree_control"), "+" + controller);
            } catch (UncheckedIOException e) {
                if (!controller.equals("cpu")) {
                    throw e;
                }
            }
        }
        return parent;
    }

    /**
     * The server's own cgroup, when delegated to it: the server's processes move to a leaf {@code
     * livepost-server} in it (cgroup v2 lets only a cgroup without processes of its own give
     * controllers to its children), and the sandboxes go under {@code sandboxes} beside it. The
     * zygote, a child of the server, starts in the leaf; moving a sandbox from there into its own
     * cgroup needs write access to their common ancestor only, the delegated one.
     */
    private static Path delegatedV2() throws IOException {
        String own = ownCgroups().get("");
        if (own == null) {
            return null;
        }
        Path base = ROOT.resolve(own.substring(1));
        if (!Files.isWritable(base.resolve("cgroup.procs"))
                || !Files.isWritable(base.resolve("cgroup.subtree_control"))) {
            log.debug("cgroup {} is not delegated to this user", base);
            return null;
        }
        Path server = base.resolve("livepost-server");
        Files.createDirectories(server);
        for (long pid : pids(base)) {
            write(server.resolve("cgroup.procs"), String.valueOf(pid));
        }
        return v2Parent(base, base.resolve("sandboxes"));
    }

    /** The server's own cgroup of one v1 controller when it may make folders there, else null. */
    private static Path delegatedV1(Path hierarchy, Map<String, String> own, String controller) {
        String path = own.get(controller);
        if (path == null) {
            return null;
        }
        Path dir = path.equals("/") ? hierarchy : hierarchy.resolve(path.substring(1));
        return Files.isWritable(dir) && Files.isWritable(dir.resolve("cgroup.procs")) ? dir : null;
    }

    /**
     * The server's cgroups from {@code /proc/self/cgroup}: controller (v1, e.g. {@code memory}; a
     * line may name several, {@code cpu,cpuacct}) or {@code ""} (v2) to path.
     */
    static Map<String, String> ownCgroups() throws IOException {
        var own = new java.util.HashMap<String, String>();
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length == 3) {
                for (String controller : f[1].split(",")) {
                    own.put(controller, f[2]);
                }
            }
        }
        return own;
    }

    /** Makes and removes one cgroup, so a half-writable hierarchy is noticed at startup. */
    private void probe() {
        removeStale();
        create("probe").close();
    }

    /**
     * Folders left by a server of this machine that is gone (its name starts with its pid), each
     * sandbox's folders of all controllers together: its processes may be frozen, and only its
     * freezer folder can thaw them so that they can be killed.
     */
    private void removeStale() {
        var stale = new java.util.TreeSet<String>();
        for (Path parent : parents) {
            try (Stream<Path> children = Files.list(parent)) {
                children.filter(Files::isDirectory)
                        .map(d -> d.getFileName().toString())
                        .filter(name -> !isLive(name))
                        .forEach(stale::add);
            } catch (IOException e) {
                log.debug("cannot list {}", parent, e);
            }
        }
        for (String name : stale) {
            new Group(
                            parents.stream()
                                    .map(p -> p.resolve(name))
                                    .filter(Files::isDirectory)
                                    .toList())
                    .close();
        }
    }

    private static boolean isLive(String name) {
        int end = 0;
        while (end < name.length() && Character.isDigit(name.charAt(end))) {
            end++;
        }
        try {
            long pid = Long.parseLong(name.substring(0, end));
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return true; // not ours
        }
    }

    @Override
    public String describe() {
        return (v2 ? "cgroup v2" : "cgroup v1")
                + (delegated ? " delegated to the server's user, under " + parents.get(0) : "")
                + " (memory "
                + (limits.memoryBytes() >> 20)
                + " MB, "
                + limits.maxProcesses()
                + " processes, 1 CPU)";
    }

    @Override
    public boolean perSandbox() {
        return true;
    }

    @Override
    public boolean delegated() {
        return delegated;
    }

    @Override
    public Slot create(String name) {
        List<Path> dirs = new ArrayList<>();
        for (Path parent : parents) {
            dirs.add(parent.resolve(instance + "-" + name));
        }
        var group = new Group(dirs);
        try {
            for (Path dir : dirs) {
                Files.createDirectories(dir);
            }
            if (v2) {
                Path dir = dirs.get(0);
                write(dir.resolve("memory.max"), String.valueOf(limits.memoryBytes()));
                writeIfPresent(dir.resolve("memory.swap.max"), "0");
                write(dir.resolve("pids.max"), String.valueOf(limits.maxProcesses()));
                writeIfPresent(dir.resolve("cpu.max"), CPU_PERIOD_US + " " + CPU_PERIOD_US);
            } else {
                for (Path dir : dirs) {
                    String controller = dir.getParent().getParent().getFileName().toString();
                    switch (controller) {
                        case "memory" -> {
                            String bytes = String.valueOf(limits.memoryBytes());
                            write(dir.resolve("memory.limit_in_bytes"), bytes);
                            writeIfPresent(dir.resolve("memory.memsw.limit_in_bytes"), bytes);
                        }
                        case "pids" ->
                                write(
                                        dir.resolve("pids.max"),
                                        String.valueOf(limits.maxProcesses()));
                        case "cpu" -> {
                            write(dir.resolve("cpu.cfs_period_us"), String.valueOf(CPU_PERIOD_US));
                            write(dir.resolve("cpu.cfs_quota_us"), String.valueOf(CPU_PERIOD_US));
                        }
                        default -> {} // the freezer has nothing to set
                    }
                }
            }
            return group;
        } catch (IOException | UncheckedIOException e) {
            group.close();
            throw new UncheckedIOException(
                    "cannot set up the cgroup of sandbox " + name,
                    e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
        }
    }

    /** The cgroup folders of one sandbox. */
    private final class Group implements Slot {
        private final List<Path> dirs;

        Group(List<Path> dirs) {
            this.dirs = dirs;
        }

        @Override
        public List<String> joinCommands() {
            return dirs.stream()
                    .map(d -> "echo $$ > " + Shell.quote(d.resolve("cgroup.procs").toString()))
                    .toList();
        }

        @Override
        public boolean outOfMemory() {
            for (Path dir : dirs) {
                Path events = dir.resolve(v2 ? "memory.events" : "memory.oom_control");
                if (Files.exists(events)) {
                    Long kills = keyedValues(events).get("oom_kill");
                    if (kills != null && kills > 0) {
                        return true;
                    }
                }
            }
            return false;
        }

        @Override
        public boolean freeze(boolean frozen) {
            Path file =
                    v2
                            ? dirs.get(0).resolve("cgroup.freeze")
                            : dirs.stream()
                                    .map(d -> d.resolve("freezer.state"))
                                    .filter(Files::exists)
                                    .findFirst()
                                    .orElse(null);
            if (file == null || !Files.exists(file)) {
                return false;
            }
            try {
                write(file, v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED"));
                return true;
            } catch (UncheckedIOException e) {
                log.debug("cannot {} {}", frozen ? "freeze" : "thaw", file, e);
                return false;
            }
        }

        @Override
        public void background(boolean background) {
            // The least weight the kernel takes, and its default (v2 cpu.weight, v1 cpu.shares).
            String file = v2 ? "cpu.weight" : "cpu.shares";
            String weight = v2 ? (background ? "1" : "100") : (background ? "2" : "1024");
            for (Path dir : dirs) {
                writeIfPresent(dir.resolve(file), weight);
            }
        }

        @Override
        public long memoryBytes() {
            for (Path dir : dirs) {
                Path usage = dir.resolve(v2 ? "memory.current" : "memory.usage_in_bytes");
                if (Files.exists(usage)) {
                    try {
                        return Long.parseLong(Files.readString(usage).trim());
                    } catch (IOException | NumberFormatException e) {
                        return -1;
                    }
                }
            }
            return -1;
        }

        @Override
        public synchronized void close() {
            freeze(false); // a frozen process takes no signal, not even SIGKILL (v1)
            for (Path dir : dirs) {
                if (!Files.isDirectory(dir)) {
                    continue;
                }
                killAll(dir);
                remove(dir);
            }
        }

        /** A group whose last processes are still exiting is busy for a moment. */
        private void remove(Path dir) {
            for (int attempt = 0; ; attempt++) {
                try {
                    Files.deleteIfExists(dir);
                    return;
                } catch (IOException e) {
                    if (attempt == 100) {
                        log.warn("could not remove cgroup {}: {}", dir, e.toString());
                        return;
                    }
                    killAll(dir);
                    sleep(10);
                }
            }
        }

        private void killAll(Path dir) {
            Path kill = dir.resolve("cgroup.kill");
            if (Files.exists(kill)) {
                writeIfPresent(kill, "1");
            }
            // Processes may still be forking (pids.max bounds that), and on a loaded machine a
            // killed process can take seconds to leave: kill until the group stays empty.
            for (int round = 0; round < 250; round++) {
                List<Long> pids = pids(dir);
                if (pids.isEmpty()) {
                    return;
                }
                pids.forEach(
                        pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
                sleep(round < 10 ? 2 : 20);
            }
            log.warn("processes left in cgroup {}", dir);
        }
    }

    private static List<Long> pids(Path dir) {
        try {
            return Files.readAllLines(dir.resolve("cgroup.procs")).stream()
                    .filter(s -> !s.isBlank())
                    .map(s -> Long.parseLong(s.trim()))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static Map<String, Long> keyedValues(Path file) {
        var values = new java.util.HashMap<String, Long>();
        try {
            for (String line : Files.readAllLines(file)) {
                String[] kv = line.trim().split("\\s+");
                if (kv.length == 2) {
                    values.put(kv[0], Long.parseLong(kv[1]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            log.debug("cannot read {}", file, e);
        }
        return values;
    }

    private static void write(Path file, String value) {
        try {
            Files.writeString(file, value, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void writeIfPresent(Path file, String value) {
        if (Files.exists(file)) {
            try {
                write(file, value);
            } catch (UncheckedIOException e) {
                log.debug("optional cgroup setting {} refused", file, e);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
