package dev.livepost.exec.anthropic;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * One container of {@link FakeAnthropic}: a sandbox with its own {@code /tmp} where bash commands
 * really run and background processes (the Livepost kernel) live on between commands, as in
 * Anthropic's containers. As there, a command sees {@code $OUTPUT_DIR} (a folder with a random name
 * per container: only files written there come back as file ids) and {@code $INPUT_DIR} (holding
 * the uploads of the request being answered, and only those).
 */
interface FakeContainer extends AutoCloseable {

    /**
     * What one bash command did.
     *
     * @param outputs files of {@code $OUTPUT_DIR} the command created or changed, by name
     */
    record Exec(
            String stdout,
            String stderr,
            int returnCode,
            boolean timedOut,
            boolean cancelled,
            Map<String, byte[]> outputs) {}

    String id();

    /** The container's {@code $OUTPUT_DIR}. */
    String outputDir();

    /** Makes {@code $INPUT_DIR} hold exactly these files (the uploads the request names). */
    void stage(Map<String, byte[]> uploads);

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
        run("rm -rf /tmp/.livepost /tmp/work '" + outputDir() + "'");
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
