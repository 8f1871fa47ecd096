package dev.livepost.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.App;
import dev.livepost.Config;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code livepost bench}: the local executor against a Jupyter kernel, measured in the same run on
 * the same machine for the same code, printed as one Markdown table of medians. Both sides are
 * timed from the client: Livepost over its HTTP API and event stream, Jupyter through
 * jupyter_client.
 */
public final class Bench {
    private static final String PRELOAD =
            "import numpy as np, pandas as pd, matplotlib.pyplot as plt";
    private static final Map<String, String> WORKLOADS = workloads();

    private final boolean quick;
    private final int repeats;

    private Bench(boolean quick) {
        this.quick = quick;
        this.repeats = quick ? 5 : 15;
    }

    private static Map<String, String> workloads() {
        var w = new LinkedHashMap<String, String>();
        w.put("print", "print(1)");
        w.put("fibonacci", "a, b = 0, 1\nfor _ in range(15):\n    print(a)\n    a, b = b, a + b");
        w.put("dataframe", "pd.DataFrame({'x': range(5), 'y': [i * i for i in range(5)]})");
        w.put("figure", "plt.plot([1, 3, 2, 4])\nplt.show()");
        return w;
    }

    public static void main(List<String> args, Path home) throws Exception {
        new Bench(args.contains("--quick")).run(home);
    }

    private void run(Path home) throws Exception {
        Path tmp = Files.createTempDirectory("livepost-bench");
        Path posts = Files.createDirectories(tmp.resolve("posts"));
        Files.writeString(
                posts.resolve("bench.md"),
                """
                ---
                title: Bench
                date: 2026-01-01
                ---
                ::code-runner{id=code}
                ```python
                print(1)
                ```
                """);
        Config config =
                Config.parse(
                        List.of(
                                "--port",
                                "0",
                                "--host",
                                "127.0.0.1",
                                "--executor",
                                "local",
                                "--posts",
                                posts.toString(),
                                "--data",
                                tmp.resolve("data").toString()),
                        System.getenv(),
                        home);
        var rows = new ArrayList<Row>();
        try (var app = new App(config)) {
            int port = app.start();
            var api = new ApiClient(URI.create("http://127.0.0.1:" + port));
            progress("warming up the sandbox pool ...");
            warmUp(api);
            rows.add(new Row("first output of a new session (ms)", firstOutput(api), null));
            String token = api.createSession("bench/code");
            api.run(token, PRELOAD);
            for (var w : WORKLOADS.entrySet()) {
                rows.add(
                        new Row(
                                "warm run: " + w.getKey() + " (ms)",
                                warmRuns(api, token, w.getValue()),
                                null));
            }
            api.deleteSession(token);
            rows.add(new Row("idle session memory, PSS (MiB)", List.of(idleSessionPss(api)), null));
        }
        progress("measuring the Jupyter kernel anchor ...");
        JsonNode anchor = jupyter();
        rows.set(0, rows.get(0).withAnchor(anchor.get("first_output_ms")));
        int i = 1;
        for (String name : WORKLOADS.keySet()) {
            rows.set(i, rows.get(i).withAnchor(anchor.get(name + "_ms")));
            i++;
        }
        rows.set(i, rows.get(i).withAnchor(anchor.get("idle_pss_mib")));
        System.out.println(table(rows));
    }

    private void warmUp(ApiClient api) throws Exception {
        for (int i = 0; i < 2; i++) {
            String t = api.createSession("bench/code");
            api.run(t, "print(1)");
            api.deleteSession(t);
        }
        Thread.sleep(3000); // let the pool refill
    }

