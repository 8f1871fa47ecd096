package dev.livepost.exec.anthropic;

import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.BetaMessageAccumulator;
import com.anthropic.models.beta.messages.BetaBashCodeExecutionToolResultBlock;
import com.anthropic.models.beta.messages.BetaMessage;
import com.anthropic.models.beta.messages.BetaRawContentBlockStartEvent;
import com.anthropic.models.beta.messages.BetaRawMessageStreamEvent;
import com.anthropic.models.beta.messages.BetaTextEditorCodeExecutionToolResultBlock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads one streamed Messages API response and tells a {@link Listener} about each piece as soon as
 * it is complete: text deltas at once, a tool call when its last {@code input_json_delta} arrived,
 * a tool result when its block starts (results arrive whole). Not thread-safe: one reader per
 * response, used by the thread that iterates the stream.
 */
final class StreamReader {

    /** What a run does with the pieces of a response. Methods may throw to stop reading. */
    interface Listener {
        void text(String delta);

        void toolUse(String id, String name, JsonNode input);

        void bashResult(BetaBashCodeExecutionToolResultBlock block);

        void editorResult(BetaTextEditorCodeExecutionToolResultBlock block);
    }

    /**
     * How a response ended.
     *
     * @param stopReason e.g. {@code end_turn}, {@code pause_turn}; null if none came
     * @param containerId the container the response ran in, or null
     * @param message the whole assistant message, for continuing after {@code pause_turn}
     * @param complete whether {@code message_stop} arrived (false: the stream was cut)
     */
    record Turn(String stopReason, String containerId, BetaMessage message, boolean complete) {}

    private final ObjectMapper json;

    /**
     * The token counts a response reported, as far as it got: {@code message_start} gives the input
     * side, each {@code message_delta} the counts so far (cumulative, per the docs).
     */
    record Tokens(long input, long output, long cacheRead, long cacheWrite) {
        static final Tokens NONE = new Tokens(0, 0, 0, 0);
    }

    private final Listener listener;
    private Tokens tokens = Tokens.NONE;
    private final BetaMessageAccumulator accumulator = BetaMessageAccumulator.create();
    private final Map<Long, ToolCall> calls = new HashMap<>();
    private String stopReason;
    private String containerId;
    private boolean complete;

    StreamReader(ObjectMapper json, Listener listener) {
        this.json = json;
        this.listener = listener;
    }

    /** Reads until the stream ends; SDK exceptions (HTTP, {@code event: error}, I/O) propagate. */
    Turn read(StreamResponse<BetaRawMessageStreamEvent> stream) {
        for (BetaRawMessageStreamEvent event : (Iterable<BetaRawMessageStreamEvent>) stream) {
            accumulator.accumulate(event);
            on(event);
        }
        BetaMessage message = complete ? accumulator.message() : null;
        return new Turn(stopReason, containerId, message, complete);
    }

    /** What the response reported using so far; also after the stream failed. */
    Tokens tokens() {
        return tokens;
    }

    private void on(BetaRawMessageStreamEvent event) {
        if (event.isMessageStart()) {
            var message = event.asMessageStart().message();
            message.container().ifPresent(c -> containerId = c.id());
            var u = message.usage();
            tokens =
                    new Tokens(
                            u.inputTokens(),
                            u.outputTokens(),
                            u.cacheReadInputTokens().orElse(0L),
                            u.cacheCreationInputTokens().orElse(0L));
        } else if (event.isContentBlockStart()) {
            var start = event.asContentBlockStart();
            started(start.index(), start.contentBlock());
        } else if (event.isContentBlockDelta()) {
            var d = event.asContentBlockDelta();
            if (d.delta().isText()) {
                listener.text(d.delta().asText().text());
            } else if (d.delta().isInputJson()) {
                ToolCall call = calls.get(d.index());
                if (call != null) {
                    call.partial.append(d.delta().asInputJson().partialJson());
                }
            }
        } else if (event.isContentBlockStop()) {
            ToolCall call = calls.remove(event.asContentBlockStop().index());
            if (call != null) {
                listener.toolUse(call.id, call.name, call.input());
            }
        } else if (event.isMessageDelta()) {
            var delta = event.asMessageDelta().delta();
            delta.stopReason().ifPresent(r -> stopReason = r.asString());
            delta.container().ifPresent(c -> containerId = c.id());
            var u = event.asMessageDelta().usage();
            tokens =
                    new Tokens(
                            u.inputTokens().orElse(tokens.input()),
                            u.outputTokens(),
                            u.cacheReadInputTokens().orElse(tokens.cacheRead()),
                            u.cacheCreationInputTokens().orElse(tokens.cacheWrite()));
        } else if (event.isMessageStop()) {
            complete = true;
        }
    }

    private void started(long index, BetaRawContentBlockStartEvent.ContentBlock block) {
        if (block.isText()) {
            String text = block.asText().text();
            if (!text.isEmpty()) {
                listener.text(text);
            }
        } else if (block.isServerToolUse()) {
            var use = block.asServerToolUse();
            JsonNode initial = use._input().convert(JsonNode.class);
            calls.put(index, new ToolCall(use.id(), use.name().asString(), initial));
        } else if (block.isBashCodeExecutionToolResult()) {
            listener.bashResult(block.asBashCodeExecutionToolResult());
        } else if (block.isTextEditorCodeExecutionToolResult()) {
            listener.editorResult(block.asTextEditorCodeExecutionToolResult());
        }
    }

    /** A server tool call whose input is still arriving in pieces. */
    private final class ToolCall {
        final String id;
        final String name;
        final JsonNode initial;
        final StringBuilder partial = new StringBuilder();

        ToolCall(String id, String name, JsonNode initial) {
            this.id = id;
            this.name = name;
            this.initial = initial;
        }

        JsonNode input() {
            if (partial.length() == 0) {
                return initial == null ? JsonNodeFactory.instance.objectNode() : initial;
            }
            try {
                return json.readTree(partial.toString());
            } catch (IOException e) {
                throw new UpstreamException(
                        "upstream_bad_response",
                        "Anthropic's API sent a tool call that is not valid JSON.");
            }
        }
    }
}
