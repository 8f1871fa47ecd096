package dev.livepost.exec.anthropic;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.MultipartField;
import com.anthropic.models.beta.files.FileDeleteParams;
import com.anthropic.models.beta.files.FileUploadParams;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files this server uploads with the Files API for containers to copy from {@code $INPUT_DIR}: the
 * kernel script once per server, and readers' long code. A file is named by its content ({@code
 * lp-<sha256 prefix>.py}), uploaded once and its id reused across sessions and containers; an id
 * the API no longer knows is {@link #forget forgotten} and the next use uploads again. Long code is
 * kept for the last {@value #CODE_KEPT} contents and older ones are deleted, so a server does not
 * fill the owner's file storage. When an upload fails, uploads are not tried again for {@link
 * #PAUSE} (runs then send the kernel inline). Thread-safe; {@link #upload} blocks on the API.
 */
final class Uploads {
    private static final Logger log = LoggerFactory.getLogger(Uploads.class);
    static final int CODE_KEPT = 64;
    static final Duration PAUSE = Duration.ofMinutes(10);

    /** An uploaded file: its name in {@code $INPUT_DIR} and its Files API id. */
    record File(String name, String id) {}

    private final AnthropicClient client;
    private final ExecutorService pool;
    private final Clock clock;
    private final Map<String, File> byName = new LinkedHashMap<>(16, 0.75f, true); // guarded
    private Instant pausedUntil = Instant.MIN; // guarded by this

    Uploads(AnthropicClient client, ExecutorService pool, Clock clock) {
        this.client = client;
        this.pool = pool;
        this.clock = clock;
    }

    /** The name the kernel script has in {@code $INPUT_DIR}. */
    static String kernelName() {
        return "lp-" + hash(KernelCommand.KERNEL_SOURCE) + ".py";
    }

    /** The name a reader's code has in {@code $INPUT_DIR}. */
    static String codeName(String code) {
        return "code-" + hash(code) + ".py";
    }

    /**
     * The upload of {@code name} with {@code content}, uploading it unless already done.
     *
     * @throws UploadFailed when the Files API refused or could not be reached, or uploads are
     *     paused after such a failure
     */
    File upload(String name, String content) {
        synchronized (this) {
            File known = byName.get(name);
            if (known != null) {
                return known;
            }
            if (clock.instant().isBefore(pausedUntil)) {
                throw new UploadFailed(null);
            }
        }
        File made;
        try (InputStream in = new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8))) {
            var meta =
                    client.beta()
                            .files()
                            .upload(
                                    FileUploadParams.builder()
                                            .file(
                                                    MultipartField.<InputStream>builder()
                                                            .value(in)
                                                            .filename(name)
                                                            .contentType("text/x-python")
                                                            .build())
                                            .addBeta(FileFetcher.FILES_BETA)
                                            .build());
            made = new File(name, meta.id());
        } catch (Exception e) {
            synchronized (this) {
                pausedUntil = clock.instant().plus(PAUSE);
            }
            log.warn(
                    "uploading {} to Anthropic's Files API failed, so the kernel and long code"
                            + " are sent inline for {} min: {}",
                    name,
                    PAUSE.toMinutes(),
                    e.toString());
            throw new UploadFailed(e);
        }
        synchronized (this) {
            byName.put(name, made);
            evictOldCode();
        }
        return made;
    }

    /** The API does not know this file any more (deleted, expired): upload it again next time. */
    synchronized void forget(File file) {
        byName.remove(file.name(), file);
    }

    private void evictOldCode() {
        long code = byName.keySet().stream().filter(n -> n.startsWith("code-")).count();
        var it = byName.entrySet().iterator();
        while (code > CODE_KEPT && it.hasNext()) {
            var e = it.next();
            if (e.getKey().startsWith("code-")) {
                it.remove();
                code--;
                String id = e.getValue().id();
                pool.execute(() -> delete(id));
            }
        }
    }

    private void delete(String id) {
        try {
            client.beta()
                    .files()
                    .delete(
                            FileDeleteParams.builder()
                                    .fileId(id)
                                    .addBeta(FileFetcher.FILES_BETA)
                                    .build());
        } catch (RuntimeException e) {
            log.info("deleting the old code upload {} failed: {}", id, e.toString());
        }
    }

    private static String hash(String content) {
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256")
                            .digest(content.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An upload could not be made; the caller sends the content inline instead. */
    static final class UploadFailed extends RuntimeException {
        UploadFailed(Throwable cause) {
            super(cause == null ? "uploads are paused" : cause.toString(), cause, false, false);
        }
    }
}
