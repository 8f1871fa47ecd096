package dev.livepost.exec.anthropic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.livepost.exec.FileNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The Files API of {@link FakeAnthropic}: {@code POST /v1/files} (multipart field {@code file}),
 * {@code GET /v1/files/{id}} (metadata), {@code GET /v1/files/{id}/content} (only files made by
 * code execution are downloadable; an upload answers 400, as Anthropic's API does) and {@code
 * DELETE /v1/files/{id}}. Thread-safe.
 */
final class FakeFiles {
    /** A stored file: made by code execution ({@code downloadable}) or uploaded. */
    record Stored(String name, byte[] bytes, boolean downloadable) {}

    private final ObjectMapper json;
    private final Function<String, String> ids;
    private final Map<String, Stored> files = new ConcurrentHashMap<>();

    /** Uploads made ({@code POST /v1/files} answered 200). */
    final AtomicInteger uploads = new AtomicInteger();

    /** False: {@code POST /v1/files} answers 404, as an API without the Files API would. */
    volatile boolean uploadsEnabled = true;

    FakeFiles(ObjectMapper json, Function<String, String> ids) {
        this.json = json;
        this.ids = ids;
    }

    /** Keeps a file code execution made; returns its id. */
    String output(String name, byte[] bytes) {
        String id = ids.apply("file");
        files.put(id, new Stored(name, bytes, true));
        return id;
    }

    /** The upload with this id, or null. */
    Stored upload(String id) {
        Stored s = files.get(id);
        return s == null || s.downloadable() ? null : s;
    }

    /** The file is gone, as after a {@code DELETE} or its expiry. */
    void delete(String id) {
        files.remove(id);
    }

    /** Answers one request under {@code /v1/files}; the caller checked the key and the beta. */
    void handle(HttpExchange ex, FakeAnthropic.Errors errors) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        if (path.equals("/v1/files") && method.equals("POST")) {
            upload(ex, errors);
            return;
        }
        String rest = path.substring(Math.min(path.length(), "/v1/files/".length()));
        boolean content = rest.endsWith("/content");
        String id = content ? rest.substring(0, rest.length() - "/content".length()) : rest;
        Stored file = files.get(id);
        if (file == null) {
            errors.send(ex, 404, "not_found_error", "File not found: " + id);
            return;
        }
        if (method.equals("DELETE")) {
            files.remove(id);
            send(ex, json.createObjectNode().put("id", id).put("type", "file_deleted"));
            return;
        }
        if (content) {
            if (!file.downloadable()) {
                errors.send(
                        ex, 400, "invalid_request_error", "File " + id + " is not downloadable");
                return;
            }
            ex.getResponseHeaders().add("content-type", FileNames.mimeOf(file.name()));
            ex.sendResponseHeaders(200, file.bytes().length);
            ex.getResponseBody().write(file.bytes());
            return;
        }
        send(ex, meta(id, file));
    }

    private ObjectNode meta(String id, Stored file) {
        return json.createObjectNode()
                .put("id", id)
                .put("type", "file")
                .put("filename", file.name())
                .put("mime_type", FileNames.mimeOf(file.name()))
                .put("size_bytes", file.bytes().length)
                .put("created_at", Instant.now().toString())
                .put("downloadable", file.downloadable());
    }

    private void upload(HttpExchange ex, FakeAnthropic.Errors errors) throws IOException {
        if (!uploadsEnabled) {
            errors.send(ex, 404, "not_found_error", "Not found");
            return;
        }
        String type = ex.getRequestHeaders().getFirst("content-type");
        byte[] body = ex.getRequestBody().readAllBytes();
        var part = filePart(type, body);
        if (part == null) {
            errors.send(ex, 400, "invalid_request_error", "file: a multipart field is required");
            return;
        }
        String id = ids.apply("file");
        var stored = new Stored(part.getKey(), part.getValue(), false);
        files.put(id, stored);
        uploads.incrementAndGet();
        send(ex, meta(id, stored));
    }

    /** The {@code file} part of a multipart/form-data body: its file name and bytes. */
    static Map.Entry<String, byte[]> filePart(String contentType, byte[] body) {
        if (contentType == null || !contentType.startsWith("multipart/form-data")) {
            return null;
        }
        int b = contentType.indexOf("boundary=");
        if (b < 0) {
            return null;
        }
        String boundary = contentType.substring(b + "boundary=".length()).replace("\"", "");
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int at = indexOf(body, delimiter, 0);
        while (at >= 0) {
            int headersStart = at + delimiter.length + 2; // CRLF
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), at);
            int next = indexOf(body, delimiter, headersStart);
            if (headersEnd < 0 || next < 0) {
                return null;
            }
            String headers =
                    new String(
                            body, headersStart, headersEnd - headersStart, StandardCharsets.UTF_8);
            if (headers.contains("name=\"file\"")) {
                int f = headers.indexOf("filename=\"");
                String name =
                        f < 0 ? "upload" : headers.substring(f + 10, headers.indexOf('"', f + 10));
                return Map.entry(name, Arrays.copyOfRange(body, headersEnd + 4, next - 2));
            }
            at = next;
        }
        return null;
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private void send(HttpExchange ex, ObjectNode body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        ex.getResponseHeaders().add("content-type", "application/json");
        ex.sendResponseHeaders(200, bytes.length);
        ex.getResponseBody().write(bytes);
    }
}
