package dev.livepost.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code livepost serve} in a JVM of its own, started from the test's class path on a free port, as
 * an operator's service manager would run it: a real process that gets real signals. Its output
 * (log and stdout together) is read as it comes, so a test waits for a line instead of sleeping.
 * Thread-safe.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on http://[^:]+:(\\d+)");

    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private boolean ended;
    private final int port;

    private ServerProcess(List<String> args, Map<String, String> env) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        command.add("dev.livepost.Main");
        command.add("serve");
        command.addAll(List.of("--host", "127.0.0.1", "--port", "0"));
        command.addAll(args);
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        this.process = builder.start();
        var reader = new Thread(this::read, "server-process-output");
        reader.setDaemon(true);
        reader.start();
        String line;
        try {
            line = awaitLine(LISTENING.pattern(), Duration.ofSeconds(90));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while the server started", e);
        } catch (AssertionError e) {
            process.destroyForcibly();
            throw e;
        }
        Matcher m = LISTENING.matcher(line);
        if (!m.find()) {
            throw new AssertionError(line);
        }
        this.port = Integer.parseInt(m.group(1));
    }

    /**
     * Starts the server with {@code args} after {@code serve --host 127.0.0.1 --port 0} and {@code
     * env} added to this JVM's environment; returns once it listens.
     */
    public static ServerProcess start(List<String> args, Map<String, String> env)
            throws IOException {
        return new ServerProcess(args, env);
    }

    public int port() {
        return port;
    }

    public Process process() {
        return process;
    }

    private void read() {
        try (var in =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                synchronized (this) {
                    lines.add(line);
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // the process is gone: what it wrote is what there is
        } finally {
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        }
    }

    /**
     * Waits for the first output line matching {@code regex} (anywhere in the line).
     *
     * @throws AssertionError when the output ends or time runs out first
     */
    public synchronized String awaitLine(String regex, Duration within)
            throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + within.toNanos();
        for (int seen = 0; ; ) {
            for (; seen < lines.size(); seen++) {
                if (p.matcher(lines.get(seen)).find()) {
                    return lines.get(seen);
                }
            }
            long left = deadline - System.nanoTime();
            if (ended || left <= 0) {
                throw new AssertionError("no line matching " + regex + " in:\n" + output());
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Everything the server wrote so far. */
    public synchronized String output() {
        return String.join("\n", lines);
    }

    /** Kills the server if it still runs. */
    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted", e));
        }
    }
}
