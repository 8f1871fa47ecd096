package dev.livepost.web;

import dev.livepost.Config;
import dev.livepost.blog.Blog;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

/**
 * The blog's routes: index, posts, tags, the Atom feed, and an HTML 404 page for anything that is
 * not API (API 404s stay JSON). Thread-safe.
 */
final class PageRoutes {
    private final Config config;
    private final Pages pages;

    PageRoutes(Config config, Blog blog) {
        this.config = config;
        this.pages = new Pages(blog);
    }

    void register(RoutesConfig routes) {
        routes.get("/", ctx -> ctx.html(pages.index()));
        routes.get(
                "/posts/{slug}",
                ctx -> {
                    String slug = ctx.pathParam("slug");
                    pages.post(slug)
                            .ifPresentOrElse(
                                    ctx::html,
                                    () -> notFound(ctx, "There is no post called “" + slug + "”."));
                });
        routes.get("/tags", ctx -> ctx.html(pages.tags()));
        routes.get(
                "/tags/{tag}",
                ctx -> {
                    String tag = ctx.pathParam("tag");
                    pages.tag(tag)
                            .ifPresentOrElse(
                                    ctx::html,
                                    () -> notFound(ctx, "No post is tagged “" + tag + "”."));
                });
        routes.get(
                "/feed.xml",
                ctx ->
                        ctx.contentType("application/atom+xml; charset=utf-8")
                                .result(pages.feed(base(ctx))));
        routes.error(404, this::notFound);
    }

    /** Atom wants absolute links: the address the reader used, else the configured one. */
    private String base(Context ctx) {
        String host = ctx.host();
        if (host == null || host.isBlank()) {
            host = config.host() + ":" + config.port();
        }
        return ctx.scheme() + "://" + host;
    }

    /**
     * Every 404 ends here (unmatched paths too). Pages and API errors that already have a body keep
     * it; other API paths get the contract's JSON body, everything else the 404 page.
     */
    private void notFound(Context ctx) {
        String type = ctx.res().getContentType();
        if (type != null && (type.startsWith("text/html") || type.startsWith("application/json"))) {
            return;
        }
        if (ctx.path().startsWith("/api/")) {
            WebServer.error(ctx, 404, "not_found", "No API endpoint " + ctx.path() + ".");
        } else {
            notFound(ctx, "There is nothing at this address.");
        }
    }

    private void notFound(Context ctx, String message) {
        ctx.status(404).html(pages.notFound(message));
    }
}
