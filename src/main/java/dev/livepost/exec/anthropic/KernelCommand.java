package dev.livepost.exec.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.exec.KernelScripts;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The bash commands that run a reader's code in the container's long-lived Livepost kernel ({@link
 * KernelScripts#anthropic()}, shipped as {@code lp.py}), and the status line the kernel appends to
 * stderr. The code travels verbatim in a quoted here-document (no expansion, no re-encoding), so
 * the command Claude is asked to run is the reader's code plus two short lines. Immutable;
 * thread-safe.
 */
final class KernelCommand {
    static final String DIR = "/tmp/.livepost";
    static final String SCRIPT = DIR + "/lp.py";

    /** Exit status of the short command when the kernel script is not in the container. */
    static final int NO_KERNEL = 86;

    static final String NO_KERNEL_MESSAGE = "livepost: no kernel";
    private static final String STATUS_PREFIX = "\nLIVEPOST-STATUS ";
    private static final String KERNEL_SOURCE = KernelScripts.anthropic();
    private static final SecureRandom RANDOM = new SecureRandom();

    private KernelCommand() {}

    /**
     * Runs {@code code} in the kernel of earlier runs ({@code warm}), assuming its script is in the
     * container. When that kernel is gone, a fresh one is started and the code is not run: the
     * status is {@code not_run}, lost {@code restarted}.
     */
    static String run(String code, Duration timeout) {
        return "[ -f "
                + SCRIPT
                + " ] || { echo '"
                + NO_KERNEL_MESSAGE
                + "' >&2; exit "
                + NO_KERNEL
                + "; }\n"
                + client(code, timeout, "warm");
    }

    /**
     * Ships the kernel script into the container, then runs {@code code} ({@code fresh}: in the
     * running kernel if there is one, else in a new one).
     */
    static String bootstrap(String code, Duration timeout) {
        String eof = delimiter("LIVEPOST_KERNEL", KERNEL_SOURCE);
        return "mkdir -p "
                + DIR
                + " && cat > "
                + SCRIPT
                + " <<'"
                + eof
                + "'\n"
                + KERNEL_SOURCE
                + (KERNEL_SOURCE.endsWith("\n") ? "" : "\n")
                + eof
                + "\n"
                + client(code, timeout, "fresh");
    }

    private static String client(String code, Duration timeout, String mode) {
        String eof = delimiter("LIVEPOST_CODE", code);
        long seconds = Math.max(1, timeout.toSeconds());
        return "python3 "
                + SCRIPT
                + " run "
                + seconds
                + " "
                + mode
                + " <<'"
                + eof
                + "'\n"
                + code
                + (code.endsWith("\n") ? "" : "\n")
                + eof;
    }

    /** A here-document end marker that cannot occur as a line of {@code body}. */
    private static String delimiter(String base, String body) {
        while (true) {
            String d = base + "_" + HexFormat.of().formatHex(randomBytes());
            if (!body.contains(d)) {
                return d;
            }
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[4];
        RANDOM.nextBytes(b);
        return b;
    }

    /** Whether the short command found no kernel script (a new or reset container). */
    static boolean missingKernel(long returnCode, String stderr) {
        return returnCode == NO_KERNEL && stderr.strip().equals(NO_KERNEL_MESSAGE);
    }

    /**
     * The kernel's report on one cell: facts, which the session puts into words.
     *
     * @param status {@code ok}, {@code error}, {@code timeout} (interrupted at its time limit,
     *     state kept), {@code interrupted}, {@code killed} (the kernel was killed or died; see
     *     {@code lost}), or {@code not_run} (a warm run found no kernel of earlier runs: a fresh
     *     one was started and the code was not run)
     * @param exitCode the cell's exit status ({@code sys.exit(n)}, 1 for an exception, 130 when
     *     interrupted, 137 when killed, 0 when not run)
     * @param lost null when the interpreter's state was kept; {@code restarted} when the kernel of
     *     earlier runs was gone or died and a fresh one was started; {@code timeout} when the cell
     *     ignored its interrupt at the time limit and the kernel was killed
     * @param displays the cell's rich values in order ({@code display(...)} calls, then the value
     *     of its last expression), each a MIME bundle
     */
    record Status(String status, int exitCode, String lost, List<JsonNode> displays) {}

    /** The stderr without the status line, and the status if the kernel wrote one. */
    record Split(String stderr, Optional<Status> status) {}

    static Split split(String stderr, ObjectMapper json) {
        int at = stderr.lastIndexOf(STATUS_PREFIX);
        if (at < 0) {
            return new Split(stderr, Optional.empty());
        }
        String line = stderr.substring(at + STATUS_PREFIX.length()).strip();
        try {
            JsonNode n = json.readTree(line);
            var displays = new ArrayList<JsonNode>();
            n.path("displays")
                    .forEach(
                            d -> {
                                if (d.isObject()) {
                                    displays.add(d);
                                }
                            });
            JsonNode lost = n.path("lost");
            var status =
                    new Status(
                            n.path("status").asText("error"),
                            n.path("exit").asInt(1),
                            lost.isTextual() ? lost.asText() : null,
                            List.copyOf(displays));
            return new Split(stderr.substring(0, at), Optional.of(status));
        } catch (IOException e) {
            return new Split(stderr, Optional.empty());
        }
    }
}
