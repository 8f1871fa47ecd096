package dev.livepost.exec.anthropic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Writes one Messages API response as {@code text/event-stream}, block by block, and counts its
 * usage as Anthropic bills it: what the "model" writes (text and tool input) is output tokens, tool
 * results become input tokens. At {@code tokensPerSecond > 0} the output streams at that pace, as a
 * real model's does. Not thread-safe apart from {@link #ping}.
 */
final class FakeStream {
    /** The client closed the stream. */
    static final class Gone extends RuntimeException {
        Gone(IOException cause) {
            super(cause);
        }
    }

    private final ObjectMapper json;
    private final Function<String, String> ids;

    /** Characters per token in the fake's count (code-heavy text runs at about 3). */
    static final int CHARS_PER_TOKEN = 3;

    /** Input tokens of the request, as {@code message_start} reports them. */
    record Input(long tokens, long cacheRead, long cacheWrite) {}

    private final OutputStream out;
    private final double tokensPerSecond;
    private int index;
    private Input input = new Input(0, 0, 0);
    private long outputChars;
    private long resultChars;

    FakeStream(
            HttpExchange ex,
            ObjectMapper json,
            Function<String, String> ids,
            double tokensPerSecond)
            throws IOException {
        this.json = json;
        this.ids = ids;
        this.tokensPerSecond = tokensPerSecond;
        ex.getResponseHeaders().add("content-type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().add("cache-control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        this.out = ex.getResponseBody();
    }

    void event(String type, ObjectNode data) {
        data.put("type", type);
        write("event: " + type + "\ndata: " + data + "\n\n");
    }

    /** An event type this client does not know yet; clients must ignore it. */
    void unknownEvent() {
        write("event: status_update\ndata: {\"type\": \"status_update\", \"x\": 1}\n\n");
    }

    void ping() {
        write("event: ping\ndata: {\"type\": \"ping\"}\n\n");
    }

    private synchronized void write(String s) {
        try {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new Gone(e);
        }
    }

    static long tokens(long chars) {
        return (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
    }

    /** Output tokens so far (the first one, sent with message_start, included). */
    long outputTokens() {
        return 1 + tokens(outputChars);
    }

    void messageStart() {
        messageStart(new Input(12, 0, 0));
    }

    void messageStart(Input input) {
        this.input = input;
        ObjectNode m =
                json.createObjectNode()
                        .put("id", ids.apply("msg"))
                        .put("type", "message")
                        .put("role", "assistant")
                        .put("model", "claude-fake");
        m.putArray("content");
        m.putNull("stop_reason");
        m.putNull("stop_sequence");
        m.putNull("container");
        m.putObject("usage")
                .put("input_tokens", input.tokens())
                .put("cache_read_input_tokens", input.cacheRead())
                .put("cache_creation_input_tokens", input.cacheWrite())
                .put("output_tokens", 1);
        ObjectNode e = json.createObjectNode();
        e.set("message", m);
        event("message_start", e);
    }

    void textBlock(String text) {
        int i = index++;
        ObjectNode start = json.createObjectNode().put("index", i);
        start.putObject("content_block").put("type", "text").put("text", "");
        event("content_block_start", start);
        for (String piece : output(text, 3)) {
            ObjectNode d = json.createObjectNode().put("index", i);
            d.putObject("delta").put("type", "text_delta").put("text", piece);
            event("content_block_delta", d);
        }
        stop(i);
    }

    /** A server tool call whose input arrives as {@code input_json_delta} pieces cut mid-JSON. */
    String toolUse(String name, ObjectNode input) {
        int i = index++;
        String id = ids.apply("srvtoolu");
        ObjectNode start = json.createObjectNode().put("index", i);
        ObjectNode block =
                start.putObject("content_block")
                        .put("type", "server_tool_use")
                        .put("id", id)
                        .put("name", name);
        block.putObject("input");
        event("content_block_start", start);
        ping();
        for (String piece : output(input.toString(), 4)) {
            ObjectNode d = json.createObjectNode().put("index", i);
            d.putObject("delta").put("type", "input_json_delta").put("partial_json", piece);
            event("content_block_delta", d);
        }
        stop(i);
        return id;
    }

    /**
     * The pieces of output to send, counted as output tokens; at a set pace, small pieces each
     * written after the time the model would take to produce them.
     */
    private Iterable<String> output(String s, int n) {
        outputChars += s.length();
        if (tokensPerSecond <= 0) {
            return pieces(s, n);
        }
        int size = 4 * CHARS_PER_TOKEN;
        var list = pieces(s, Math.max(n, (s.length() + size - 1) / size));
        return () ->
                list.stream()
                        .peek(
                                p -> {
                                    try {
                                        Thread.sleep(
                                                (long)
                                                        (1000.0
                                                                * tokens(p.length())
                                                                / tokensPerSecond));
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                        throw new Gone(new IOException(e));
                                    }
                                })
                        .iterator();
    }

    /** Runs {@code task} while sending a ping every 200 ms; tells it when the client is gone. */
    <T> T pinging(java.util.function.Function<java.util.function.BooleanSupplier, T> task) {
        var gone = new java.util.concurrent.atomic.AtomicBoolean();
        var pinger = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        pinger.scheduleAtFixedRate(
                () -> {
                    try {
                        ping();
                    } catch (Gone e) {
                        gone.set(true);
                    }
                },
                200,
                200,
                java.util.concurrent.TimeUnit.MILLISECONDS);
        try {
            return task.apply(gone::get);
        } finally {
            // Not shutdownNow(): interrupting the pinger while it writes closes the exchange's
            // socket (an interruptible NIO channel), which cuts the response; and no ping may
            // be written after the caller goes on (past message_stop, or after the terminating
            // chunk, onto a connection the client reuses).
            pinger.shutdown();
            try {
                if (!pinger.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the fake's pinger did not stop");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Gone(new IOException(e));
            }
        }
    }

    /** A finished bash call, with the Files API ids of the files it wrote. */
    void bashResult(
            String toolId, String stdout, String stderr, int returnCode, List<String> fileIds) {
        resultChars += stdout.length() + stderr.length();
        ObjectNode content =
                json.createObjectNode()
                        .put("type", "bash_code_execution_result")
                        .put("stdout", stdout)
                        .put("stderr", stderr)
                        .put("return_code", returnCode);
        ArrayNode outputs = content.putArray("content");
        fileIds.forEach(
                id ->
                        outputs.addObject()
                                .put("type", "bash_code_execution_output")
                                .put("file_id", id));
        toolResult("bash_code_execution_tool_result", toolId, content);
    }

    void bashError(String toolId, String code) {
        toolResult(
                "bash_code_execution_tool_result",
                toolId,
                json.createObjectNode()
                        .put("type", "bash_code_execution_tool_result_error")
                        .put("error_code", code));
    }

    void editorCreated(String toolId) {
        toolResult(
                "text_editor_code_execution_tool_result",
                toolId,
                json.createObjectNode()
                        .put("type", "text_editor_code_execution_create_result")
                        .put("is_file_update", false));
    }

    /** A tool result block: it arrives whole in its content_block_start, then stops. */
    private void toolResult(String type, String toolId, ObjectNode content) {
        int i = index++;
        ObjectNode start = json.createObjectNode().put("index", i);
        start.putObject("content_block")
                .put("type", type)
                .put("tool_use_id", toolId)
                .set("content", content);
        event("content_block_start", start);
        stop(i);
    }

    void stop(int i) {
        event("content_block_stop", json.createObjectNode().put("index", i));
    }

    void end(String stopReason, FakeContainer container) {
        ObjectNode d = json.createObjectNode();
        ObjectNode delta = d.putObject("delta").put("stop_reason", stopReason);
        delta.putNull("stop_sequence");
        delta.putObject("container")
                .put("id", container.id())
                .put("expires_at", Instant.now().plus(Duration.ofDays(30)).toString());
        // Cumulative, as the docs say of message_delta's usage: the tool results were read by
        // the model as input.
        d.putObject("usage")
                .put("input_tokens", input.tokens() + tokens(resultChars))
                .put("cache_read_input_tokens", input.cacheRead())
                .put("cache_creation_input_tokens", input.cacheWrite())
                .put("output_tokens", outputTokens());
        event("message_delta", d);
        event("message_stop", json.createObjectNode());
    }

    void error(String type, String message) {
        ObjectNode e = json.createObjectNode();
        e.putObject("error").put("type", type).put("message", message);
        event("error", e);
    }

    /** Ends the response in the middle of a message, as a dropped connection does. */
    void cut() {
        write("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"ind");
    }

    /** Splits {@code s} into about {@code n} pieces at arbitrary points (mid-word, mid-JSON). */
    static List<String> pieces(String s, int n) {
        var out = new ArrayList<String>();
        int size = Math.max(1, s.length() / n);
        for (int at = 0; at < s.length(); at += size) {
            out.add(s.substring(at, Math.min(s.length(), at + size)));
        }
        if (out.isEmpty()) {
            out.add("");
        }
        return out;
    }
}
