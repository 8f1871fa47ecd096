package dev.livepost.bench;

import dev.livepost.App;
import dev.livepost.Config;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code livepost bench --load}: simulated readers against one server on loopback, each with an
 * address of its own (sent as {@code X-Forwarded-For}; the server must trust loopback as its proxy,
 * as the one this command starts does). Two shapes: readers who stay ({@code --readers N --seconds
 * T --every S}: each opens a session, runs {@code print(1)}, and runs again every S seconds for T
 * seconds) and a burst ({@code --burst N --within S}: N new readers, each opening a session and
 * running once). Prints time to first output, errors by kind, what the server did (evictions,
 * waits) and what it cost (the server's RSS, the sandboxes' PSS). Bounded: at most {@link
 * #MAX_READERS} readers and {@link #MAX_SECONDS} seconds, loopback only.
 */
public final class Load {
    static final int MAX_READERS = 2000;
    static final int MAX_SECONDS = 600;
    private static final String ARTIFACT = "load/code";
    static final String TOTAL_PSS = "sandboxes, total PSS (MiB)";
    private static final Duration POOL_FILL_WAIT = Duration.ofMinutes(4);

    /**
     * What to simulate; a {@code server} of null starts one in this process, which {@code warmUp}
     * readers visit first, with a pool of {@code pool} ready sandboxes (-1: the server's default,
     * {@code LIVEPOST_POOL_SIZE}) that is full when the load begins.
     */
    record Options(
            int readers,
            int seconds,
            int every,
            int burst,
            int within,
            int warmUp,
            int pool,
            URI server) {
        static Options parse(List<String> args) {
            var values = new HashMap<String, String>();
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if (a.startsWith("--")
                        && i + 1 < args.size()
                        && !args.get(i + 1).startsWith("--")) {
                    values.put(a, args.get(++i));
                }
            }
            var o =
                    new Options(
                            number(values, "--readers", 100),
                            number(values, "--seconds", 60),
                            number(values, "--every", 10),
                            number(values, "--burst", 0),
                            number(values, "--within", 10),
                            number(values, "--warm-up", WARM_UP_READERS),
                            number(values, "--pool", -1),
                            values.containsKey("--server")
                                    ? URI.create(values.get("--server"))
                                    : null);
            if (o.readers() > MAX_READERS || o.burst() > MAX_READERS || o.warmUp() > MAX_READERS) {
                throw new IllegalArgumentException("at most " + MAX_READERS + " readers");
            }
            if (o.seconds() > MAX_SECONDS || o.within() > MAX_SECONDS) {
                throw new IllegalArgumentException("at most " + MAX_SECONDS + " seconds");
            }
            if (o.server() != null && o.pool() >= 0) {
                throw new IllegalArgumentException(
                        "--pool sizes the server this command starts; not with --server");
            }
            if (o.server() != null && !loopback(o.server())) {
                throw new IllegalArgumentException(
                        "--server must be on loopback (127.0.0.1, ::1, localhost), not "
                                + o.server());
            }
            return o;
        }

        private static int number(Map<String, String> values, String flag, int fallback) {
            String v = values.get(flag);
            try {
                if (v == null) {
                    return fallback;
                }
                int n = Integer.parseInt(v);
                if (n < 0) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " must be a whole number, not " + v);
            }
        }

        private static boolean loopback(URI server) {
            try {
                return InetAddress.getByName(server.getHost()).isLoopbackAddress();
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** What the readers saw and what the server reported, ready to print. */
    record Report(
            int readers,
            List<Double> newSessionMs,
            List<Double> warmRunMs,
            Map<String, Integer> errors,
            Map<String, String> server) {

        String table() {
            var out = new StringBuilder("| figure | value |\n|---|---:|\n");
            row(out, "readers", String.valueOf(readers));
            row(out, "first output of a new session, p50 (ms)", pct(newSessionMs, 50));
            row(out, "first output of a new session, p99 (ms)", pct(newSessionMs, 99));
            row(out, "first output of a warm run, p50 (ms)", pct(warmRunMs, 50));
            row(out, "first output of a warm run, p99 (ms)", pct(warmRunMs, 99));
            row(
                    out,
                    "runs that reached their first output",
                    String.valueOf(newSessionMs.size() + warmRunMs.size()));
            row(out, "errors", String.valueOf(errors.values().stream().mapToInt(i -> i).sum()));
            errors.forEach((kind, n) -> row(out, "errors: " + kind, String.valueOf(n)));
            server.forEach((k, v) -> row(out, k, v));
            return out.toString();
        }

        private static void row(StringBuilder out, String figure, String value) {
            out.append("| ").append(figure).append(" | ").append(value).append(" |\n");
        }

        static String pct(List<Double> samples, int p) {
            if (samples.isEmpty()) {
                return "-";
            }
            var sorted = new ArrayList<>(samples);
            Collections.sort(sorted);
            int at = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
            return String.format("%.1f", sorted.get(Math.max(0, at)));
        }
    }

    /**
     * Readers of the warm-up. What a session goes through once (its creation, the first run that
     * takes a pooled sandbox) is compiled by C2 only after thousands of sessions: after 300, the
     * JIT still compiled ~650 methods while 1000 new sessions came in 20 s, whose first output
     * measured 10.5 to 11.9 ms p50 in four runs; after 1000, ~300 methods and 7.0 and 7.1 ms.
     */
    static final int WARM_UP_READERS = 1000;

    /**
     * Runs of each warm-up reader: the JIT's C2 compiler still took a third of the server's CPU
     * after 3,500 runs, and its share of a warm run fell from 4.8 to 1.7 ms only past 8,000.
     */
    private static final int WARM_UP_RUNS = 20;

    private static final int WARM_UP_PARALLEL = 8;
    private static final int WARM_UP_ADDRESSES = 1 << 20; // apart from the measured readers'

    private final Options options;
    private final URI server;
    private final List<Double> newSessionMs = Collections.synchronizedList(new ArrayList<>());
    private final List<Double> warmRunMs = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();

    private Load(Options options, URI server) {
        this.options = options;
        this.server = server;
    }

    public static void main(List<String> args, Path home) throws Exception {
        Options o = Options.parse(args);
        System.out.println(run(o, home).table());
    }

    /** Runs the load, starting a server in this process unless {@code --server} names one. */
    static Report run(Options o, Path home) throws Exception {
        if (o.server() != null) {
            return new Load(o, o.server()).drive(null);
        }
        Path tmp = Files.createTempDirectory("livepost-load");
        Path posts = Files.createDirectories(tmp.resolve("posts"));
        Files.writeString(
                posts.resolve("load.md"),
                "---\ntitle: Load\ndate: 2026-01-01\n---\n::code-runner{id=code}\n```python\n"
                        + "print(1)\n```\n");
        var env = new HashMap<>(System.getenv());
        env.put("LIVEPOST_TRUSTED_PROXIES", "127.0.0.1,::1");
        env.put("LIVEPOST_PRECOMPUTE", "false"); // no runs of the server's own among the readers
        if (o.pool() >= 0) {
            env.put("LIVEPOST_POOL_SIZE", String.valueOf(o.pool()));
        }
        Config config =
                Config.parse(
                        List.of(
                                "--port", "0",
                                "--host", "127.0.0.1",
                                "--executor", "local",
                                "--posts", posts.toString(),
                                "--data", tmp.resolve("data").toString()),
                        env,
                        home);
        try (var app = new App(config)) {
            var load = new Load(o, URI.create("http://127.0.0.1:" + app.start()));
            load.warmUp();
            load.awaitFullPool();
            return load.drive(app);
        }
    }

    /**
     * Readers who come and go before the measured load, on a server this process started: the JIT
     * then has compiled what a session's creation and run go through, and the load meets a server
     * that has served readers before, not one just started. Their sessions are ended, and the load
     * starts once their sandboxes are gone.
     */
    private void warmUp() throws Exception {
        if (options.warmUp() == 0) {
            return;
        }
        Bench.progress("load: warming up the server with " + options.warmUp() + " readers ...");
        double sandboxes = metric("livepost_sandboxes");
        var pool = Executors.newFixedThreadPool(WARM_UP_PARALLEL);
        try {
            var readers = new ArrayList<Future<?>>();
            for (int i = 0; i < options.warmUp(); i++) {
                var api = new ApiClient(server, address(WARM_UP_ADDRESSES + i));
                readers.add(
                        pool.submit(
                                () -> {
                                    String token = api.createSession(ARTIFACT);
                                    for (int run = 0; run < WARM_UP_RUNS; run++) {
                                        api.run(token, "print(1)");
                                    }
                                    api.deleteSession(token);
                                    return null;
                                }));
            }
            for (var r : readers) {
                r.get(); // a failure here would fail the load too: say it now
            }
        } finally {
            pool.shutdownNow();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (metric("livepost_sandboxes") > sandboxes && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(200); // sandboxes end in the background
        }
    }

    /**
     * Waits until the server's pool is full, as after a quiet spell: a burst meets the pool first,
     * and one refilling it as the load starts would be measured as a smaller pool. At most {@link
     * #POOL_FILL_WAIT} (a deep pool fills at the rate the machine starts sandboxes).
     */
    private void awaitFullPool() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + POOL_FILL_WAIT.toNanos();
        double target = metric("livepost_sandbox_pool_target");
        Bench.progress("load: waiting for the server's pool of " + (int) target + " sandboxes ...");
        while (System.nanoTime() < deadline) {
            String m = metricsText();
            if (sum(m, "livepost_sandbox_pool_ready") >= sum(m, "livepost_sandbox_pool_target")) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(200); // the pool fills in the background
        }
    }

    private double metric(String name) throws IOException, InterruptedException {
        return sum(metricsText(), name);
    }

    private String metricsText() throws IOException, InterruptedException {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(server.resolve("/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private Report drive(App inProcess) throws Exception {
        int readers = options.burst() > 0 ? options.burst() : options.readers();
        long spreadNanos = TimeUnit.SECONDS.toNanos(Math.max(1, options.within()));
        long start = System.nanoTime();
        var done = new CountDownLatch(readers);
        var threads = new ArrayList<Thread>();
        for (int i = 0; i < readers; i++) {
            int reader = i;
            long arrival = start + spreadNanos * i / Math.max(1, readers);
            var t =
                    new Thread(
                            () -> {
                                try {
                                    read(reader, arrival, start);
                                } finally {
                                    done.countDown();
                                }
                            },
                            "reader-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        long bound = spreadNanos + TimeUnit.SECONDS.toNanos(options.seconds() + 60L);
        if (!done.await(bound, TimeUnit.NANOSECONDS)) {
            count("reader did not finish in time");
        }
        Map<String, String> seen = serverFigures(inProcess);
        var errorCounts = new TreeMap<String, Integer>();
        errors.forEach((k, v) -> errorCounts.put(k, v.get()));
        return new Report(
                readers, List.copyOf(newSessionMs), List.copyOf(warmRunMs), errorCounts, seen);
    }

    /** One reader: arrives, opens a session, runs; stays and runs again unless in a burst. */
    private void read(int reader, long arrival, long start) {
        var api = new ApiClient(server, address(reader));
        try {
            pauseUntil(arrival);
            long t0 = System.nanoTime();
            String token = api.createSession(ARTIFACT);
            var first = api.run(token, "print(1)");
            if (!first.status().equals("ok")) {
                count("run ended " + first.status()); // e.g. executor_busy after a wait in line
                return;
            }
            newSessionMs.add((first.firstOutputNanos() - t0) / 1e6);
            if (options.burst() > 0) {
                return;
            }
            long end = start + TimeUnit.SECONDS.toNanos(options.seconds());
            long next = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.every());
            while (next < end) {
                pauseUntil(next);
                long t1 = System.nanoTime();
                var warm = api.run(token, "print(1)");
                warmRunMs.add((warm.firstOutputNanos() - t1) / 1e6);
                if (!warm.status().equals("ok")) {
                    count("run ended " + warm.status());
                }
                next += TimeUnit.SECONDS.toNanos(options.every());
            }
        } catch (ApiClient.Refused e) {
            count(e.status + " " + e.code);
        } catch (IOException e) {
            count(e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A reader's own address in 10.0.0.0/8, as a proxy in front would report it. */
    static String address(int reader) {
        return "10." + ((reader >> 16) & 255) + "." + ((reader >> 8) & 255) + "." + (reader & 255);
    }

    private void count(String kind) {
        errors.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
    }

    /** The pacing of a simulated reader: waiting for its next moment is what it is for. */
    private static void pauseUntil(long nanoTime) throws InterruptedException {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    /** Evictions and waits from {@code /metrics}; memory from {@code /proc} when in process. */
    private Map<String, String> serverFigures(App inProcess) throws Exception {
        var figures = new java.util.LinkedHashMap<String, String>();
        String metrics = metricsText();
        figures.put("evictions", String.valueOf((long) sum(metrics, "livepost_evictions_total")));
        figures.put("refusals", String.valueOf((long) sum(metrics, "livepost_refusals_total")));
        figures.put(
                "readers who waited for a sandbox",
                String.valueOf((long) sum(metrics, "livepost_admission_wait_seconds_count")));
        figures.put(
                "sessions held at the end",
                String.valueOf((long) sum(metrics, "livepost_sessions_active")));
        if (inProcess != null) {
            figures.put("server RSS (MiB)", mib(rssKib(ProcessHandle.current().pid())));
            long pss = ProcessHandle.current().descendants().mapToLong(p -> pssKib(p.pid())).sum();
            figures.put(TOTAL_PSS, mib(pss));
        }
        return figures;
    }

    private static double sum(String metrics, String name) {
        Matcher m =
                Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$")
                        .matcher(metrics);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(2));
        }
        return total;
    }

    private static long rssKib(long pid) {
        return field(Path.of("/proc/" + pid + "/status"), "VmRSS:");
    }

    private static long pssKib(long pid) {
        return field(Path.of("/proc/" + pid + "/smaps_rollup"), "Pss:");
    }

    private static long field(Path file, String name) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // the process ended meanwhile
        }
        return 0;
    }

    private static String mib(long kib) {
        return String.format("%.0f", kib / 1024.0);
    }
}
