package dev.livepost.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The files under {@code /assets}: the component's bundle (as listed by the frontend build in
 * {@code livepost-files.txt}) and the site's stylesheet, read once from the class path.
 *
 * <p>Pages link the entry files by content-hashed names ({@code livepost.3f9a1c2b7d.js}, see {@link
 * #url}), which a browser may keep for a year; the esbuild chunks carry hashes in their names
 * already. The plain names ({@code /assets/livepost.js}, interfaces.md section 3, for sites that
 * embed runners) stay served, with a short cache. Immutable and thread-safe.
 */
public final class Assets {
    /** Entry files that pages link by a hashed name. */
    private static final List<String> ENTRIES = List.of("livepost.js", "livepost.css", "site.css");

    /** esbuild's chunk names: {@code livepost-NAME-HASH8.js} (and their maps and notices). */
    private static final Pattern CHUNK =
            Pattern.compile("livepost-.+-[A-Z0-9]{8}\\.js(\\.map|\\.LEGAL\\.txt)?");

    /** One file: its bytes, type, whether its name changes with its content, and its ETag. */
    public record Asset(
            String name, byte[] bytes, String contentType, boolean immutable, String etag) {}

    private final Map<String, Asset> byName;
    private final Map<String, String> hashedNames;

    private Assets(Map<String, byte[]> files) {
        var all = new LinkedHashMap<String, Asset>();
        var hashed = new LinkedHashMap<String, String>();
        for (var e : files.entrySet()) {
            String name = e.getKey();
            String hash = sha256(e.getValue());
            boolean entry = ENTRIES.contains(name);
            all.put(name, asset(name, e.getValue(), hash, !entry && CHUNK.matcher(name).matches()));
            if (entry) {
                int dot = name.lastIndexOf('.');
                String h =
                        name.substring(0, dot) + "." + hash.substring(0, 10) + name.substring(dot);
                hashed.put(name, h);
                all.put(h, asset(h, e.getValue(), hash, true));
            }
        }
        this.byName = Map.copyOf(all);
        this.hashedNames = Map.copyOf(hashed);
    }

    private static Asset asset(String name, byte[] bytes, String hash, boolean immutable) {
        return new Asset(
                name, bytes, contentType(name), immutable, '"' + hash.substring(0, 16) + '"');
    }

    /** The assets of the running jar (or {@code target/classes}); built once. */
    public static Assets standard() {
        return Holder.STANDARD;
    }

    private static final class Holder {
        static final Assets STANDARD = fromClassPath();
    }

    static Assets fromClassPath() {
        var loader = Assets.class.getClassLoader();
        byte[] list = read(loader, "assets/livepost-files.txt");
        if (list == null) {
            throw new IllegalStateException(
                    "assets/livepost-files.txt is missing from the class path: the frontend was not"
                            + " built (mvn compile runs it; by hand: cd frontend && npm run build)");
        }
        var files = new LinkedHashMap<String, byte[]>();
        for (String name : new String(list, StandardCharsets.UTF_8).split("\n")) {
            if (!name.isBlank()) {
                byte[] b = read(loader, "assets/" + name.trim());
                if (b != null) {
                    files.put(name.trim(), b);
                }
            }
        }
        files.put("livepost-files.txt", list);
        byte[] site = read(loader, "assets/site.css");
        if (site != null) {
            files.put("site.css", site);
        }
        return new Assets(files);
    }

    /**
     * The address a page links for an entry file: {@code /assets/} and its hashed name, e.g. {@code
     * url("livepost.js")} is {@code /assets/livepost.3f9a1c2b7d.js}.
     */
    public String url(String name) {
        String hashed = hashedNames.get(name);
        if (hashed == null) {
            throw new IllegalArgumentException("no asset " + name + " (one of " + ENTRIES + ")");
        }
        return "/assets/" + hashed;
    }

    /** A file by the name under {@code /assets/}, plain or hashed. */
    public Optional<Asset> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** Every file by name (plain and hashed), e.g. for a static copy of the site. */
    public Map<String, Asset> all() {
        return byName;
    }

    private static byte[] read(ClassLoader loader, String path) {
        try (InputStream in = loader.getResourceAsStream(path)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String contentType(String name) {
        if (name.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        } else if (name.endsWith(".css")) {
            return "text/css; charset=utf-8";
        } else if (name.endsWith(".map")) {
            return "application/json; charset=utf-8";
        }
        return "text/plain; charset=utf-8";
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
