package dev.livepost.web;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

/**
 * {@code GET /assets/{file}} from {@link Assets}: hashed names for a year ({@code immutable}: a
 * changed file gets a new name), the plain names that other sites embed for five minutes, then
 * revalidated by ETag. Thread-safe.
 */
final class AssetRoutes {
    static final String IMMUTABLE = "public, max-age=31536000, immutable";
    static final String SHORT = "public, max-age=300";

    private final Assets assets;

    AssetRoutes(Assets assets) {
        this.assets = assets;
    }

    void register(RoutesConfig routes) {
        routes.get("/assets/{file}", this::serve);
    }

    private void serve(Context ctx) {
        var found = assets.get(ctx.pathParam("file"));
        if (found.isEmpty()) {
            ctx.status(404).result("No such asset.");
            return;
        }
        var a = found.get();
        ctx.header("Cache-Control", a.immutable() ? IMMUTABLE : SHORT);
        ctx.header("ETag", a.etag());
        ctx.header("X-Content-Type-Options", "nosniff");
        if (a.etag().equals(ctx.header("If-None-Match"))) {
            ctx.status(304);
            return;
        }
        ctx.contentType(a.contentType()).result(a.bytes());
    }
}
