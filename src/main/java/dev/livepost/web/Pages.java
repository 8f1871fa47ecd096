package dev.livepost.web;

import dev.livepost.blog.Artifact;
import dev.livepost.blog.Blog;
import dev.livepost.blog.Post;
import dev.livepost.markdown.CodeRunnerExtension;
import dev.livepost.precompute.Precomputed;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;

/**
 * The blog's pages as HTML strings, from the jte templates precompiled at build time into {@code
 * dev.livepost.web.templates} (a template error fails the build). Used by the server's routes and
 * usable as is by a static renderer. Thread-safe; rendering never blocks on I/O.
 */
public final class Pages {
    /** Where the precomputed outputs' files are served, followed by {@code KEY/FILE}. */
    public static final String PRECOMPUTED_PATH = "/precomputed/";

    /** Where pages find an artifact's precomputed output; must not block. */
    @FunctionalInterface
    public interface Outputs {
        Optional<Precomputed> of(Artifact artifact);

        static Outputs none() {
            return a -> Optional.empty();
        }
    }

    private final Blog blog;
    private final Outputs outputs;
    private final TemplateEngine templates;
    private final boolean chatLink;

    public Pages(Blog blog, Outputs outputs) {
        this(blog, outputs, false);
    }

    /**
     * @param chatLink whether the site header links to {@code /chat} (the server can hold
     *     conversations with Claude)
     */
    public Pages(Blog blog, Outputs outputs, boolean chatLink) {
        this.blog = blog;
        this.outputs = outputs;
        this.chatLink = chatLink;
        this.templates =
                TemplateEngine.createPrecompiled(
                        null,
                        ContentType.Html,
                        Pages.class.getClassLoader(),
                        "dev.livepost.web.templates");
    }

    /** The index: published posts, newest first. */
    public String index() {
        return render("index.jte", Map.of("posts", blog.posts()));
    }

    /** The post's page, if it is published. */
    public Optional<String> post(String slug) {
        return blog.post(slug)
                .map(p -> render("post.jte", Map.of("post", p, "body", body(p, PRECOMPUTED_PATH))));
    }

    /**
     * The post's rendered body with each runner's precomputed output (where there is one) in place
     * of its marker.
     *
     * @param filesBase where the outputs' files are served, followed by {@code KEY/FILE}
     */
    public String body(Post post, String filesBase) {
        Matcher m = CodeRunnerExtension.OUTPUT_MARKER.matcher(post.html());
        var out = new StringBuilder(post.html().length() + 1024);
        while (m.find()) {
            String html =
                    post.artifact(m.group(1))
                            .flatMap(outputs::of)
                            .map(p -> PrecomputedHtml.of(p, filesBase))
                            .orElse("");
            m.appendReplacement(out, Matcher.quoteReplacement(html));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The posts with a tag (case-insensitive), if there are any. */
    public Optional<String> tag(String tag) {
        String t = tag.toLowerCase(Locale.ROOT); // tags are stored in lower case
        List<Post> posts = blog.tagged(t);
        return posts.isEmpty()
                ? Optional.empty()
                : Optional.of(render("tag.jte", Map.of("tag", t, "posts", posts)));
    }

    /** Every tag with its number of posts. */
    public String tags() {
        var counts = new LinkedHashMap<String, Integer>();
        for (String t : blog.tags()) {
            counts.put(t, blog.tagged(t).size());
        }
        return render("tags.jte", Map.of("tags", counts));
    }

    /** The Atom feed; {@code base} is the site's root URL, e.g. {@code https://blog.example}. */
    public String feed(String base) {
        return AtomFeed.write(
                blog.posts(), p -> body(p, base + PRECOMPUTED_PATH), AtomFeed.serverLinks(base));
    }

    /** The Atom feed with {@code links}; outputs' files under {@code filesBase}. */
    public String feed(AtomFeed.Links links, String filesBase) {
        return AtomFeed.write(blog.posts(), p -> body(p, filesBase), links);
    }

    /** The 404 page, with a sentence saying what was not found. */
    public String notFound(String message) {
        return render("notfound.jte", Map.of("message", message));
    }

    /**
     * The chat page: the conversation's place when {@code available}, else what the server needs
     * for it.
     *
     * @param limits what the page tells the reader of the limits ({@code messages}, {@code
     *     idleMinutes}, ...)
     */
    public String chat(boolean available, Map<String, Object> limits) {
        return render("chat.jte", Map.of("available", available, "limits", limits));
    }

    private String render(String template, Map<String, Object> params) {
        var out = new StringOutput();
        var all = new java.util.HashMap<>(params);
        all.put("chat", chatLink);
        templates.render(template, all, out);
        return out.toString();
    }
}
