package dev.livepost.precompute;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The output of one precomputed run, as stored (JSON) and shown under the code. Immutable.
 *
 * @param key the {@link OutputKey} it was computed for
 * @param artifact the artifact's address when it ran, {@code SLUG/ID} (informative only)
 * @param createdAt when it ran
 * @param status how the run ended: the {@code done} event's status ({@code ok}, {@code error},
 *     {@code timeout}, {@code interrupted}, {@code killed}), or {@code failed} when it could not
 *     run at all (an {@code error} event, see {@code message})
 * @param message why it failed, for {@code failed}; else null
 * @param durationMs the run's duration as {@code done} said, 0 for {@code failed}
 * @param items the output in order, consecutive stream text merged
 */
public record Precomputed(
        String key,
        String artifact,
        Instant createdAt,
        String status,
        String message,
        long durationMs,
        List<Item> items) {

    public static final String FAILED = "failed";

    public Precomputed {
        items = List.copyOf(items);
    }

    /** Whether the code ran to its end without an error. */
    public boolean ok() {
        return "ok".equals(status);
    }

    /**
     * One piece of output. Fields not used by a kind are null (0 for {@code size}).
     *
     * @param kind {@code stdout}, {@code stderr}, {@code display}, {@code file}, {@code text},
     *     {@code code} or {@code notice}
     * @param text the text of a stream, {@code text}, {@code code} or {@code notice}
     * @param language the language of {@code code}
     * @param mime a display's value by MIME type ({@code text/html} already sanitized by the
     *     server, and sanitized again when shown)
     * @param name a file's name as the code gave it (sanitized by the server)
     * @param type a file's MIME type, the server's choice
     * @param size a file's size in bytes
     * @param file the file's name in the store, letters, digits, {@code .}, {@code -} and {@code _}
     */
    public record Item(
            String kind,
            String text,
            String language,
            Map<String, String> mime,
            String name,
            String type,
            long size,
            String file) {

        static Item stream(String kind, String text) {
            return new Item(kind, text, null, null, null, null, 0, null);
        }

        static Item display(Map<String, String> mime) {
            return new Item("display", null, null, Map.copyOf(mime), null, null, 0, null);
        }

        static Item code(String language, String code) {
            return new Item("code", code, language, null, null, null, 0, null);
        }

        static Item file(String name, String type, long size, String file) {
            return new Item("file", null, null, null, name, type, size, file);
        }
    }
}
