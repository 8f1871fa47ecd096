package dev.livepost.exec.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livepost.LivepostException;
import dev.livepost.exec.KernelScripts;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One warm Python interpreter ({@code kernel/zygote.py}) that has imported numpy, pandas and
 * matplotlib, from which each sandbox is a {@code fork()} that builds its own namespaces, mounts,
 * limits and seccomp filter before the kernel runs (see {@code zygote.py} for the steps). A server
 * that is not root gives it a user namespace of its own ({@link SandboxIds}). The zygote is started
 * with the sandbox's environment only, in {@code /}, with a command line that names nothing of the
 * server (the script comes on its stdin), because every sandbox shows the zygote's as its {@code
 * /proc/1/cmdline} and {@code /proc/1/environ}.
 *
 * <p>A child's three pipes are made by the zygote; the server opens their other ends through {@code
 * /proc/<zygote>/fd/<n>}, then the zygote closes its copies. {@link #spawn} blocks until the zygote
 * has forked the child (a few milliseconds; concurrent spawns queue up in the zygote, which forks
 * one after the other): the child then builds its sandbox in parallel with the next ones, and its
 * kernel says {@code ready} when done. Thread-safe.
 */
final class Zygote implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Zygote.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads the script (12 digits of length, then the script) from stdin and runs it. */
    static final String BOOTSTRAP =
            """
            import os
            def r(n):
             b=b''
             while len(b)<n:
              c=os.read(0,n-len(b))
              if not c:raise SystemExit(1)
              b+=c
             return b
            exec(compile(r(int(r(12))),'/livepost/kernel.py','exec'),{'__name__':'__zygote__','__file__':'/livepost/kernel.py'})""";

    private final Process process;
    private final OutputStream commands;
    private final Object writeLock = new Object();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final Map<Long, CompletableFuture<JsonNode>> replies = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Integer>> exits = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile String lastError = "no error output";

    /**
     * The zygote's host pid: the started process's, or, when the zygote nests itself in namespaces
     * of its own (a server that is not root), its child's, which the zygote says when ready.
     */
    private volatile long zygotePid;

    /**
     * Starts the zygote and waits until it has imported its libraries.
     *
     * @param config what every sandbox gets: passwd, group, disk size, environment, /etc paths
     * @param seccomp the compiled filter, or null
     * @throws LivepostException {@code executor_unavailable} when it does not come up
     */
    static Zygote start(Map<String, Object> config, byte[] seccomp, Duration within) {
        ObjectNode cfg = JSON.valueToTree(config);
        cfg.put("kernel", KernelScripts.zygote());
        cfg.put("seccomp", seccomp == null ? null : Base64.getEncoder().encodeToString(seccomp));
        var pb =
                new ProcessBuilder(
                        SandboxLauncher.PYTHON, "-I", "-B", "-u", "-c", BOOTSTRAP.strip());
        pb.environment().clear();
        pb.environment().putAll(SandboxView.ENV);
        pb.directory(new java.io.File("/"));
        try {
            var zygote = new Zygote(pb.start());
            zygote.init(cfg, within);
            return zygote;
        } catch (IOException e) {
            throw LivepostException.unavailable("cannot start the zygote: " + e.getMessage());
        }
    }

    private Zygote(Process process) {
        this.process = process;
        this.zygotePid = process.pid();
        this.commands = process.getOutputStream();
        var reader = new Thread(this::readReplies, "zygote-" + process.pid());
        reader.setDaemon(true);
        reader.start();
        var errors = new Thread(this::readErrors, "zygote-err-" + process.pid());
        errors.setDaemon(true);
        errors.start();
    }

    private void init(ObjectNode cfg, Duration within) throws IOException {
        byte[] script = KernelScripts.zygote().getBytes(StandardCharsets.UTF_8);
        synchronized (writeLock) {
            commands.write(String.format("%012d", script.length).getBytes(StandardCharsets.UTF_8));
            commands.write(script);
            commands.write(JSON.writeValueAsBytes(cfg));
            commands.write('\n');
            commands.flush();
        }
        try {
            ready.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            close();
            throw LivepostException.unavailable("the zygote did not start: " + lastError);
        }
    }

    long pid() {
        return zygotePid;
    }

    boolean alive() {
        return process.isAlive();
    }

    /**
     * Forks a sandbox. Returns once it is forked; it then joins its limits and namespaces before
     * its kernel says {@code ready} on the returned process's stdout (or dies saying why on its
     * stderr).
     *
     * @param uid the host uid of the sandbox (> 0)
     * @param cgroupProcs the {@code cgroup.procs} files it joins before anything else
     * @param rlimits rlimit name ({@code fsize}, {@code nofile}, ...) to value
     */
    SandboxProcess spawn(
            int uid, List<String> cgroupProcs, Map<String, Long> rlimits, Duration within) {
        // Several spawns may be outstanding: the zygote forks them one after the other
        // without waiting for this side, and each reply names its spawn.
        long id = ids.incrementAndGet();
        var reply = new CompletableFuture<JsonNode>();
        replies.put(id, reply);
        ObjectNode msg = JSON.createObjectNode().put("type", "spawn").put("id", id);
        msg.put("uid", uid);
        cgroupProcs.forEach(msg.putArray("cgroups")::add);
        ObjectNode limits = msg.putObject("rlimits");
        rlimits.forEach(limits::put);
        JsonNode r;
        try {
            send(msg);
            r = reply.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (IOException | ExecutionException | TimeoutException e) {
            throw LivepostException.unavailable("the zygote does not spawn: " + lastError);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw LivepostException.unavailable("interrupted while spawning a sandbox");
        } finally {
            replies.remove(id);
        }
        if (!"spawned".equals(r.path("type").asText())) {
            throw LivepostException.unavailable(r.path("error").asText("the sandbox died"));
        }
        long pid = r.path("pid").asLong();
        CompletableFuture<Integer> exit =
                exits.computeIfAbsent(pid, p -> new CompletableFuture<>());
        ProcessHandle handle = ProcessHandle.of(pid).orElse(null);
        String fds = "/proc/" + zygotePid + "/fd/";
        try {
            var in = new FileOutputStream(fds + r.path("fds").get(0).asInt());
            var out = new FileInputStream(fds + r.path("fds").get(1).asInt());
            var err = new FileInputStream(fds + r.path("fds").get(2).asInt());
            return new Child(pid, handle, exit, in, out, err);
        } catch (IOException | RuntimeException e) {
            if (handle != null) {
                handle.destroyForcibly();
            }
            throw LivepostException.unavailable("cannot open a sandbox's pipes: " + e);
        } finally {
            try {
                send(JSON.createObjectNode().put("type", "opened").put("id", id));
            } catch (IOException e) {
                log.debug("zygote does not take commands", e);
            }
        }
    }

    private void send(JsonNode msg) throws IOException {
        synchronized (writeLock) {
            commands.write(JSON.writeValueAsBytes(msg));
            commands.write('\n');
            commands.flush();
        }
    }

    private void readReplies() {
        try (var in =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                JsonNode msg = JSON.readTree(line);
                switch (msg.path("type").asText()) {
                    case "ready" -> {
                        zygotePid = msg.path("pid").asLong(zygotePid);
                        ready.complete(null);
                    }
                    case "exit" ->
                            exits.computeIfAbsent(
                                            msg.path("pid").asLong(),
                                            p -> new CompletableFuture<>())
                                    .complete(msg.path("status").asInt());
                    default -> {
                        CompletableFuture<JsonNode> reply = replies.get(msg.path("id").asLong());
                        if (reply != null) {
                            reply.complete(msg);
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("zygote {} broke its protocol: {}", process.pid(), e.toString());
        } finally {
            var gone = new IOException("the zygote exited: " + lastError);
            ready.completeExceptionally(gone);
            replies.values().forEach(r -> r.completeExceptionally(gone));
            // Its children keep their pipes; their deaths are then seen by their process handles.
        }
    }

    private void readErrors() {
        try (var in =
                new BufferedReader(
                        new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                log.debug("zygote {}: {}", process.pid(), line);
                if (!line.isBlank()) {
                    lastError = line.length() > 300 ? line.substring(0, 300) : line;
                }
            }
        } catch (IOException e) {
            log.debug("zygote {} stderr ended", process.pid());
        }
    }

    /** Ends the zygote; it kills every sandbox it forked as it goes (it sees its stdin close). */
    @Override
    public void close() {
        try {
            commands.close();
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** A sandbox forked from the zygote: the host pid of its pid 1 and its three pipes. */
    private final class Child implements SandboxProcess {
        private final long pid;
        private final ProcessHandle handle;
        private final CompletableFuture<Integer> exit;
        private final OutputStream in;
        private final InputStream out;
        private final InputStream err;

        Child(
                long pid,
                ProcessHandle handle,
                CompletableFuture<Integer> exit,
                OutputStream in,
                InputStream out,
                InputStream err) {
            this.pid = pid;
            this.handle = handle;
            this.exit = exit;
            this.in = in;
            this.out = out;
            this.err = err;
        }

        @Override
        public long pid() {
            return pid;
        }

        @Override
        public OutputStream stdin() {
            return in;
        }

        @Override
        public InputStream stdout() {
            return out;
        }

        @Override
        public InputStream stderr() {
            return err;
        }

        @Override
        public boolean alive() {
            return !exit.isDone() && handle != null && handle.isAlive();
        }

        @Override
        public void kill() {
            // The handle checks the start time, so a reused pid is never hit.
            if (handle != null) {
                handle.destroyForcibly();
            }
            try {
                in.close();
            } catch (IOException e) {
                // already closed
            }
        }

        @Override
        public boolean waitFor(Duration within) throws InterruptedException {
            try {
                exit.get(within.toMillis(), TimeUnit.MILLISECONDS);
                exits.remove(pid);
                return true;
            } catch (ExecutionException e) {
                return true;
            } catch (TimeoutException e) {
                return handle == null || !handle.isAlive();
            }
        }
    }
}
