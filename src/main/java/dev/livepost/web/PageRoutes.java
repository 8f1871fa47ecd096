package dev.livepost.web;

import dev.livepost.Config;
import dev.livepost.blog.Blog;
import io.javalin.config.RoutesConfig;

/** The blog's pages. Placeholder until the blog issue lands. */
final class PageRoutes {
    private final Blog blog;

    PageRoutes(Config config, Blog blog) {
        this.blog = blog;
    }

    void register(RoutesConfig routes) {
        routes.get("/", ctx -> ctx.html("<h1>Livepost</h1>"));
    }
}
