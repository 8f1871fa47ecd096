package dev.livepost.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The rows of the languages other than Python: for each, the first output of a new session, a warm
 * run and what one more idle session costs (PSS), against the same runtime started bare on the
 * host, outside any sandbox (the anchor of the first output and of the memory; a warm run has
 * none). Not thread-safe: one bench at a time.
 */
final class LanguageBench {
    /**
     * One language: its artifact's code (prints 1), its warm run, and its anchor: the bare runtime
     * printing 1, then waiting on its stdin.
     */
    record Language(String name, String code, String warm, List<String> bare, String bareInput) {
        Language(String name, String code, String warm, List<String> bare) {
            this(name, code, warm, bare, "");
        }
    }

    static final List<Language> LANGUAGES =
            List.of(
                    new Language(
                            "javascript",
                            "console.log(1)",
                            "let s = 0; for (let i = 0; i < 15; i++) s += i; console.log(s)",
                            List.of(
                                    "/usr/bin/node",
                                    "-e",
                                    "console.log(1); process.stdin.resume()")),
                    new Language(
                            "bash",
                            "echo 1",
                            "for i in $(seq 1 15); do echo $i; done",
                            List.of("/bin/bash", "--norc", "-c", "echo 1; read -r _")),
                    new Language(
                            "sql",
                            "select 1;",
                            "create table if not exists t(x);\ninsert into t values (1);\n"
                                    + "select count(*) from t;",
                            List.of(
                                    "/usr/bin/python3",
                                    "-c",
                                    "import sqlite3, sys\n"
                                            + "c = sqlite3.connect(':memory:')\n"
                                            + "print(c.execute('select 1').fetchone()[0],"
                                            + " flush=True)\n"
                                            + "sys.stdin.read()")),
                    new Language(
                            "java",
                            "System.out.println(1)",
                            "int s = 0;\nfor (int i = 0; i < 15; i++) s += i;\n"
                                    + "System.out.println(s);",
                            // The jshell tool as a reader would start it (two JVMs: its own and
                            // the remote agent running the snippets).
                            List.of(
                                    "/usr/lib/jvm/java-17-openjdk-amd64/bin/jshell",
                                    "--feedback",
                                    "silent"),
                            "System.out.println(1)\n"));

    private LanguageBench() {}

    static final String SLUG = "bench-languages";

    /** The post of the languages' artifacts, one per language, with ids the languages' names. */
    static String post() {
        var md = new StringBuilder("---\ntitle: Bench languages\ndate: 2026-01-01\n---\n");
        for (Language l : LANGUAGES) {
            md.append("\n::code-runner{id=")
                    .append(l.name())
                    .append("}\n```")
                    .append(l.name())
                    .append('\n')
                    .append(l.code())
                    .append("\n```\n");
        }
        return md.toString();
    }

    static List<Bench.Row> rows(ApiClient api, int repeats) throws Exception {
        var rows = new ArrayList<Bench.Row>();
        for (Language l : LANGUAGES) {
            Bench.progress("measuring " + l.name() + " ...");
            String artifact = SLUG + "/" + l.name();
            // The first session of a language starts its pool; a reader after that finds it full.
            String warmup = api.createSession(artifact);
            api.run(warmup, l.code());
            api.deleteSession(warmup);
            Thread.sleep(3000);
            var first = new ArrayList<Double>();
            var bareFirst = new ArrayList<Double>();
            for (int i = 0; i < repeats; i++) {
                long start = System.nanoTime();
                String t = api.createSession(artifact);
                var timing = api.run(t, l.code());
                check(l, timing);
                first.add((timing.firstOutputNanos() - start) / 1e6);
                api.deleteSession(t);
                bareFirst.add(bareFirstOutputMs(l));
                Thread.sleep(1500); // readers arrive apart; the pool refills meanwhile
            }
            String t = api.createSession(artifact);
            var warm = new ArrayList<Double>();
            for (int i = 0; i < repeats + 5; i++) {
                long start = System.nanoTime();
                var timing = api.run(t, l.warm());
                check(l, timing);
                if (i >= 5) {
                    warm.add((timing.doneNanos() - start) / 1e6);
                }
            }
            api.deleteSession(t);
            rows.add(
                    new Bench.Row(
                            l.name() + ": first output of a new session (ms)", first, bareFirst));
            rows.add(new Bench.Row(l.name() + ": warm run (ms)", warm, List.of()));
            rows.add(
                    new Bench.Row(
                            l.name() + ": idle session memory, PSS (MiB)",
                            List.of(idlePss(api, l, artifact)),
                            List.of(barePss(l))));
        }
        return rows;
    }

    private static void check(Language l, ApiClient.Timing timing) throws IOException {
        if (!timing.status().equals("ok")) {
            throw new IOException(l.name() + " bench run ended " + timing.status());
        }
    }

    /** What one more idle session costs, as {@link Bench} measures Python's. */
    private static double idlePss(ApiClient api, Language l, String artifact) throws Exception {
        int n = 4;
        Thread.sleep(3000);
        double before = Bench.descendantsPssMib();
        var tokens = new ArrayList<String>();
        for (int i = 0; i < n; i++) {
            String t = api.createSession(artifact);
            api.run(t, l.warm());
            tokens.add(t);
        }
        Thread.sleep(4000);
        double after = Bench.descendantsPssMib();
        for (String t : tokens) {
            api.deleteSession(t);
        }
        return (after - before) / n;
    }

    /** The bare runtime, started on the host: from the start to its first output. */
    private static double bareFirstOutputMs(Language l) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process p = bare(l);
        try (InputStream out = p.getInputStream()) {
            awaitOne(l, p, out);
            return (System.nanoTime() - start) / 1e6;
        } finally {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** The bare runtime, idle after one command: its PSS. */
    private static double barePss(Language l) throws IOException, InterruptedException {
        Process p = bare(l);
        try (InputStream out = p.getInputStream()) {
            awaitOne(l, p, out);
            Thread.sleep(1000);
            return Bench.pssKib(p.pid()) / 1024.0;
        } finally {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Sends the bare runtime its input, if any, and reads up to the "1" it prints. */
    private static void awaitOne(Language l, Process p, InputStream out) throws IOException {
        if (!l.bareInput().isEmpty()) {
            p.getOutputStream().write(l.bareInput().getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().flush();
        }
        var seen = new StringBuilder();
        int c;
        while ((c = out.read()) >= 0) {
            seen.append((char) c);
            if (seen.toString().endsWith("1\n")) {
                return;
            }
        }
        throw new IOException(l.name() + " printed no 1: " + seen);
    }

    private static Process bare(Language l) throws IOException {
        var pb = new ProcessBuilder(l.bare());
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.directory(Files.createTempDirectory("livepost-bench-bare").toFile());
        return pb.start();
    }
}
