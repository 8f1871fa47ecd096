package dev.livepost.render;

import dev.livepost.blog.Blog;
import dev.livepost.blog.Post;
import dev.livepost.precompute.OutputStore;
import dev.livepost.web.Assets;
import dev.livepost.web.AtomFeed;
import dev.livepost.web.Pages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * Writes the blog as static files: {@code index.html}, {@code posts/SLUG.html}, {@code tags.html},
 * {@code tags/TAG.html}, {@code 404.html}, {@code feed.xml}, {@code assets/} and {@code
 * precomputed/KEY/FILE}. The pages are the server's own, with every site-absolute link rewritten to
 * a relative one (so the copy works from any folder of any static server, and from {@code file://})
 * and, with a server, every runner's {@code server=} set to it. Not thread-safe; one {@link #write}
 * at a time.
 */
final class StaticSite {
    private static final String FILES = "precomputed/";

    private final Blog blog;
    private final Pages pages;
    private final OutputStore store;
    private final String server;

    /**
     * @param server the live Livepost the runners talk to, or null
     */
    StaticSite(Blog blog, Pages pages, OutputStore store, String server) {
        this.blog = blog;
        this.pages = pages;
        this.store = store;
        this.server = server;
    }

    /**
     * Writes the site into {@code out} (created if needed; files of an earlier render are
     * overwritten, others left alone).
     *
     * @param keys the precomputed outputs the pages show, whose files are copied
     * @return the files written, relative to {@code out}
     */
    List<String> write(Path out, Collection<String> keys) throws IOException {
        var written = new ArrayList<String>();
        Files.createDirectories(out);
        page(out, "index.html", pages.index(), written);
        for (Post p : blog.posts()) {
            page(out, "posts/" + p.slug() + ".html", pages.post(p.slug()).orElseThrow(), written);
        }
        page(out, "tags.html", pages.tags(), written);
        for (String tag : blog.tags()) {
            page(out, "tags/" + tag + ".html", pages.tag(tag).orElseThrow(), written);
        }
        page(out, "404.html", pages.notFound("There is nothing at this address."), written);
        text(out, "feed.xml", pages.feed(AtomFeed.staticLinks(), FILES), written);
        copyAssets(out.resolve("assets"), written);
        for (String key : keys) {
            Path from = store.folder(key);
            if (!Files.isDirectory(from)) {
                continue;
            }
            try (Stream<Path> files = Files.list(from)) {
                for (Path f : files.toList()) {
                    String name = f.getFileName().toString();
                    if (store.file(key, name).isPresent()) {
                        Path to = out.resolve(FILES + key).resolve(name);
                        Files.createDirectories(to.getParent());
                        Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
                        written.add(FILES + key + "/" + name);
                    }
                }
            }
        }
        return written;
    }

    private void page(Path out, String file, String html, List<String> written) throws IOException {
        text(out, file, relative(html, file), written);
    }

    private static void text(Path out, String file, String content, List<String> written)
            throws IOException {
        Path to = out.resolve(file);
        Files.createDirectories(to.getParent());
        Files.writeString(to, content, StandardCharsets.UTF_8);
        written.add(file);
    }

    /**
     * The page with its site-absolute links ({@code /posts/x}, {@code /assets/...}) made relative
     * to {@code file}, and its runners pointed at the server.
     */
    String relative(String html, String file) {
        Document doc = Jsoup.parse(html);
        doc.outputSettings().prettyPrint(false);
        String up = "../".repeat((int) file.chars().filter(c -> c == '/').count());
        for (Element e : doc.select("[href], [src]")) {
            for (String attr : List.of("href", "src")) {
                String v = e.attr(attr);
                if (v.startsWith("/") && !v.startsWith("//")) {
                    e.attr(attr, up + target(v));
                }
            }
        }
        if (server != null) {
            doc.select("code-runner").attr("server", server);
        }
        return doc.outerHtml();
    }

    /** The file a site-absolute path is written to, with its query and fragment kept. */
    static String target(String path) {
        int cut = indexOfAny(path, '?', '#');
        String p = cut < 0 ? path : path.substring(0, cut);
        String tail = cut < 0 ? "" : path.substring(cut);
        if (p.equals("/")) {
            return "index.html" + tail;
        }
        if (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.equals("/tags")) {
            return "tags.html" + tail;
        }
        if (p.startsWith("/posts/") || p.startsWith("/tags/")) {
            return p.substring(1) + ".html" + tail;
        }
        return p.substring(1) + tail;
    }

    private static int indexOfAny(String s, char a, char b) {
        int i = s.indexOf(a);
        int j = s.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }

    /**
     * Writes every file the server serves under {@code /assets/}, by its plain and its hashed name
     * (pages link the hashed ones).
     */
    private static void copyAssets(Path to, List<String> written) throws IOException {
        for (Assets.Asset a : Assets.standard().all().values()) {
            Path target = to.resolve(a.name());
            Files.createDirectories(target.getParent());
            Files.write(target, a.bytes());
            written.add("assets/" + a.name());
        }
    }
}
