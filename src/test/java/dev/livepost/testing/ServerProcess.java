package dev.livepost.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The real server as a child process, run from the packaged jar ({@code target/livepost.jar}, built
 * before the integration tests), optionally as another user and inside given cgroups: what an
 * in-process {@link TestApp} cannot be. Its output is kept for failure messages. Not thread-safe.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");

    private final Process process;
    private final List<String> output = new ArrayList<>();
    private boolean ended; // guarded by output
    private final CompletableFuture<String> base = new CompletableFuture<>();

    /** What to start, and as whom. */
    public record Options(
            Path posts,
            Path data,
            Map<String, String> env,
            long uid,
            long gid,
            List<Path> cgroupProcs) {}

    private ServerProcess(Process process) {
        this.process = process;
        var reader = new Thread(this::read, "server-process-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code serve --port 0} and waits until it says where it listens.
     *
     * @throws AssertionError with the server's output if it does not within {@code within}
     */
    public static ServerProcess start(Options options, Duration within) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path jar = Path.of("target/livepost.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError(jar + " is missing: integration tests run after package");
        }
        var script = new StringBuilder();
        for (Path procs : options.cgroupProcs()) {
            script.append("echo $$ > '").append(procs).append("' && ");
        }
        script.append("exec \"$@\"");
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", script.toString(), "sh"));
        if (options.uid() >= 0) {
            command.addAll(
                    List.of(
                            "/usr/bin/setpriv",
                            "--reuid=" + options.uid(),
                            "--regid=" + options.gid(),
                            "--clear-groups",
                            "--inh-caps=-all",
                            "--"));
        }
        command.addAll(
                List.of(
                        java,
                        "-jar",
                        jar.toString(),
                        "serve",
                        "--port",
                        "0",
                        "--posts",
                        options.posts().toString(),
                        "--data",
                        options.data().toString()));
        var pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("LIVEPOST_"));
        pb.environment().put("LIVEPOST_PRECOMPUTE", "false");
        pb.environment().put("LIVEPOST_POOL_SIZE", "4"); // not hundreds beside each test
        pb.environment().putAll(options.env());
        pb.directory(options.data().toFile());
        var server = new ServerProcess(pb.start());
        try {
            server.base.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            server.close();
            throw new AssertionError("the server did not start:\n" + server.output(), e);
        }
        return server;
    }

    private void read() {
        try (var in =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (output) {
                    output.add(line);
                    output.notifyAll();
                }
                var m = LISTENING.matcher(line);
                if (m.find()) {
                    base.complete(m.group(1));
                }
            }
        } catch (IOException e) {
            // the process is gone
        } finally {
            base.completeExceptionally(new IOException("the server exited"));
            synchronized (output) {
                ended = true;
                output.notifyAll();
            }
        }
    }

    /** The server's root URL, e.g. {@code http://127.0.0.1:PORT}. */
    public String base() {
        return base.join();
    }

    public long pid() {
        return process.pid();
    }

    /**
     * Sends {@code SIGTERM}, as systemd or Docker stop a service, and returns at once. Unlike
     * {@link Process#destroy}, which also closes this end of the server's output, what the server
     * prints while it stops can still be read ({@link #awaitLine}).
     */
    public void terminate() {
        process.toHandle().destroy();
    }

    /** The server's exit status, once it exited within {@code within}; else empty. */
    public OptionalInt awaitExit(Duration within) throws InterruptedException {
        return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)
                ? OptionalInt.of(process.exitValue())
                : OptionalInt.empty();
    }

    /**
     * Waits for the first line of the server's output that matches {@code regex} (anywhere in the
     * line), from its start on; thread-safe.
     *
     * @throws AssertionError with the output when the server exits or time runs out first
     */
    public String awaitLine(String regex, Duration within) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + within.toNanos();
        synchronized (output) {
            for (int seen = 0; ; ) {
                for (; seen < output.size(); seen++) {
                    if (p.matcher(output.get(seen)).find()) {
                        return output.get(seen);
                    }
                }
                long left = deadline - System.nanoTime();
                if (ended || left <= 0) {
                    throw new AssertionError(
                            "no line matching " + regex + " in:\n" + String.join("\n", output));
                }
                output.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** Everything the server printed so far. */
    public String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    /** Stops the server (and its sandboxes with it) and waits until it has exited. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
