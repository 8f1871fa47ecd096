package dev.livepost;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Folders the server owns under its data folder (session files, precomputed outputs). */
public final class Folders {
    private static final Logger log = LoggerFactory.getLogger(Folders.class);

    private Folders() {}

    /** Deletes a folder and all in it; what cannot be deleted is logged, never thrown. */
    public static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(
                            p -> {
                                try {
                                    Files.deleteIfExists(p);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        } catch (IOException | UncheckedIOException e) {
            log.warn("could not delete {}", dir, e);
        }
    }
}
