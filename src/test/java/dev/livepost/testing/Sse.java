package dev.livepost.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** Reads a Server-Sent Events stream as the API writes it ({@code event:} then {@code data:}). */
public final class Sse {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One event, its JSON data and when it arrived ({@link System#nanoTime}). */
    public record Event(String name, JsonNode data, long nanos) {
        /** The event's {@code text} field (stdout, stderr, text), or "". */
        public String text() {
            return data.path("text").asText("");
        }
    }

    private Sse() {}

    /** Reads every event of {@code lines} until the stream ends; blocks. */
    public static List<Event> read(Stream<String> lines) {
        List<Event> events = new ArrayList<>();
        read(lines, events::add);
        return events;
    }

    /** Hands each event of {@code lines} to {@code out} as it arrives; blocks until the end. */
    public static void read(Stream<String> lines, Consumer<Event> out) {
        String[] name = {null};
        lines.forEach(
                line -> {
                    if (line.startsWith("event:")) {
                        name[0] = line.substring(6).trim();
                    } else if (line.startsWith("data:")) {
                        try {
                            out.accept(
                                    new Event(
                                            name[0],
                                            JSON.readTree(line.substring(5).trim()),
                                            System.nanoTime()));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                });
    }
}
