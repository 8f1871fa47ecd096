package dev.livepost.blog;

import dev.livepost.Config;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The posts of the blog: every {@code *.md} file of {@link Config#posts()}, parsed at startup and,
 * with {@link Config#reloadPosts()}, re-read when files change (checked at most once per {@code
 * checkInterval}, on the next request: a directory listing is cheap and, unlike a WatchService,
 * sees editors' rename-into-place saves on every file system). Each problem is logged once as
 * {@code FILE:LINE: message} and stays queryable through {@link #problems()}.
 *
 * <p>Thread-safe: readers see an immutable snapshot; a reload swaps it atomically. Calls may block
 * briefly while changed files are re-read.
 */
public final class Blog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Blog.class);
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

    private final Path folder;
    private final boolean reload;
    private final long checkIntervalNanos;
    private final PostReader reader;
    private final Object lock = new Object();

    /** Parsed files by path, with the stamp they were read at; guarded by {@link #lock}. */
    private final Map<Path, Entry> cache = new HashMap<>();

    private volatile Snapshot snapshot;
    private volatile long lastCheck;

    private record Entry(Stamp stamp, PostReader.Read read) {}

    private record Stamp(long modified, long size) {}

    /** What readers see: published posts newest first, and every current problem. */
    private record Snapshot(
            List<Post> published, Map<String, Post> bySlug, List<Problem> problems) {}

    public Blog(Config config) {
        this(config, CHECK_INTERVAL);
    }

    /** As {@link #Blog(Config)} with another interval between checks for changed files. */
    public Blog(Config config, Duration checkInterval) {
        this.folder = config.posts();
        this.reload = config.reloadPosts();
        this.checkIntervalNanos = checkInterval.toNanos();
        this.reader = new PostReader();
        synchronized (lock) {
            this.snapshot = load();
            this.lastCheck = System.nanoTime();
        }
        log.info("{} posts from {}", snapshot.published().size(), folder);
    }

    /** Published posts (drafts left out), newest first. */
    public List<Post> posts() {
        return current().published();
    }

    /** The published post with this slug. */
    public Optional<Post> post(String slug) {
        return Optional.ofNullable(current().bySlug().get(slug));
    }

    /** Published posts with this tag, newest first. */
    public List<Post> tagged(String tag) {
        return posts().stream().filter(p -> p.meta().tags().contains(tag)).toList();
    }

    /** Every tag of a published post, sorted. */
    public List<String> tags() {
        var all = new TreeSet<String>();
        posts().forEach(p -> all.addAll(p.meta().tags()));
        return List.copyOf(all);
    }

    /** The artifact at {@code SLUG/ID}, if a published post has it. */
    public Optional<Artifact> artifact(String address) {
        int slash = address.indexOf('/');
        if (slash < 0) {
            return Optional.empty();
        }
        return post(address.substring(0, slash))
                .flatMap(p -> p.artifact(address.substring(slash + 1)));
    }

    /**
     * The code {@code a}'s {@code setup=} chain runs first, in order: its setup's setup first, its
     * own setup last. Empty without {@code setup=}. The post's checks refuse references to unknown
     * artifacts and cycles; should one slip through, the chain stops where it would repeat.
     */
    public List<Artifact> setupChain(Artifact a) {
        var chain = new ArrayList<Artifact>();
        var seen = new HashSet<String>(Set.of(a.id()));
        for (String id = a.setup(); id != null && seen.add(id); ) {
            Optional<Artifact> next = artifact(a.slug() + "/" + id);
            if (next.isEmpty()) {
                break;
            }
            chain.add(0, next.get());
            id = next.get().setup();
        }
        return List.copyOf(chain);
    }

    /** Every problem of every file (drafts included), as last read. */
    public List<Problem> problems() {
        return current().problems();
    }

    private Snapshot current() {
        if (reload && System.nanoTime() - lastCheck >= checkIntervalNanos) {
            synchronized (lock) {
                if (System.nanoTime() - lastCheck >= checkIntervalNanos) {
                    snapshot = load();
                    lastCheck = System.nanoTime();
                }
            }
        }
        return snapshot;
    }

    /** Re-reads the files that changed since the last load; called with {@link #lock} held. */
    private Snapshot load() {
        Map<Path, Stamp> files = list();
        if (snapshot != null && files.keySet().equals(cache.keySet())) {
            boolean same = true;
            for (var e : files.entrySet()) {
                same &= cache.get(e.getKey()).stamp().equals(e.getValue());
            }
            if (same) {
                return snapshot;
            }
        }
        cache.keySet().retainAll(files.keySet());
        for (var e : files.entrySet()) {
            Entry old = cache.get(e.getKey());
            if (old == null || !old.stamp().equals(e.getValue())) {
                if (snapshot != null) {
                    log.info("re-reading {}", e.getKey());
                }
                PostReader.Read read = reader.read(e.getKey());
                read.problems().forEach(p -> log.warn("{}", p));
                cache.put(e.getKey(), new Entry(e.getValue(), read));
            }
        }
        var published = new ArrayList<Post>();
        var problems = new ArrayList<Problem>();
        for (Entry entry : cache.values()) {
            problems.addAll(entry.read().problems());
            Post p = entry.read().post();
            if (p != null && !p.meta().draft()) {
                published.add(p);
            }
        }
        published.sort(
                Comparator.comparing((Post p) -> p.meta().date())
                        .reversed()
                        .thenComparing(Post::slug));
        problems.sort(
                Comparator.comparing((Problem p) -> p.file().toString())
                        .thenComparingInt(Problem::line));
        var bySlug = new LinkedHashMap<String, Post>();
        published.forEach(p -> bySlug.put(p.slug(), p));
        return new Snapshot(List.copyOf(published), Map.copyOf(bySlug), List.copyOf(problems));
    }

    private Map<Path, Stamp> list() {
        var out = new HashMap<Path, Stamp>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(folder, "*.md")) {
            for (Path p : dir) {
                try {
                    var attrs = Files.readAttributes(p, BasicFileAttributes.class);
                    if (attrs.isRegularFile()) {
                        out.put(p, new Stamp(attrs.lastModifiedTime().toMillis(), attrs.size()));
                    }
                } catch (IOException e) {
                    // Deleted between listing and reading: it is simply gone.
                }
            }
        } catch (IOException e) {
            if (snapshot == null) {
                log.warn("cannot read the posts folder {}: {}", folder, e.toString());
            }
        }
        return out;
    }

    @Override
    public void close() {
        // Nothing to release: reloading needs no thread or watch service.
    }
}