    /** From POST /api/sessions to the first stdout event of {@code print(1)}. */
    private List<Double> firstOutput(ApiClient api) throws Exception {
        var samples = new ArrayList<Double>();
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            String token = api.createSession("bench/code");
            var timing = api.run(token, "print(1)");
            samples.add((timing.firstOutputNanos() - start) / 1e6);
            api.deleteSession(token);
            // Readers arrive apart; give the pool the time a real page load would.
            Thread.sleep(quick ? 1500 : 2000);
        }
        return samples;
    }

    private List<Double> warmRuns(ApiClient api, String token, String code) throws Exception {
        api.run(token, code);
        var samples = new ArrayList<Double>();
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            var timing = api.run(token, code);
            if (!timing.status().equals("ok")) {
                throw new IllegalStateException("bench run ended " + timing.status() + ": " + code);
            }
            samples.add((timing.doneNanos() - start) / 1e6);
        }
        return samples;
    }

    /**
     * What one more idle session costs: the PSS of all the server's child processes with {@code n}
     * idle sessions open, minus without them, divided by {@code n} (the pool is full both times).
     */
    private double idleSessionPss(ApiClient api) throws Exception {
        int n = 4;
        Thread.sleep(3000);
        double before = descendantsPssMib();
        var tokens = new ArrayList<String>();
        for (int i = 0; i < n; i++) {
            String t = api.createSession("bench/code");
            api.run(t, PRELOAD);
            tokens.add(t);
        }
        Thread.sleep(4000);
        double after = descendantsPssMib();
        for (String t : tokens) {
            api.deleteSession(t);
        }
        return (after - before) / n;
    }

    private static double descendantsPssMib() {
        return ProcessHandle.current().descendants().mapToLong(p -> pssKib(p.pid())).sum() / 1024.0;
    }

    private static long pssKib(long pid) {
        try {
            for (String line :
                    Files.readAllLines(Path.of("/proc", String.valueOf(pid), "smaps_rollup"))) {
                if (line.startsWith("Pss:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // The process ended or is not ours to read: it adds nothing.
        }
        return 0;
    }

    private JsonNode jupyter() throws IOException, InterruptedException {
        Path script = Files.createTempFile("jupyter_anchor", ".py");
        try (InputStream in = Bench.class.getResourceAsStream("/bench/jupyter_anchor.py")) {
            Files.write(script, in.readAllBytes());
        }
        var json = new ObjectMapper();
        var job = Map.of("repeats", repeats, "preload", PRELOAD, "workloads", WORKLOADS);
        var pb =
                new ProcessBuilder("/usr/bin/python3", script.toString())
                        .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("PYDEVD_DISABLE_FILE_VALIDATION", "1");
        Process p = pb.start();
        p.getOutputStream().write(json.writeValueAsBytes(job));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("the Jupyter anchor failed (is python3-ipykernel installed?)");
        }
        Files.deleteIfExists(script);
        return json.readTree(out);
    }

    private static void progress(String message) {
        System.err.println("bench: " + message);
    }

    /** One figure: the medians of both sides. */
    record Row(String figure, List<Double> livepost, List<Double> anchor) {
        Row withAnchor(JsonNode samples) {
            var list = new ArrayList<Double>();
            samples.forEach(n -> list.add(n.asDouble()));
            return new Row(figure, livepost, list);
        }
    }

    static String table(List<Row> rows) {
        var sb =
                new StringBuilder("| figure | livepost | anchor | ratio |\n|---|---:|---:|---:|\n");
        for (Row r : rows) {
            double l = median(r.livepost());
            double a = median(r.anchor());
            sb.append("| ")
                    .append(r.figure())
                    .append(" | ")
                    .append(format(l))
                    .append(" | ")
                    .append(format(a))
                    .append(" | ")
                    .append(a == 0 ? "n/a" : String.format("%.2fx", l / a))
                    .append(" |\n");
        }
        return sb.toString();
    }

    static double median(List<Double> samples) {
        var sorted = samples.stream().sorted().toList();
        int n = sorted.size();
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String format(double v) {
        return v >= 100 ? String.format("%.0f", v) : String.format("%.1f", v);
    }
}
