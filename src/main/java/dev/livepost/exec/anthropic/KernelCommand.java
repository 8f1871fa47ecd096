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
 * KernelScripts#anthropic()}, kept as {@code lp.py}), and the status line the kernel appends to
 * stderr. Claude types every character of a command as tool input (billed as output tokens, and
 * each one a chance to mistype), so commands are short: the kernel arrives as an upload in {@code
 * $INPUT_DIR} and is copied into place, and long code does too; only short code travels verbatim in
 * a quoted here-document (no expansion, no re-encoding). Immutable; thread-safe.
 */
final class KernelCommand {
    static final String DIR = "/tmp/.livepost";
    static final String SCRIPT = DIR + "/lp.py";

    /** Exit status of a command whose upload was not in {@code $INPUT_DIR}. */
    static final int NO_UPLOAD = 87;

    static final String KERNEL_SOURCE = KernelScripts.anthropic();
    private static final String STATUS_PREFIX = "\nLIVEPOST-STATUS ";
    private static final String NO_SCRIPT = "can't open file '" + SCRIPT + "'";
    private static final SecureRandom RANDOM = new SecureRandom();

    private KernelCommand() {}

    /**
     * Where the kernel script comes from in a command.
     *
     * <p>{@link Present}: already in the container (a later run); {@link Upload}: copied from the
     * upload of that name in {@code $INPUT_DIR}; {@link Inline}: written from a here-document that
     * holds the whole script (the fallback when uploads fail, about 10 KB).
     */
    sealed interface Kernel {
        record Present() implements Kernel {}

        record Upload(String name) implements Kernel {}

        record Inline() implements Kernel {}
    }

    /** The reader's code: verbatim in the command, or the upload of that name. */
    sealed interface Code {
        record Verbatim(String source) implements Code {}

        record Upload(String name) implements Code {}
    }

    /**
     * The command that makes sure of the kernel and runs the code. With {@link Kernel.Present} it
     * runs in the kernel of earlier runs ({@code warm}): when that kernel is gone a fresh one is
     * started and the code is not run (status {@code not_run}, lost {@code restarted}), and when
     * the script itself is gone python says so ({@link #missingKernel}). Otherwise the script is
     * put in place first and the code runs {@code fresh}: in the running kernel if there is one,
     * else in a new one.
     */
    static String command(Kernel kernel, Code code, Duration timeout) {
        String mode = kernel instanceof Kernel.Present ? "warm" : "fresh";
        return install(kernel) + client(code, timeout, mode);
    }

    private static String install(Kernel kernel) {
        if (kernel instanceof Kernel.Upload u) {
            return "mkdir -p "
                    + DIR
                    + "&&cp \"$INPUT_DIR/"
                    + u.name()
                    + "\" "
                    + SCRIPT
                    + "||exit "
                    + NO_UPLOAD
                    + "\n";
        }
        if (kernel instanceof Kernel.Inline) {
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
                    + "\n";
        }
        return "";
    }

    private static String client(Code code, Duration timeout, String mode) {
        long seconds = Math.max(1, timeout.toSeconds());
        String head = "python3 " + SCRIPT + " run " + seconds + " " + mode;
        if (code instanceof Code.Upload u) {
            String file = "\"$INPUT_DIR/" + u.name() + "\"";
            return "test -f " + file + "||exit " + NO_UPLOAD + "\n" + head + " <" + file;
        }
        String source = ((Code.Verbatim) code).source();
        String eof = delimiter("LP", source);
        return head + " <<'" + eof + "'\n" + source + (source.endsWith("\n") ? "" : "\n") + eof;
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

    /** Whether a warm command found no kernel script (a new or reset container). */
    static boolean missingKernel(long returnCode, String stderr) {
        return returnCode == 2 && stderr.contains(NO_SCRIPT) && !stderr.contains(STATUS_PREFIX);
    }

    /** Whether a command found no upload in {@code $INPUT_DIR} (nothing of the code ran). */
    static boolean missingUpload(long returnCode, String stderr) {
        return returnCode == NO_UPLOAD && !stderr.contains(STATUS_PREFIX);
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
