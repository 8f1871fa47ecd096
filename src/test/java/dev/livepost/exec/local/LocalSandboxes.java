package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.Config;
import dev.livepost.exec.Run;
import dev.livepost.exec.SessionSpec;
import dev.livepost.exec.Sessions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/** The real local executor and a {@link Sessions} over it, for integration tests. */
final class LocalSandboxes implements AutoCloseable {
    static final SessionSpec SPEC = new SessionSpec("post/fib", "python", false, List.of());

    final Config config;
    final LocalExecutor executor;
    final Sessions sessions;

    /**
     * @param env the server's settings; {@code LIVEPOST_ZYGOTE} from the test run's own environment
     *     is added, so the same tests run on either launcher, and a pool of 4 unless given
     */
    LocalSandboxes(Path data, Map<String, String> env) {
        var settings = new java.util.HashMap<>(env);
        settings.putIfAbsent("LIVEPOST_POOL_SIZE", "4"); // not hundreds beside each test
        String zygote = System.getenv("LIVEPOST_ZYGOTE");
        if (zygote != null && !settings.containsKey("LIVEPOST_ZYGOTE")) {
            settings.put("LIVEPOST_ZYGOTE", zygote);
        }
        this.config =
                Config.parse(List.of("--port", "0", "--data", data.toString()), settings, data);
        this.executor = new LocalExecutor(config);
        this.sessions =
                new Sessions(
                        executor,
                        Sessions.Settings.of(config),
                        data,
                        Clock.systemUTC(),
                        new SimpleMeterRegistry());
    }

    /** Starts the sandboxes and fails the test unless the executor can run code. */
    static LocalSandboxes available(Path data, Map<String, String> env) {
        var sandboxes = new LocalSandboxes(data, env);
        assertThat(sandboxes.executor.health().available())
                .as(sandboxes.executor.health().detail())
                .isTrue();
        return sandboxes;
    }

    /** Whether sandboxes are forked from the zygote (else bubblewrap starts each). */
    boolean zygote() {
        return executor.health().detail().startsWith("zygote sandboxes");
    }

    /** A new session. */
    String open() {
        return sessions.create(SPEC, List.of(), null, "client").session();
    }

    /** Runs code in a session and returns its events. */
    Recorder run(String token, String code) {
        var recorder = new Recorder();
        sessions.start(token, code).stream(recorder);
        return recorder;
    }

    /** Starts code in a session on another thread; the recorder fills as the events come. */
    Recorder start(String token, String code) {
        var recorder = new Recorder();
        Run run = sessions.start(token, code);
        new Thread(() -> run.stream(recorder), "test-run-" + run.id()).start();
        return recorder;
    }

    /**
     * The kernel of the session's sandbox as the host sees it, frozen between runs: found by a file
     * that one more run leaves in its working folder (pooled sandboxes are frozen too, so which
     * sandbox froze last says nothing), and by being pid 1 of its namespace.
     */
    ProcessHandle frozenKernel(String token) {
        String marker = ".kernel-" + java.util.UUID.randomUUID();
        assertThat(run(token, "open('" + marker + "', 'w').close()").done().status())
                .isEqualTo(dev.livepost.exec.RunStatus.OK);
        ProcessHandle kernel =
                ProcessHandle.current()
                        .descendants()
                        .filter(p -> p.info().command().orElse("").contains("python3"))
                        .filter(
                                p ->
                                        Files.exists(
                                                Path.of(
                                                        "/proc/"
                                                                + p.pid()
                                                                + "/root/work/"
                                                                + marker)))
                        .filter(LocalSandboxes::pidOneOfItsNamespace)
                        .findFirst()
                        .orElseThrow();
        // The done event can reach the test just before the session freezes its sandbox.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (!frozen(kernel) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10); // the cgroup's state has no event to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        assertThat(frozen(kernel)).as("frozen between runs").isTrue();
        return kernel;
    }

    private static boolean pidOneOfItsNamespace(ProcessHandle p) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
                if (line.startsWith("NSpid:")) {
                    return line.endsWith("\t1");
                }
            }
        } catch (java.io.IOException e) {
            // the process is gone
        }
        return false;
    }

    static boolean frozen(ProcessHandle p) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/cgroup"))) {
                String[] f = line.split(":", 3);
                if (f[1].equals("freezer")) {
                    Path state = Path.of("/sys/fs/cgroup/freezer" + f[2], "freezer.state");
                    // FREEZING: asked, and its tasks are stopping this instant.
                    return !Files.readString(state).trim().equals("THAWED");
                }
                if (f[0].equals("0") && f[1].isEmpty()) {
                    Path events = Path.of("/sys/fs/cgroup" + f[2], "cgroup.events");
                    if (Files.exists(events) && Files.readString(events).contains("frozen 1")) {
                        return true;
                    }
                }
            }
        } catch (java.io.IOException e) {
            // the process is gone
        }
        return false;
    }

    /**
     * The CPU weight of the process's cgroup as the kernel takes it ({@code cpu.shares} on v1,
     * {@code cpu.weight} on v2), or null where it has none.
     */
    static String cpuWeight(ProcessHandle p) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/cgroup"))) {
                String[] f = line.split(":", 3);
                Path file =
                        List.of(f[1].split(",")).contains("cpu")
                                ? Path.of("/sys/fs/cgroup/" + f[1] + f[2], "cpu.shares")
                                : f[0].equals("0") && f[1].isEmpty()
                                        ? Path.of("/sys/fs/cgroup" + f[2], "cpu.weight")
                                        : null;
                if (file != null && Files.exists(file)) {
                    return Files.readString(file).trim();
                }
            }
        } catch (java.io.IOException e) {
            // the process is gone
        }
        return null;
    }

    @Override
    public void close() {
        sessions.close();
        executor.close();
    }
}
