package dev.livepost.kernel;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
import sun.misc.Signal;

/**
 * Runs {@code lang=java} code in one JShell per sandbox, in this JVM (the local execution engine:
 * one JVM, not two). Arguments: the fds of the command pipe (one base64 line of code per run) and
 * of the out pipe (JSON lines, see {@code ChildRunner} in {@code kernel/langs.py}). Declarations
 * persist across runs; the last snippet's value, if it is an expression, is displayed; a compile
 * error or an exception ends the run with status error, naming the run's line. SIGINT stops the
 * running snippet. Single-threaded but for the SIGINT handler.
 */
public final class JShellDriver {
    /** What the jshell tool imports at startup, so that snippets read as they do there. */
    private static final List<String> IMPORTS =
            List.of(
                    "java.io.*",
                    "java.math.*",
                    "java.net.*",
                    "java.nio.file.*",
                    "java.util.*",
                    "java.util.concurrent.*",
                    "java.util.function.*",
                    "java.util.regex.*",
                    "java.util.stream.*");

    private final JShell shell;
    private final SourceCodeAnalysis analysis;
    private final Messages messages;
    private final PrintStream err;

    /** Snippet id -> {run, first line in that run}, for stack traces. */
    private final Map<String, int[]> lines = new HashMap<>();

    private volatile boolean interrupted;
    private volatile boolean running;
    private volatile int run;

    private JShellDriver(JShell shell, Messages messages, PrintStream err) {
        this.shell = shell;
        this.analysis = shell.sourceCodeAnalysis();
        this.messages = messages;
        this.err = err;
    }

    public static void main(String[] args) throws Exception {
        var messages = new Messages(new FileOutputStream("/proc/self/fd/" + args[1]));
        var out = new PrintStream(new StreamOut(messages, "stdout"), true, StandardCharsets.UTF_8);
        var err = new PrintStream(new StreamOut(messages, "stderr"), true, StandardCharsets.UTF_8);
        System.setOut(out);
        System.setErr(err);
        JShell shell = JShell.builder().executionEngine("local").out(out).err(err).build();
        var driver = new JShellDriver(shell, messages, err);
        for (String i : IMPORTS) {
            shell.eval("import " + i + ";"); // also compiles once, so the first run is warm
        }
        Signal.handle(new Signal("INT"), s -> driver.stop());
        try (var commands =
                new BufferedReader(
                        new InputStreamReader(
                                new FileInputStream("/proc/self/fd/" + args[0]),
                                StandardCharsets.UTF_8))) {
            String line;
            while ((line = commands.readLine()) != null) {
                String code =
                        new String(
                                Base64.getDecoder().decode(line.strip()), StandardCharsets.UTF_8);
                boolean ok = driver.run(code);
                out.flush();
                err.flush();
                messages.done(ok);
            }
        }
        System.exit(0);
    }

    /**
     * SIGINT: stops the running snippet. One being compiled has no code running yet, so a thread
     * keeps stopping until the run is over: the snippet stops as soon as it starts.
     */
    private void stop() {
        int gen = run;
        if (interrupted || !running) {
            return;
        }
        interrupted = true;
        var stopper =
                new Thread(
                        () -> {
                            while (running && interrupted && run == gen) {
                                shell.stop();
                                try {
                                    Thread.sleep(50);
                                } catch (InterruptedException e) {
                                    return;
                                }
                            }
                        },
                        "livepost-stop");
        stopper.setDaemon(true);
        stopper.start();
    }

    /** Runs the snippets of one run's code; false at the first that fails. */
    private boolean run(String code) {
        interrupted = false;
        run++;
        running = true;
        try {
            return snippets(code);
        } finally {
            running = false;
        }
    }

    private boolean snippets(String code) {
        String rest = code;
        String value = null;
        while (!rest.isBlank()) {
            if (interrupted) {
                err.println("Interrupted");
                return false;
            }
            int consumed = code.length() - rest.length();
            var info = analysis.analyzeCompletion(rest);
            String source;
            if (info.completeness().isComplete()) {
                source = info.source();
                rest = info.remaining();
            } else {
                source = rest; // incomplete: let the compiler say what is missing, and where
                rest = "";
            }
            // The line of the source's first character, whether or not it kept leading blanks.
            String body = source.stripLeading();
            int at = code.indexOf(body.isEmpty() ? source : body, consumed);
            int first = 1 + count(code, Math.max(at, consumed));
            // Diagnostics count from the source's first character, stack traces from its code.
            int line = first - count(source, source.length() - body.length());
            value = null;
            for (SnippetEvent e : shell.eval(source)) {
                if (e.causeSnippet() != null) {
                    continue; // a dependent snippet updated: not this run's news
                }
                Snippet s = e.snippet();
                lines.put(s.id(), new int[] {run, first});
                if (e.status() == Snippet.Status.REJECTED) {
                    compileError(s, source, line);
                    return false;
                }
                if (e.exception() != null) {
                    exception(e.exception());
                    return false;
                }
                if (e.status() == Snippet.Status.RECOVERABLE_DEFINED
                        || e.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED) {
                    err.println(
                            "note: run-"
                                    + run
                                    + ".java:"
                                    + line
                                    + ": declared, but it cannot be used until "
                                    + shell.unresolvedDependencies(
                                                    (jdk.jshell.DeclarationSnippet) s)
                                            .toList()
                                    + " exist");
                }
                if (e.value() != null
                        && (s.kind() == Snippet.Kind.EXPRESSION
                                || s.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND)) {
                    value = e.value();
                }
            }
        }
        System.out.flush();
        if (value != null) {
            messages.display(value);
        }
        return true;
    }

    private void compileError(Snippet s, String source, int line) {
        for (Diag d : shell.diagnostics(s).toList()) {
            if (!d.isError()) {
                continue;
            }
            int pos = (int) Math.max(0, Math.min(source.length(), d.getStartPosition()));
            int at = line + count(source, pos);
            int from = source.lastIndexOf('\n', pos - 1) + 1;
            int to = source.indexOf('\n', pos);
            String text = source.substring(from, to < 0 ? source.length() : to);
            err.println(
                    "run-" + run + ".java:" + at + ": error: " + d.getMessage(Locale.ROOT).strip());
            err.println(text);
            err.println(" ".repeat(pos - from) + "^");
        }
    }

    private void exception(JShellException x) {
        if (x instanceof UnresolvedReferenceException u) {
            err.println(
                    "Error: "
                            + u.getSnippet().source().strip()
                            + " cannot be used until what it needs is declared");
            return;
        }
        String name = x instanceof EvalException e ? e.getExceptionClassName() : "Exception";
        err.println(name + (x.getMessage() == null ? "" : ": " + x.getMessage()));
        for (StackTraceElement f : x.getStackTrace()) {
            String cls = f.getClassName();
            if (cls.startsWith("jdk.jshell.") || cls.startsWith("jdk.internal.reflect.")) {
                break;
            }
            String file = f.getFileName();
            if (file != null && file.startsWith("#") && lines.containsKey(file.substring(1))) {
                int[] at = lines.get(file.substring(1));
                String where = "run-" + at[0] + ".java:" + (at[1] + f.getLineNumber() - 1);
                // A snippet's own statements run in a method of jshell's making: no name to show.
                String method = f.getMethodName();
                boolean named = !method.isEmpty() && !method.startsWith("do_it$");
                err.println("\tat " + (named ? method + " (" + where + ")" : where));
            } else {
                err.println("\tat " + f);
            }
        }
    }

    private static int count(String s, int end) {
        int n = 0;
        for (int i = 0; i < end && i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }
}
