package dev.livepost.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A post page's first paint in headless Chromium (Debian's {@code /usr/bin/chromium}), driven over
 * the DevTools protocol on a WebSocket: for each cold load (cache disabled), the first contentful
 * paint and the JavaScript bytes downloaded before the reader does anything; then the bytes once
 * the reader focuses a runner (the editor loaded). Not thread-safe: one measurement at a time.
 */
final class FirstPaint implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WAIT_SECONDS = 30;

    /** Page figures of one load. */
    record Load(double fcpMs, double scriptKib, double afterFocusKib) {}

    private final Process chromium;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();

    /** Whether this machine has the browser (the launcher installs it for the tests). */
    static boolean available() {
        return Files.isExecutable(CHROMIUM);
    }

    FirstPaint() throws Exception {
        profile = Files.createTempDirectory("livepost-bench-chromium");
        chromium =
                new ProcessBuilder(
                                CHROMIUM.toString(),
                                "--headless=new",
                                "--no-sandbox",
                                "--disable-gpu",
                                "--disable-dev-shm-usage",
                                "--no-first-run",
                                "--disable-background-networking",
                                "--disable-component-update",
                                "--disable-sync",
                                "--window-size=1200,1000",
                                "--remote-debugging-port=0",
                                "--user-data-dir=" + profile,
                                "about:blank")
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
        String browserUrl = devToolsUrl();
        String port = URI.create(browserUrl).getPort() + "";
        var http = HttpClient.newHttpClient();
        var list =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + port + "/json/list"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        String pageUrl = null;
        for (JsonNode t : JSON.readTree(list.body())) {
            if (t.path("type").asText().equals("page")) {
                pageUrl = t.path("webSocketDebuggerUrl").asText();
                break;
            }
        }
        if (pageUrl == null) {
            throw new IOException("chromium opened no page: " + list.body());
        }
        socket =
                http.newWebSocketBuilder()
                        .buildAsync(URI.create(pageUrl), new Listener())
                        .get(WAIT_SECONDS, TimeUnit.SECONDS);
        call("Page.enable", Map.of());
        call("Network.enable", Map.of());
        call("Network.setCacheDisabled", Map.of("cacheDisabled", true));
        // The paint is read from the browser's lifecycle events, not from the page: the same
        // measure with and without JavaScript (where nothing can be evaluated in the page).
        call("Page.setLifecycleEventsEnabled", Map.of("enabled", true));
    }

    /** The browser prints its DevTools address on stderr once it listens. */
    private String devToolsUrl() throws IOException {
        var err =
                new BufferedReader(
                        new InputStreamReader(chromium.getErrorStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = err.readLine()) != null) {
            int at = line.indexOf("ws://");
            if (line.startsWith("DevTools listening on") && at >= 0) {
                var rest = err;
                Thread drain =
                        new Thread(
                                () -> {
                                    try {
                                        while (rest.readLine() != null) {
                                            // keep the pipe from filling up
                                        }
                                    } catch (IOException e) {
                                        // the browser exited
                                    }
                                },
                                "chromium-stderr");
                drain.setDaemon(true);
                drain.start();
                return line.substring(at).trim();
            }
        }
        throw new IOException(
                "chromium exited before it listened (exit " + chromium.exitValue() + ")");
    }

    /**
     * One cold load of {@code url}, then (with JavaScript) a focus on its first runner. Without
     * JavaScript the page's scripts do not run: the same HTML and CSS, the anchor of the paint.
     */
    Load load(String url, boolean javascript) throws Exception {
        call("Emulation.setScriptExecutionDisabled", Map.of("value", !javascript));
        events.clear();
        call("Page.navigate", Map.of("url", url));
        double fcp = firstContentfulPaintMs();
        if (!javascript) {
            return new Load(fcp, 0, 0);
        }
        double before = scriptKib();
        evaluate(
                "(async () => { const r = document.querySelector('code-runner');"
                        + " if (r && r.ensureEditor) await r.ensureEditor(); return 0; })()");
        return new Load(fcp, before, scriptKib());
    }

    /**
     * From the document's request to its first contentful paint (both on the browser's monotonic
     * clock, in seconds), once the page has also fired its load event.
     */
    private double firstContentfulPaintMs() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        double start = Double.NaN;
        double paint = Double.NaN;
        boolean loaded = false;
        while (Double.isNaN(start) || Double.isNaN(paint) || !loaded) {
            JsonNode e = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (e == null) {
                throw new IOException("no first contentful paint within " + WAIT_SECONDS + " s");
            }
            JsonNode params = e.path("params");
            switch (e.path("method").asText()) {
                case "Network.requestWillBeSent" -> {
                    if (Double.isNaN(start) && params.path("type").asText().equals("Document")) {
                        start = params.path("timestamp").asDouble();
                    }
                }
                case "Page.lifecycleEvent" -> {
                    if (params.path("name").asText().equals("firstContentfulPaint")) {
                        paint = params.path("timestamp").asDouble();
                    }
                }
                case "Page.loadEventFired" -> loaded = true;
                default -> {}
            }
        }
        return (paint - start) * 1000;
    }

    private double scriptKib() throws Exception {
        return evaluate(
                                "performance.getEntriesByType('resource').filter(r =>"
                                        + " r.name.endsWith('.js')).reduce((n, r) => n +"
                                        + " r.decodedBodySize, 0)")
                        .asDouble()
                / 1024;
    }

    private JsonNode evaluate(String expression) throws Exception {
        JsonNode r =
                call(
                        "Runtime.evaluate",
                        Map.of(
                                "expression",
                                expression,
                                "awaitPromise",
                                true,
                                "returnByValue",
                                true));
        if (r.has("exceptionDetails")) {
            throw new IOException("in the page: " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    private JsonNode call(String method, Map<String, Object> params) throws Exception {
        int id = ids.incrementAndGet();
        var done = new CompletableFuture<JsonNode>();
        pending.put(id, done);
        ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
        msg.set("params", JSON.valueToTree(params));
        socket.sendText(JSON.writeValueAsString(msg), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        JsonNode reply = done.get(WAIT_SECONDS, TimeUnit.SECONDS);
        if (reply.has("error")) {
            throw new IOException(method + ": " + reply.get("error"));
        }
        return reply.path("result");
    }

    /** Collects the socket's text frames into messages: replies by id, events by name. */
    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode msg = JSON.readTree(partial.toString());
                    if (msg.has("id")) {
                        var f = pending.remove(msg.get("id").asInt());
                        if (f != null) {
                            f.complete(msg);
                        }
                    } else if (msg.has("method")) {
                        events.add(msg);
                    }
                } catch (IOException e) {
                    // not JSON: not ours
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }

    /** {@code repeats} cold loads, alternately with and without JavaScript: [with, without]. */
    static List<List<Load>> measure(String url, int repeats) throws Exception {
        try (var browser = new FirstPaint()) {
            browser.load(url, true); // the server's first render of the page is not the reader's
            var with = new ArrayList<Load>();
            var without = new ArrayList<Load>();
            for (int i = 0; i < repeats; i++) {
                with.add(browser.load(url, true));
                without.add(browser.load(url, false));
            }
            return List.of(with, without);
        }
    }

    /**
     * The table's rows: first contentful paint against the same page without JavaScript, and the
     * script loaded up front against what the page holds once the reader focused a runner.
     */
    static List<Bench.Row> rows(List<Load> with, List<Load> without) {
        return List.of(
                new Bench.Row(
                        "post page: first contentful paint, cold; anchor: no JavaScript (ms)",
                        with.stream().map(Load::fcpMs).toList(),
                        without.stream().map(Load::fcpMs).toList()),
                new Bench.Row(
                        "post page: JavaScript before any interaction; anchor: after focusing a"
                                + " runner (KiB)",
                        with.stream().map(Load::scriptKib).toList(),
                        with.stream().map(Load::afterFocusKib).toList()));
    }

    @Override
    public void close() throws IOException {
        try {
            socket.abort();
        } finally {
            chromium.destroyForcibly();
            try {
                chromium.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
