package dev.livepost.exec.anthropic;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * One container of {@link FakeAnthropic}: a sandbox with its own {@code /tmp} where bash commands
 * really run and background processes (the Livepost kernel) live on between commands, as in
 * Anthropic's containers.
 */
interface FakeContainer extends AutoCloseable {

    /**
     * What one bash command did.
     *
     * @param outputs files of {@code /tmp/outputs} the command created or changed, by name
     */
    record Exec(
            String stdout,
            String stderr,
            int returnCode,
            boolean timedOut,
            boolean cancelled,
            Map<String, byte[]> outputs) {}

    String id();

    /** Runs {@code command} with bash; stops it past {@code limit} or when {@code cancelled}. */
    Exec exec(String command, Duration limit, BooleanSupplier cancelled);

    /** Writes a file, as the text editor tool does. */
    default void write(String path, String content) {
        String b64 = Base64.getEncoder().encodeToString(content.getBytes(StandardCharsets.UTF_8));
        run(
                "mkdir -p \"$(dirname '"
                        + path
                        + "')\" && echo "
                        + b64
                        + " | base64 -d > '"
                        + path
                        + "'");
    }

    /** Like a checkpoint restore: every process is gone, files stay. */
    default void killProcesses() {
        run("[ -f /tmp/.livepost/kernel.pid ] && kill -9 $(cat /tmp/.livepost/kernel.pid); true");
    }

    /** Every process and file gone, the id kept. */
    default void wipe() {
        killProcesses();
        run("rm -rf /tmp/.livepost /tmp/work /tmp/outputs");
    }

    private void run(String command) {
        Exec e = exec(command, Duration.ofSeconds(30), () -> false);
        if (e.returnCode() != 0) {
            throw new IllegalStateException(command + " failed: " + e.stderr());
        }
    }

    @Override
    void close();
}
