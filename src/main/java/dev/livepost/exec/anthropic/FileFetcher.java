package dev.livepost.exec.anthropic;

import com.anthropic.client.AnthropicClient;
import com.anthropic.models.beta.files.FileDownloadParams;
import com.anthropic.models.beta.files.FileRetrieveMetadataParams;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunSink;
import java.io.IOException;
import java.io.InputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads the files code execution produced (Files API: metadata for the name and type, then the
 * bytes) and hands them to the run's sink. Blocking; thread-safe.
 */
final class FileFetcher {
    private static final Logger log = LoggerFactory.getLogger(FileFetcher.class);
    static final String FILES_BETA = "files-api-2025-04-14";

    private final AnthropicClient client;
    private final long maxBytes;

    FileFetcher(AnthropicClient client, long maxBytes) {
        this.client = client;
        this.maxBytes = maxBytes;
    }

    /** Fetches one file into {@code sink}; a failure becomes a {@code notice}, not an error. */
    void fetch(String fileId, RunSink sink) {
        String name = fileId;
        try {
            var meta =
                    client.beta()
                            .files()
                            .retrieveMetadata(
                                    FileRetrieveMetadataParams.builder()
                                            .fileId(fileId)
                                            .addBeta(FILES_BETA)
                                            .build());
            name = meta.filename();
            if (meta.sizeBytes() > maxBytes) {
                sink.fileTooLarge(name, meta.sizeBytes());
                return;
            }
            byte[] bytes;
            try (var response =
                            client.beta()
                                    .files()
                                    .download(
                                            FileDownloadParams.builder()
                                                    .fileId(fileId)
                                                    .addBeta(FILES_BETA)
                                                    .build());
                    InputStream in = response.body()) {
                bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            }
            sink.file(name, meta.mimeType(), bytes);
        } catch (IOException | RuntimeException e) {
            log.warn("downloading {} failed", fileId, e);
            sink.emit(
                    new RunEvent.Notice(
                            "The file " + name + " could not be downloaded from Anthropic."));
        }
    }
}
