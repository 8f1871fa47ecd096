package dev.livepost.exec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The in-sandbox Python kernels, each one self-contained script: the cell core ({@code
 * kernel/cell.py}) followed by a transport ({@code kernel/local.py}, after the other languages'
 * runners of {@code kernel/langs.py}, or {@code kernel/anthropic.py}); and the class files of the
 * JShell driver that {@code lang=java} runs in a sandbox. A transport imports the core with a line
 * marked {@value #DROPPED_MARK}, so that it also runs next to {@code cell.py} during development;
 * that line is dropped here. Assembled once, when the class is loaded. Immutable; thread-safe.
 */
public final class KernelScripts {
    /** Ends the lines of a transport that exist only for running it next to {@code cell.py}. */
    static final String DROPPED_MARK = "# livepost: dropped when assembled";

    private static final String LOCAL = assemble("langs.py", "local.py");
    private static final String ZYGOTE = LOCAL + "\n\n" + strip(resource("zygote.py"));
    private static final String ANTHROPIC = compact(assemble("anthropic.py"));
    private static final Map<String, String> JSHELL_DRIVER =
            classFiles("JShellDriver", "Messages", "StreamOut");

    private KernelScripts() {}

    /** The local executor's kernel: a JSON-lines pipe protocol inside a bubblewrap sandbox. */
    public static String local() {
        return LOCAL;
    }

    /**
     * The local kernel followed by {@code kernel/zygote.py}: run with {@code __name__ ==
     * "__zygote__"}, it preloads the libraries and forks sandboxes whose kernel is the local one.
     */
    public static String zygote() {
        return ZYGOTE;
    }

    /**
     * The Anthropic container's kernel ({@code lp.py serve} and {@code lp.py run}), compacted: it
     * travels in the first command of every container.
     */
    public static String anthropic() {
        return ANTHROPIC;
    }

    private static String assemble(String... parts) {
        String script = resource("cell.py");
        for (String part : parts) {
            script += (script.endsWith("\n") ? "\n\n" : "\n\n\n") + strip(resource(part));
        }
        return script;
    }

    private static String strip(String transport) {
        return transport
                .lines()
                .filter(l -> !l.stripTrailing().endsWith(DROPPED_MARK))
                .collect(Collectors.joining("\n", "", "\n"));
    }

    /**
     * The script without docstrings, comment lines and runs of blank lines: Claude types every
     * character of it into the first command of a container, so shorter is cheaper and faster. A
     * docstring here is a statement line that starts with triple quotes (the scripts put no other
     * string there); a function must not consist of its docstring alone.
     */
    static String compact(String script) {
        var out = new StringBuilder();
        boolean inDocstring = false;
        for (String line : script.split("\n", -1)) {
            String t = line.strip();
            if (inDocstring) {
                inDocstring = !t.contains("\"\"\"");
                continue;
            }
            if (t.startsWith("\"\"\"")) {
                inDocstring = !t.substring(3).contains("\"\"\"");
                continue;
            }
            boolean blank = t.isEmpty();
            if (t.startsWith("#") || (blank && (out.isEmpty() || endsWithBlankLine(out)))) {
                continue;
            }
            out.append(line).append('\n');
        }
        return out.toString().strip() + "\n";
    }

    private static boolean endsWithBlankLine(StringBuilder out) {
        int n = out.length();
        return n >= 2 && out.charAt(n - 1) == '\n' && out.charAt(n - 2) == '\n';
    }

    /**
     * The class files of the JShell driver ({@code dev.livepost.kernel}) by path, base64: a
     * sandbox's kernel writes them where its JVM finds them.
     */
    public static Map<String, String> jshellDriver() {
        return JSHELL_DRIVER;
    }

    private static Map<String, String> classFiles(String... names) {
        var files = new LinkedHashMap<String, String>();
        for (String name : names) {
            String path = "dev/livepost/kernel/" + name + ".class";
            try (InputStream in = KernelScripts.class.getResourceAsStream("/" + path)) {
                if (in == null) {
                    throw new IllegalStateException(path + " is missing from the jar");
                }
                files.put(path, Base64.getEncoder().encodeToString(in.readAllBytes()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Collections.unmodifiableMap(files);
    }

    private static String resource(String name) {
        try (InputStream in = KernelScripts.class.getResourceAsStream("/kernel/" + name)) {
            if (in == null) {
                throw new IllegalStateException("kernel/" + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
