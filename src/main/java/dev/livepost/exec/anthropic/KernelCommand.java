package dev.livepost.exec.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The bash commands that run a reader's code in the container's long-lived Livepost kernel ({@code
 * kernel.py}), and the status line the kernel appends to stderr. The code travels verbatim in a
 * quoted here-document (no expansion, no re-encoding), so the command Claude is asked to run is the
 * reader's code plus two short lines. Immutable; thread-safe.
 */
final class KernelCommand {
    static final String DIR = "/tmp/.livepost";
    static final String SCRIPT = DIR + "/lp.py";

    /** Exit status of the short command when the kernel script is not in the container. */
    static final int NO_KERNEL = 86;

    static final String NO_KERNEL_MESSAGE = "livepost: no kernel";
    private static final String STATUS_PREFIX = "\nLIVEPOST-STATUS ";
    private static final String KERNEL_SOURCE = loadKernel();
    private static final SecureRandom RANDOM = new SecureRandom();

    private KernelCommand() {}

    /** Runs {@code code} in the kernel, assuming its script is already in the container. */
    static String run(String code, Duration timeout) {
        return "[ -f "
                + SCRIPT
                + " ] || { echo '"
                + NO_KERNEL_MESSAGE
                + "' >&2; exit "
                + NO_KERNEL
                + "; }\n"
                + client(code, timeout);
    }

    /** Ships the kernel script into the container, then runs {@code code} like {@link #run}. */
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
                + client(code, timeout);
    }

    private static String client(String code, Duration timeout) {
        String eof = delimiter("LIVEPOST_CODE", code);
        long seconds = Math.max(1, timeout.toSeconds());
        return "python3 "
                + SCRIPT
                + " run "
                + seconds
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
     * The kernel's report on one cell.
     *
     * @param status {@code ok}, {@code error}, {@code timeout}, {@code interrupted}, {@code killed}
     * @param started whether the kernel had to be started for this cell (earlier variables gone)
     * @param displays the cell's rich values in order ({@code display(...)} calls, then the value
     *     of its last expression), each a MIME bundle
     */
    record Status(
            String status,
            int exitCode,
            boolean started,
            java.util.List<JsonNode> displays,
            java.util.List<String> notes) {}

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
            var notes = new java.util.ArrayList<String>();
            n.path("notes").forEach(x -> notes.add(x.asText()));
            var displays = new java.util.ArrayList<JsonNode>();
            n.path("displays")
                    .forEach(
                            d -> {
                                if (d.isObject()) {
                                    displays.add(d);
                                }
                            });
            if (n.path("display").isObject()) {
                // A kernel from before display(...) existed reports only the last value.
                displays.add(n.get("display"));
            }
            var status =
                    new Status(
                            n.path("status").asText("error"),
                            n.path("exit").asInt(1),
                            n.path("started").asBoolean(false),
                            displays,
                            notes);
            return new Split(stderr.substring(0, at), Optional.of(status));
        } catch (IOException e) {
            return new Split(stderr, Optional.empty());
        }
    }

    /**
     * The script without its module docstring and comment lines: Claude types every character of it
     * into the first command of a container, so shorter is cheaper and faster.
     */
    static String compact(String script) {
        String body = script;
        if (body.startsWith("\"\"\"")) {
            int end = body.indexOf("\"\"\"", 3);
            body = body.substring(end + 3);
        }
        var out = new StringBuilder();
        for (String line : body.split("\n", -1)) {
            String t = line.strip();
            if (!t.startsWith("#") && !(t.isEmpty() && out.toString().endsWith("\n\n"))) {
                out.append(line).append('\n');
            }
        }
        return out.toString().strip() + "\n";
    }

    private static String loadKernel() {
        try (InputStream in = KernelCommand.class.getResourceAsStream("kernel.py")) {
            if (in == null) {
                throw new IllegalStateException("kernel.py is missing from the jar");
            }
            return compact(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
