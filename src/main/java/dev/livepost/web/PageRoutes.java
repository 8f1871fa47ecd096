package dev.livepost.web;

import dev.livepost.Config;
import dev.livepost.blog.Blog;
import dev.livepost.blog.Post;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The blog's pages: index, posts, tags, the Atom feed, and an HTML 404 page for anything that is
 * not API (API 404s stay JSON). Templates are jte, precompiled at build time into {@code
 * dev.livepost.web.templates}, so a template error fails the build. Thread-safe.
 */
final class PageRoutes {
    private final Blog blog;
    private final TemplateEngine templates;

    PageRoutes(Config config, Blog blog) {
        this.blog = blog;
        this.templates =
                TemplateEngine.createPrecompiled(
                        null,
                        ContentType.Html,
                        PageRoutes.class.getClassLoader(),
                        "dev.livepost.web.templates");
    }

    void register(RoutesConfig routes) {
        routes.get("/", ctx -> render(ctx, "index.jte", Map.of("posts", blog.posts())));
        routes.get("/posts/{slug}", this::post);
        routes.get("/tags", this::tags);
        routes.get("/tags/{tag}", this::tag);
        routes.get("/feed.xml", this::feed);
        routes.error(404, this::notFound);
    }

    private void post(Context ctx) {
        String slug = ctx.pathParam("slug");
        Post post = blog.post(slug).orElse(null);
        if (post == null) {
            notFound(ctx, "There is no post called “" + slug + "”.");
            return;
        }
        render(ctx, "post.jte", Map.of("post", post));
    }

    private void tags(Context ctx) {
        var counts = new LinkedHashMap<String, Integer>();
        for (String t : blog.tags()) {
            counts.put(t, blog.tagged(t).size());
        }
        render(ctx, "tags.jte", Map.of("tags", counts));
    }

    private void tag(Context ctx) {
        // Tags are stored in lower case; /tags/Python finds them too.
        String tag = ctx.pathParam("tag").toLowerCase(Locale.ROOT);
        List<Post> posts = blog.tagged(tag);
        if (posts.isEmpty()) {
            notFound(ctx, "No post is tagged “" + tag + "”.");
            return;
        }
        render(ctx, "tag.jte", Map.of("tag", tag, "posts", posts));
    }

    private void feed(Context ctx) {
        String base = ctx.scheme() + "://" + ctx.host();
        ctx.contentType("application/atom+xml; charset=utf-8")
                .result(AtomFeed.write(blog.posts(), base));
    }

    /**
     * Every 404 ends here (unmatched paths too). Pages and API errors that already have a body keep
     * it; other API paths get the contract's JSON body, everything else the 404 page.
     */
    private void notFound(Context ctx) {
        String type = ctx.res().getContentType();
        if (type != null && (type.startsWith("text/html") || type.startsWith("application/json"))) {
            return; // a page or an API error already said what was not found
        }
        if (ctx.path().startsWith("/api/")) {
            WebServer.error(ctx, 404, "not_found", "No API endpoint " + ctx.path() + ".");
        } else {
            notFound(ctx, "There is nothing at this address.");
        }
    }

    private void notFound(Context ctx, String message) {
        ctx.status(404);
        render(ctx, "notfound.jte", Map.of("message", message));
    }

    private void render(Context ctx, String template, Map<String, Object> params) {
        var out = new StringOutput();
        templates.render(template, params, out);
        ctx.html(out.toString());
    }
}
