package dev.livepost.web;

import dev.livepost.Config;
import dev.livepost.exec.FileNames;
import dev.livepost.precompute.OutputStore;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The blog's routes: index, posts, tags, the Atom feed, the precomputed outputs' files, and an HTML
 * 404 page for anything that is not API (API 404s stay JSON). Thread-safe.
 */
final class PageRoutes {
    private final Config config;
    private final Pages pages;
    private final OutputStore store;

    PageRoutes(Config config, Pages pages, OutputStore store) {
        this.config = config;
        this.pages = pages;
        this.store = store;
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
        routes.get(Pages.PRECOMPUTED_PATH + "{key}/{file}", this::precomputedFile);
        routes.error(404, this::notFound);
    }

    /**
     * A file of a precomputed output. Its address names its content (the key hashes the code that
     * made it, and an entry never changes), so it may be cached for good; like a session's files it
     * runs nothing and only images are shown inline.
     */
    private void precomputedFile(Context ctx) throws IOException {
        String name = ctx.pathParam("file");
        Path file = store.file(ctx.pathParam("key"), name).orElse(null);
        if (file == null) {
            notFound(ctx, "There is no such precomputed file.");
            return;
        }
        String mime = FileNames.mimeOf(name);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header(
                "Content-Security-Policy",
                "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox");
        ctx.header("Cache-Control", "public, max-age=31536000, immutable");
        String disposition = FileNames.isInlineImage(mime) ? "inline" : "attachment";
        ctx.header("Content-Disposition", disposition + "; filename=\"" + name + "\"");
        ctx.contentType(mime);
        ctx.result(Files.newInputStream(file));
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
