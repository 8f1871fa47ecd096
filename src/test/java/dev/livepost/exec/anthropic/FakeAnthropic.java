package dev.livepost.exec.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A stand-in for Anthropic's API on loopback that speaks its wire protocol: {@code POST
 * /v1/messages} answered as {@code text/event-stream} with the documented events and blocks, JSON
 * error bodies with their statuses, and the Files API ({@link FakeFiles}). As Anthropic's API does,
 * it materialises the {@code container_upload}s a request names in the container's {@code
 * $INPUT_DIR} for that request only, returns as file ids only files written into the container's
 * {@code $OUTPUT_DIR}, answers a request naming an unknown container with 404 (500 when the request
 * also carries an upload), refuses the object form of {@code container} without skills, reports
 * usage with the tool input counted as output tokens and the cached system prompt as cache reads,
 * and streams at {@link #tokensPerSecond} when set. Bash commands really run, each container being
 * a session of the real local executor's sandbox ({@link SandboxContainer}). Its "model" obeys
 * Livepost's code-mode system prompt (runs exactly the command it is given) and in prompt mode
 * follows a script: it counts the words of the request with a Python file it writes and runs. It
 * checks the headers and body shape of every request and records requests and violations for the
 * tests. Thread-safe.
 */
final class FakeAnthropic implements AutoCloseable {
    static final String KEY = "sk-ant-fake-key";
    static final String VERSION = "2023-06-01";
    static final List<String> BETAS =
            List.of("code-execution-2025-08-25", "files-api-2025-04-14", "skills-2025-10-02");
    private static final Pattern COMMAND =
            Pattern.compile("<command>\\n(.*)\\n</command>", Pattern.DOTALL);

    /** One request as it arrived. */
    record Recorded(String method, String path, Map<String, List<String>> headers, JsonNode body) {
        String header(String name) {
            return headers.entrySet().stream()
                    .filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> String.join(",", e.getValue()))
                    .findFirst()
                    .orElse(null);
        }
    }

    /** Something to go wrong in an upcoming {@code /v1/messages} request. */
    sealed interface Fault {}

    /** Answer with this HTTP error instead of a stream. */
    record HttpError(int status, String type, String message, String retryAfter) implements Fault {}

    /** Send {@code event: error} before or after the tool result. */
    record StreamError(String type, String message, boolean afterResult) implements Fault {}

    /** Cut the stream after the tool call, before or after its result. */
    record Drop(boolean afterResult) implements Fault {}

    /** Answer the tool call with a code execution error instead of running it. */
    record ToolError(String errorCode) implements Fault {}

    /** The "model" runs a different command than it was asked to. */
    record ChangeCommand() implements Fault {}

    /** The "model" answers in words and runs nothing. */
    record NoTool() implements Fault {}

    /** The stream starts, then nothing comes until the client goes away. */
    record Stall() implements Fault {}

    /** Wait for this latch after the first text block (to see events arrive mid-response). */
    record Hold(java.util.concurrent.CountDownLatch release) implements Fault {}

    /** The container does not get the request's uploads in {@code $INPUT_DIR}. */
    record NoStaging() implements Fault {}

    /** Sends a JSON error body. */
    interface Errors {
        void send(HttpExchange ex, int status, String type, String message) throws IOException;
    }

    /** Tokens the code execution tool's definition adds to every request (a model, not a fact). */
    static final long TOOL_TOKENS = 1500;

    /** Below this, a prefix is not cached (Anthropic's minimum for Sonnet models). */
    static final long MIN_CACHED_TOKENS = 1024;

    /**
     * One answered {@code /v1/messages} request, for the bench.
     *
     * @param command code mode: the command Claude was asked to run, else null
     */
    record Answered(String command, long outputTokens, long inputTokens) {}

    /** The answered requests, in order. */
    final List<Answered> answered = new CopyOnWriteArrayList<>();

    /** Output tokens per second of every response; 0 or less: as fast as possible. */
    volatile double tokensPerSecond;

    private final Set<String> cachedPrefixes = ConcurrentHashMap.newKeySet();

    final List<Recorded> requests = new CopyOnWriteArrayList<>();
    final List<String> violations = new CopyOnWriteArrayList<>();
    private final ObjectMapper json = new ObjectMapper();
    private final HttpServer server;
    private final ConcurrentLinkedDeque<Fault> faults = new ConcurrentLinkedDeque<>();
    private final Map<String, FakeContainer> containers = new ConcurrentHashMap<>();
    private final Set<String> expired = ConcurrentHashMap.newKeySet();
    private final AtomicInteger ids = new AtomicInteger();
    final FakeFiles files = new FakeFiles(json, this::newId);
    private final java.util.concurrent.ExecutorService handlers = Executors.newCachedThreadPool();
    private dev.livepost.exec.Executor local; // guarded by this
    private Path localData; // guarded by this
    volatile Duration execLimit = Duration.ofSeconds(60);

    /** How many bash commands have started running, over all containers. */
    final AtomicInteger execs = new AtomicInteger();

    /** The x-api-key requests must carry; null: any non-blank key. */
    private final String key;

    FakeAnthropic() {
        this(KEY, 0);
    }

    /**
     * @param key the x-api-key requests must carry, or null to accept any non-blank key
     * @param port the loopback port to listen on, 0 for a free one
     */
    FakeAnthropic(String key, int port) {
        this.key = key;
        try {
            server =
                    HttpServer.create(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(handlers);
        server.createContext("/v1/messages", this::messages);
        server.createContext("/v1/files", this::files);
        server.createContext("/fake/", this::control);
        server.start();
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    void enqueue(Fault fault) {
        faults.add(fault);
    }

    /** A new container: a session in a sandbox of the real local executor. */
    private FakeContainer newContainer(String id) {
        return new SandboxContainer(id, sandboxes());
    }

    /** The local executor whose sandboxes stand in for Anthropic's containers, made on demand. */
    private synchronized dev.livepost.exec.Executor sandboxes() {
        if (local == null) {
            try {
                localData = Files.createTempDirectory("fake-sandboxes-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            var config =
                    dev.livepost.Config.parse(
                                    List.of("--data", localData.toString()), Map.of(), localData)
                            .withPoolSize(1);
            local = new dev.livepost.exec.local.LocalExecutor(config);
            if (!local.health().available()) {
                throw new IllegalStateException(
                        "the local sandbox the fake's containers run in is unavailable: "
                                + local.health().detail());
            }
        }
        return local;
    }

    /** Waits until the containers have started {@code n} bash commands in all. */
    void awaitExecs(int n, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        synchronized (execs) {
            while (execs.get() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("only " + execs.get() + " commands ran, not " + n);
                }
                execs.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    FakeContainer container(String id) {
        return containers.get(id);
    }

    int containerCount() {
        return containers.size();
    }

    /** The ids of the live containers. */
    List<String> containerIds() {
        return List.copyOf(containers.keySet());
    }

    /** The container is gone: requests naming it fail as Anthropic's do. */
    void expire(String id) {
        expired.add(id);
        FakeContainer c = containers.remove(id);
        if (c != null) {
            c.close();
        }
    }

    List<Recorded> messageRequests() {
        return requests.stream().filter(r -> r.path().equals("/v1/messages")).toList();
    }

    Recorded lastMessageRequest() {
        var all = messageRequests();
        return all.get(all.size() - 1);
    }

    private String newId(String prefix) {
        return prefix
                + "_01"
                + HexFormat.of().formatHex(new byte[] {(byte) ids.incrementAndGet()})
                + Long.toHexString(System.nanoTime());
    }

    // ---- /v1/messages ------------------------------------------------------------------------

    private void messages(HttpExchange ex) throws IOException {
        try (ex) {
            JsonNode body = json.readTree(ex.getRequestBody());
            requests.add(
                    new Recorded(
                            ex.getRequestMethod(),
                            "/v1/messages",
                            Map.copyOf(ex.getRequestHeaders()),
                            body));
            if (!authorized(ex)) {
                return;
            }
            checkMessageRequest(ex, body);
            Fault fault = faults.poll();
            if (fault instanceof HttpError e) {
                if (e.retryAfter() != null) {
                    ex.getResponseHeaders().add("retry-after", e.retryAfter());
                }
                error(ex, e.status(), e.type(), e.message());
                return;
            }
            var uploads = new java.util.LinkedHashMap<String, byte[]>();
            for (String id : uploadIds(body)) {
                FakeFiles.Stored upload = files.upload(id);
                if (upload == null) {
                    // Checked after the container below in the real API's order? Unknown; a bad
                    // file and a dead container are never sent together by the executor.
                    error(ex, 404, "not_found_error", "File not found: " + id);
                    return;
                }
                uploads.put(upload.name(), upload.bytes());
            }
            FakeContainer container = containerFor(ex, body);
            if (container == null) {
                return;
            }
            container.stage(fault instanceof NoStaging ? Map.of() : uploads);
            var sse = new FakeStream(ex, json, this::newId, tokensPerSecond);
            var input = input(body);
            if (fault instanceof Stall) {
                sse.messageStart(input);
                while (true) {
                    sse.ping();
                    sleep(200);
                }
            }
            String system = system(body);
            JsonNode messages = body.path("messages");
            JsonNode last = messages.get(messages.size() - 1);
            if (system.contains(CHAT_SYSTEM_MARK)) {
                sse.messageStart(input);
                chatMode(sse, container, messages, fault);
                answered.add(new Answered(null, sse.outputTokens(), input.tokens()));
            } else if (system.contains("character for character")) {
                var m = COMMAND.matcher(text(messages.get(0)));
                if (!m.matches()) {
                    violations.add("code mode without a <command>: " + text(messages.get(0)));
                }
                String command = m.matches() ? m.group(1) : "true";
                codeMode(sse, input, container, command, fault);
                answered.add(new Answered(command, sse.outputTokens(), input.tokens()));
            } else {
                sse.messageStart(input);
                promptMode(
                        sse,
                        container,
                        text(messages.get(0)),
                        last.path("role").asText().equals("assistant"),
                        last,
                        fault);
                answered.add(new Answered(null, sse.outputTokens(), input.tokens()));
            }
        } catch (FakeStream.Gone gone) {
            // The client closed the stream: normal for interrupts. Said anyway, as a cut stream
            // the client did not ask for shows up only as upstream_disconnected.
            System.err.println(
                    "fake Anthropic API: the client went away (" + gone.getCause() + ")");
        } catch (RuntimeException | IOException | Error e) {
            // The fake broke, not the client: say why, or a test sees only a cut stream.
            System.err.println("fake Anthropic API failed: " + e);
            e.printStackTrace();
            throw e;
        }
    }

    private boolean authorized(HttpExchange ex) throws IOException {
        String sent = ex.getRequestHeaders().getFirst("x-api-key");
        if (key == null ? sent == null || sent.isBlank() : !key.equals(sent)) {
            error(ex, 401, "authentication_error", "invalid x-api-key");
            return false;
        }
        return true;
    }

    private void checkMessageRequest(HttpExchange ex, JsonNode body) {
        var h = ex.getRequestHeaders();
        if (!VERSION.equals(h.getFirst("anthropic-version"))) {
            violations.add("anthropic-version " + h.getFirst("anthropic-version"));
        }
        String beta = String.join(",", h.getOrDefault("anthropic-beta", List.of()));
        for (String b : BETAS) {
            if (!List.of(beta.split("\\s*,\\s*")).contains(b)) {
                violations.add("anthropic-beta lacks " + b + ": " + beta);
            }
        }
        if (!body.path("stream").asBoolean(false)) {
            violations.add("stream is not true");
        }
        boolean tool = false;
        for (JsonNode t : body.path("tools")) {
            tool |=
                    dev.livepost.Config.ANTHROPIC_TOOLS.contains(t.path("type").asText())
                            && t.path("name").asText().equals("code_execution");
        }
        if (!tool) {
            violations.add("no code_execution tool: " + body.path("tools"));
        }
        JsonNode system = body.path("system");
        if (!system.isArray()
                || system.size() == 0
                || !system.get(system.size() - 1).path("cache_control").isObject()) {
            violations.add("the system prompt is not marked for the prompt cache: " + system);
        }
        if (!body.path("model").isTextual() || !body.path("max_tokens").canConvertToLong()) {
            violations.add("model or max_tokens missing");
        }
    }

    private FakeContainer containerFor(HttpExchange ex, JsonNode body) throws IOException {
        JsonNode c = body.path("container");
        if (c.isObject() && c.path("skills").isEmpty()) {
            error(ex, 400, "invalid_request_error", "container: must be a string");
            return null;
        }
        String id =
                c.isTextual()
                        ? c.asText()
                        : c.path("id").isTextual() ? c.path("id").asText() : null;
        if (id == null) {
            var fresh = newContainer(newId("container"));
            containers.put(fresh.id(), fresh);
            return fresh;
        }
        FakeContainer existing = containers.get(id);
        if (existing == null) {
            // As recorded from Anthropic's API: an unknown container is a 404, a dead one a bare
            // 500 (seen with an upload in the request; assumed without one too).
            if (expired.contains(id)) {
                error(ex, 500, "api_error", "Internal server error");
            } else {
                error(ex, 404, "not_found_error", "Container '" + id + "' not found");
            }
            return null;
        }
        return existing;
    }

    /** The file ids of the request's {@code container_upload} blocks. */
    private static List<String> uploadIds(JsonNode body) {
        var ids = new ArrayList<String>();
        for (JsonNode m : body.path("messages")) {
            for (JsonNode b : m.path("content")) {
                if (b.path("type").asText().equals("container_upload")) {
                    ids.add(b.path("file_id").asText());
                }
            }
        }
        return ids;
    }

    private static String system(JsonNode body) {
        JsonNode system = body.path("system");
        if (system.isTextual()) {
            return system.asText();
        }
        var sb = new StringBuilder();
        system.forEach(b -> sb.append(b.path("text").asText("")));
        return sb.toString();
    }

    /**
     * The request's input tokens: the tool definition and the system prompt (one prefix, cached
     * when marked and long enough: written the first time, read after), then the messages.
     */
    private FakeStream.Input input(JsonNode body) {
        long prefix = TOOL_TOKENS + FakeStream.tokens(system(body).length());
        long rest = 0;
        for (JsonNode m : body.path("messages")) {
            JsonNode content = m.path("content");
            rest +=
                    FakeStream.tokens(
                            content.isTextual()
                                    ? content.asText().length()
                                    : content.toString().length());
        }
        JsonNode sys = body.path("system");
        boolean marked =
                sys.isArray()
                        && sys.size() > 0
                        && sys.get(sys.size() - 1).path("cache_control").isObject();
        if (!marked || prefix < MIN_CACHED_TOKENS) {
            return new FakeStream.Input(prefix + rest, 0, 0);
        }
        String key = body.path("model").asText() + "\n" + body.path("tools") + "\n" + sys;
        return cachedPrefixes.add(key)
                ? new FakeStream.Input(rest, 0, prefix)
                : new FakeStream.Input(rest, prefix, 0);
    }

    private static String text(JsonNode message) {
        JsonNode content = message.path("content");
        if (content.isTextual()) {
            return content.asText();
        }
        var sb = new StringBuilder();
        content.forEach(b -> sb.append(b.path("text").asText("")));
        return sb.toString();
    }

    private void codeMode(
            FakeStream sse,
            FakeStream.Input input,
            FakeContainer container,
            String command,
            Fault fault)
            throws IOException {
        sse.messageStart(input);
        sse.ping();
        sse.unknownEvent();
        if (fault instanceof NoTool) {
            sse.textBlock("I would rather not run that.");
            sse.end("end_turn", container);
            return;
        }
        sse.textBlock("I'll run the command exactly as given.");
        String run = fault instanceof ChangeCommand ? "echo tampered" : command;
        String toolId =
                sse.toolUse("bash_code_execution", json.createObjectNode().put("command", run));
        if (fault instanceof Drop d && !d.afterResult()) {
            sse.cut();
            return;
        }
        if (fault instanceof StreamError e && !e.afterResult()) {
            sse.error(e.type(), e.message());
            return;
        }
        if (fault instanceof ToolError e) {
            sse.bashError(toolId, e.errorCode());
        } else {
            runBash(sse, toolId, container, run);
        }
        if (fault instanceof StreamError e) {
            sse.error(e.type(), e.message());
            return;
        }
        if (fault instanceof Drop) {
            sse.cut();
            return;
        }
        sse.textBlock("done");
        sse.end("end_turn", container);
    }

    private void promptMode(
            FakeStream sse,
            FakeContainer container,
            String prompt,
            boolean continuing,
            JsonNode last,
            Fault fault)
            throws IOException {
        if (!continuing) {
            sse.textBlock("I'll count the words of your request with a small Python script.");
            if (fault instanceof Hold h) {
                await(h.release());
            }
            var words = json.createArrayNode();
            for (String w : prompt.toLowerCase().split("\\s+")) {
                if (!w.isBlank()) {
                    words.add(w);
                }
            }
            String script =
                    "words = "
                            + words
                            + "\nprint(len(words))\n"
                            + "if 'plot' in words:\n"
                            + "    import os, matplotlib\n    matplotlib.use('Agg')\n"
                            + "    import matplotlib.pyplot as plt\n"
                            + "    plt.plot([len(w) for w in words])\n"
                            + "    plt.savefig(os.path.join(os.environ['OUTPUT_DIR'],"
                            + " 'words.png'))\n";
            var input =
                    json.createObjectNode()
                            .put("command", "create")
                            .put("path", "/tmp/work/count.py")
                            .put("file_text", script);
            String editId = sse.toolUse("text_editor_code_execution", input);
            container.write("/tmp/work/count.py", script);
            sse.editorCreated(editId);
            if (prompt.contains("pause")) {
                sse.end("pause_turn", container);
                return;
            }
        } else if (prompt.contains("forever")) {
            sse.textBlock("Still thinking.");
            sse.end("pause_turn", container);
            return;
        } else {
            boolean sawEditor = false;
            for (JsonNode b : last.path("content")) {
                sawEditor |=
                        b.path("type").asText().equals("server_tool_use")
                                && b.path("name").asText().equals("text_editor_code_execution");
            }
            if (!sawEditor) {
                violations.add(
                        "pause_turn continuation without the paused assistant content: " + last);
            }
        }
        String toolId =
                sse.toolUse(
                        "bash_code_execution",
                        json.createObjectNode().put("command", "cd /tmp/work && python3 count.py"));
        if (fault instanceof ToolError e) {
            sse.bashError(toolId, e.errorCode());
            sse.end("end_turn", container);
            return;
        }
        String out = runBash(sse, toolId, container, "cd /tmp/work && python3 count.py");
        sse.textBlock("Your request has " + out.strip() + " words.");
        sse.end("end_turn", container);
    }

    /** What tells a chat request from the others: a phrase of Livepost's chat system prompt. */
    static final String CHAT_SYSTEM_MARK = "chatting with a reader";

    private static final Pattern FENCED_PYTHON =
            Pattern.compile("```python\\n(.*?)```", Pattern.DOTALL);

    /**
     * Chat: the "model" answers the reader's last message, the conversation's earlier messages and
     * its own earlier answers (tool calls and results included) coming back in {@code messages}, as
     * the real API needs them. Its script: Python in a fenced block of the message is written to
     * {@code /tmp/work/stepN.py} with the text editor and run with bash ({@code N}: the message's
     * number); any other message gets a reply in words that quotes the conversation's first
     * message, so a test sees that the history came back. A message containing "pause" makes the
     * first response stop with {@code pause_turn} after the text, as long turns do.
     */
    private void chatMode(FakeStream sse, FakeContainer container, JsonNode messages, Fault fault)
            throws IOException {
        JsonNode last = messages.get(messages.size() - 1);
        checkHistory(messages);
        int n = 0;
        JsonNode lastUser = null;
        for (JsonNode m : messages) {
            if (m.path("role").asText().equals("user")) {
                n++;
                lastUser = m;
            }
        }
        String message = text(lastUser);
        boolean continuing = last.path("role").asText().equals("assistant");
        if (!continuing) {
            sse.textBlock("**Message " + n + "** of our conversation. ");
            if (fault instanceof Hold h) {
                await(h.release());
            }
            if (message.contains("pause")) {
                sse.end("pause_turn", container);
                return;
            }
        }
        var code = FENCED_PYTHON.matcher(message);
        if (!code.find()) {
            sse.textBlock("You first asked: \u201c" + text(messages.get(0)).strip() + "\u201d.");
            sse.end("end_turn", container);
            return;
        }
        String path = "/tmp/work/step" + n + ".py";
        String editId =
                sse.toolUse(
                        "text_editor_code_execution",
                        json.createObjectNode()
                                .put("command", "create")
                                .put("path", path)
                                .put("file_text", code.group(1)));
        container.write(path, code.group(1));
        sse.editorCreated(editId);
        String command = "cd /tmp/work && python3 step" + n + ".py";
        String toolId =
                sse.toolUse("bash_code_execution", json.createObjectNode().put("command", command));
        String out = runBash(sse, toolId, container, command);
        sse.textBlock("It printed:\n\n```\n" + out.strip() + "\n```\n");
        sse.end("end_turn", container);
    }

    /**
     * The shape the real API requires of a conversation sent back: it starts with the user, roles
     * alternate (an assistant message continued after {@code pause_turn} may follow another), and
     * every server tool call in an assistant message has its result in the same message.
     */
    private void checkHistory(JsonNode messages) {
        String previous = null;
        for (JsonNode m : messages) {
            String role = m.path("role").asText();
            if (previous == null && !role.equals("user")) {
                violations.add("a conversation must start with the user: " + m);
            }
            if (role.equals("user") && "user".equals(previous)) {
                violations.add("two user messages in a row: " + messages);
            }
            if (role.equals("assistant")) {
                var calls = new java.util.HashSet<String>();
                var results = new java.util.HashSet<String>();
                for (JsonNode b : m.path("content")) {
                    String type = b.path("type").asText();
                    if (type.equals("server_tool_use")) {
                        calls.add(b.path("id").asText());
                    } else if (type.endsWith("_tool_result")) {
                        results.add(b.path("tool_use_id").asText());
                    }
                }
                if (!calls.equals(results)) {
                    violations.add(
                            "tool calls " + calls + " without their results " + results + ": " + m);
                }
            }
            previous = role;
        }
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void await(java.util.concurrent.CountDownLatch latch) {
        try {
            if (!latch.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the fake");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs the command in the container, pinging while it runs, and sends its result. */
    private String runBash(FakeStream sse, String toolId, FakeContainer container, String command) {
        synchronized (execs) {
            execs.incrementAndGet();
            execs.notifyAll();
        }
        FakeContainer.Exec r = sse.pinging(gone -> container.exec(command, execLimit, gone));
        if (r.cancelled()) {
            throw new FakeStream.Gone(new IOException("client went away"));
        }
        if (r.timedOut()) {
            sse.bashError(toolId, "execution_time_exceeded");
            return "";
        }
        var fileIds = new ArrayList<String>();
        r.outputs().forEach((name, bytes) -> fileIds.add(files.output(name, bytes)));
        sse.bashResult(toolId, r.stdout(), r.stderr(), r.returnCode(), fileIds);
        return r.stdout();
    }

    private void error(HttpExchange ex, int status, String type, String message)
            throws IOException {
        ObjectNode body = json.createObjectNode().put("type", "error");
        body.putObject("error").put("type", type).put("message", message);
        byte[] bytes = json.writeValueAsBytes(body);
        ex.getResponseHeaders().add("content-type", "application/json");
        ex.getResponseHeaders().add("request-id", "req_fake");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    // ---- /v1/files and the fake's own controls ---------------------------------------------

    private void files(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            requests.add(
                    new Recorded(
                            ex.getRequestMethod(), path, Map.copyOf(ex.getRequestHeaders()), null));
            if (!authorized(ex)) {
                return;
            }
            String beta =
                    String.join(
                            ",", ex.getRequestHeaders().getOrDefault("anthropic-beta", List.of()));
            if (!beta.contains("files-api-2025-04-14")) {
                violations.add("files request without the files beta: " + beta);
            }
            files.handle(ex, this::error);
        }
    }

    /**
     * The fake's own controls, for the bench in another process: {@code GET /fake/answered} (the
     * answered message requests as JSON), {@code DELETE /fake/answered} (forget them), {@code POST
     * /fake/uploads/on} and {@code .../off} (whether the Files API takes uploads).
     */
    private void control(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            byte[] body = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (path.equals("/fake/answered") && method.equals("GET")) {
                body = json.writeValueAsBytes(answered);
            } else if (path.equals("/fake/answered") && method.equals("DELETE")) {
                answered.clear();
            } else if (path.startsWith("/fake/uploads/") && method.equals("POST")) {
                files.uploadsEnabled = path.endsWith("/on");
            } else {
                error(ex, 404, "not_found_error", "no such control: " + method + " " + path);
                return;
            }
            ex.getResponseHeaders().add("content-type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
        containers.values().forEach(FakeContainer::close);
        containers.clear();
        synchronized (this) {
            if (local != null) {
                local.close();
            }
            if (localData != null) {
                deleteTree(localData);
            }
        }
    }
}
