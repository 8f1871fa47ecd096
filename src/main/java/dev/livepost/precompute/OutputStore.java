package dev.livepost.precompute;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.Folders;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Precomputed outputs on disk, one folder per key under {@code DATA/precomputed/}: {@code
 * output.json} and the run's files. An entry is written to a temporary folder and renamed into
 * place, so a reader never sees half of one, and once there it never changes (its key says what it
 * holds), which lets its files be cached for good. Thread-safe.
 */
public final class OutputStore {
    private static final Logger log = LoggerFactory.getLogger(OutputStore.class);
    private static final Pattern KEY = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,150}");
    private static final String OUTPUT = "output.json";

    private final Path root;
    private final ObjectMapper json;
    private final Map<String, Optional<Precomputed>> cache = new ConcurrentHashMap<>();

    public OutputStore(Path dataDir, ObjectMapper json) {
        this.root = dataDir.resolve("precomputed");
        this.json = json;
    }

    /** The output stored under {@code key}, if any; read from disk once, then from memory. */
    public Optional<Precomputed> get(String key) {
        if (!KEY.matcher(key).matches()) {
            return Optional.empty();
        }
        Optional<Precomputed> hit = cache.get(key);
        if (hit != null && hit.isPresent()) {
            return hit;
        }
        Path file = root.resolve(key).resolve(OUTPUT);
        if (!Files.isRegularFile(file)) {
            return Optional.empty(); // not cached: it may be written later
        }
        try {
            var p = Optional.of(json.readValue(file.toFile(), Precomputed.class));
            cache.put(key, p);
            return p;
        } catch (IOException e) {
            log.warn("ignoring unreadable precomputed output {}: {}", file, e.toString());
            return Optional.empty();
        }
    }

    /**
     * Stores an output and its files (by their names in {@link Precomputed.Item#file()}), replacing
     * any entry of the same key.
     */
    public void put(Precomputed output, Map<String, byte[]> files) throws IOException {
        if (!KEY.matcher(output.key()).matches()) {
            throw new IllegalArgumentException("not a key: " + output.key());
        }
        Files.createDirectories(root);
        Path tmp = Files.createTempDirectory(root, ".tmp-");
        try {
            for (var f : files.entrySet()) {
                Files.write(tmp.resolve(checkedName(f.getKey())), f.getValue());
            }
            json.writeValue(tmp.resolve(OUTPUT).toFile(), output);
            Path target = root.resolve(output.key());
            Folders.deleteRecursively(target);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
        } finally {
            Folders.deleteRecursively(tmp);
        }
        cache.put(output.key(), Optional.of(output));
    }

    /** A stored file of an entry, if both exist; never a path outside the store. */
    public Optional<Path> file(String key, String name) {
        if (!KEY.matcher(key).matches() || !FILE.matcher(name).matches() || name.equals(OUTPUT)) {
            return Optional.empty();
        }
        Path p = root.resolve(key).resolve(name);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** The folder of an entry (it may not exist). */
    public Path folder(String key) {
        if (!KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("not a key: " + key);
        }
        return root.resolve(key);
    }

    /** Deletes every entry whose key is not in {@code keep}; returns how many went. */
    public int retainOnly(Set<String> keep) {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        int removed = 0;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(root)) {
            for (Path p : dir) {
                String name = p.getFileName().toString();
                if (KEY.matcher(name).matches() && !keep.contains(name)) {
                    cache.remove(name);
                    Folders.deleteRecursively(p);
                    removed++;
                } else if (name.startsWith(".tmp-")) {
                    Folders.deleteRecursively(p); // left by a server stopped mid-write
                }
            }
        } catch (IOException e) {
            log.warn("cannot clean {}: {}", root, e.toString());
        }
        return removed;
    }

    /** Makes a file name the store accepts out of any name (keeps its extension where it can). */
    static String storedName(int index, String name) {
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^[._-]+", "");
        if (safe.length() > 100) {
            safe = safe.substring(safe.length() - 100);
        }
        return index + "-" + (safe.isEmpty() ? "file" : safe);
    }

    private static String checkedName(String name) {
        if (!FILE.matcher(name).matches() || name.equals(OUTPUT)) {
            throw new IllegalArgumentException("not a stored file name: " + name);
        }
        return name;
    }
}
