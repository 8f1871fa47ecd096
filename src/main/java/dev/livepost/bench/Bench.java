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
 * timed by one Python client ({@code bench/measure.py}): Livepost over its HTTP API and event
 * stream on a keep-alive connection, Jupyter over ZMQ through jupyter_client.
 */
public final class Bench {
    private static final String PRELOAD =
            "import numpy as np, pandas as pd, matplotlib.pyplot as plt";
    private static final String ARTIFACT = "bench/code";
    private static final Map<String, String> WORKLOADS = workloads();
    private static final int SERVER_WARM_UP_RUNS = 50;

    private final boolean quick;
    private final boolean languagesOnly;
    private final int repeats;

    private Bench(boolean quick, boolean languagesOnly) {
        this.quick = quick;
        this.languagesOnly = languagesOnly;
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
        if (args.contains("--load")) {
            Load.main(args, home);
            return;
        }
        if (args.contains("--anthropic")) { // only the anthropic executor's rows
            System.out.println(table(AnthropicBench.rows(home, args.contains("--quick"))));
            return;
        }
        new Bench(args.contains("--quick"), args.contains("--languages")).run(home);
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
        // Apart, so that the first paint of the bench post loads no other language's grammar.
        Files.writeString(posts.resolve(LanguageBench.SLUG + ".md"), LanguageBench.post());
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
                        benchEnv(),
                        home);
        JsonNode measured;
        double idleSessionPss;
        List<List<FirstPaint.Load>> paint;
        List<Row> languages;
        try (var app = new App(config)) {
            String url = "http://127.0.0.1:" + app.start();
            var api = new ApiClient(URI.create(url));
            if (languagesOnly) {
                System.out.println(table(LanguageBench.rows(api, repeats)));
                return;
            }
            progress("warming up the server and the sandbox pool ...");
            warmUp(api);
            progress(
                    "measuring Livepost and a Jupyter kernel, "
                            + repeats
                            + " runs of each figure ...");
            measured = measure(url);
            idleSessionPss = idleSessionPss(api);
            languages = LanguageBench.rows(api, repeats);
            paint =
                    FirstPaint.available()
                            ? FirstPaint.measure(url + "/posts/bench", repeats)
                            : null;
        }
        JsonNode lp = measured.get("livepost");
        JsonNode jp = measured.get("jupyter");
        var rows = new ArrayList<Row>();
        rows.add(
                Row.of(
                        "first output of a new session (ms)",
                        lp.get("first_output_ms"),
                        jp.get("first_output_ms")));
        for (String name : WORKLOADS.keySet()) {
            rows.add(
                    Row.of(
                            "warm run: " + name + " (ms)",
                            lp.get(name + "_ms"),
                            jp.get(name + "_ms")));
        }
        rows.add(
                new Row(
                        "idle session memory, PSS (MiB)",
                        List.of(idleSessionPss),
                        samples(jp.get("idle_pss_mib"))));
        rows.addAll(languages);
        if (paint != null) {
            rows.addAll(FirstPaint.rows(paint.get(0), paint.get(1)));
        }
        rows.addAll(LoadRows.measure(quick, home));
        rows.addAll(AnthropicBench.rows(home, quick));
        System.out.println(table(rows));
    }

    /**
     * The server's settings, without background runs of its own that would skew the figures, and
     * with room for the bench's own runs, which all come from one address.
     */
    private static Map<String, String> benchEnv() {
        var env = new java.util.HashMap<>(System.getenv());
        env.put("LIVEPOST_PRECOMPUTE", "false");
        env.putIfAbsent("LIVEPOST_RUNS_PER_MINUTE", "100000");
        // One reader at a time: an auto pool (the default) would still be filling, ~1000
        // sandboxes over ~100 s here, while the figures are measured, and the idle session's PSS
        // would count the sandboxes it started meanwhile (60.7 MiB measured where 5.6 is true).
        env.putIfAbsent("LIVEPOST_POOL_SIZE", "4");
        return env;
    }

    /**
     * Brings the server to the state of one that has served readers for a while: its JIT has
     * compiled what a run and each workload's output go through (HTML of a table, a PNG). The
     * measured sessions are new, as are their kernels; Jupyter's kernel is Python and needs no such
     * warming.
     */
    private void warmUp(ApiClient api) throws Exception {
        for (int i = 0; i < 2; i++) {
            String t = api.createSession(ARTIFACT);
            api.run(t, "print(1)");
            api.deleteSession(t);
        }
        String t = api.createSession(ARTIFACT);
        api.run(t, PRELOAD);
        for (int i = 0; i < SERVER_WARM_UP_RUNS; i++) {
            for (String code : WORKLOADS.values()) {
                api.run(t, code);
            }
        }
        api.deleteSession(t);
        Thread.sleep(3000); // let the pool refill
    }

    /** Runs measure.py, which times both sides from one Python process. */
    private JsonNode measure(String url) throws IOException, InterruptedException {
        Path script = Files.createTempFile("livepost-measure", ".py");
        try (InputStream in = Bench.class.getResourceAsStream("/bench/measure.py")) {
            Files.write(script, in.readAllBytes());
        }
        var json = new ObjectMapper();
        var job =
                Map.of(
                        "repeats", repeats,
                        "warmup", quick ? 5 : 10,
                        "preload", PRELOAD,
                        "workloads", WORKLOADS,
                        "livepost",
                                Map.of(
                                        "url",
                                        url,
                                        "artifact",
                                        ARTIFACT,
                                        "pause",
                                        quick ? 1.5 : 2.0));
        var pb =
                new ProcessBuilder("/usr/bin/python3", script.toString())
                        .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("PYDEVD_DISABLE_FILE_VALIDATION", "1");
        Process p = pb.start();
        p.getOutputStream().write(json.writeValueAsBytes(job));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        Files.deleteIfExists(script);
        if (exit != 0) {
            throw new IOException(
                    "measuring failed (exit " + exit + "); is python3-ipykernel installed?");
        }
        return json.readTree(out);
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
            String t = api.createSession(ARTIFACT);
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

    static double descendantsPssMib() {
        return ProcessHandle.current().descendants().mapToLong(p -> pssKib(p.pid())).sum() / 1024.0;
    }

    static long pssKib(long pid) {
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

    static void progress(String message) {
        System.err.println("bench: " + message);
    }

    /** One figure: the samples of both sides. */
    record Row(String figure, List<Double> livepost, List<Double> anchor) {
        static Row of(String figure, JsonNode livepost, JsonNode anchor) {
            return new Row(figure, samples(livepost), samples(anchor));
        }
    }

    private static List<Double> samples(JsonNode array) {
        var list = new ArrayList<Double>();
        array.forEach(n -> list.add(n.asDouble()));
        return list;
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
                    .append(a == 0 || Double.isNaN(a) ? "n/a" : String.format("%.2fx", l / a))
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
        if (Double.isNaN(v)) {
            return "-";
        }
        return v >= 100 ? String.format("%.0f", v) : String.format("%.1f", v);
    }
}
