package dev.livepost.web.browser;

import dev.livepost.testing.TestApp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The real Livepost server (real blog, real local executor) on a free port with a temporary data
 * folder and a temporary posts folder holding {@link #POST} and the bundled sample posts.
 */
final class TestServer implements AutoCloseable {
    static final String SLUG = "runner-test";

    /** The post the browser tests run: a Fibonacci block, a plot, a plain code block. */
    static final String POST =
            """
            ---
            title: Runner test
            date: 2026-11-25
            description: The post the browser tests run.
            tags: [test]
            ---

            Numbers first.

            ::code-runner{id=fib title="Fibonacci"}
            ```python
            a, b = 0, 1
            for _ in range(15):
                print(a)
                a, b = b, a + b
            ```

            Then a picture.

            ::code-runner{id=plot title="A plot"}
            ```python
            import matplotlib.pyplot as plt
            plt.plot([1, 4, 9, 16, 25])
            plt.title("squares")
            plt.show()
            ```

            And one that takes too long.

            ::code-runner{id=slow timeout=2}
            ```python
            import time
            print("starting", flush=True)
            time.sleep(30)
            ```

            A plain block, highlighted but not runnable:

            ```python
            def double(x):
                return x * 2  # twice
            ```
            """;

    private final Path posts;

    /** The server itself, for HTTP calls a test makes besides the browser. */
    final TestApp app;

    final String base;

    /**
     * @param allowedOrigins origins allowed to embed runners (CORS), may be empty
     */
    TestServer(List<String> allowedOrigins) throws IOException {
        posts = Files.createTempDirectory("livepost-browser-posts-");
        Files.writeString(posts.resolve(SLUG + ".md"), POST);
        // The bundled sample posts too, as a reader of the blog gets them.
        TestApp.copyBundledPosts(posts);
        app =
                TestApp.start(
                        posts,
                        Map.of(
                                "LIVEPOST_ALLOWED_ORIGINS",
                                String.join(",", allowedOrigins),
                                "LIVEPOST_POOL_SIZE",
                                "1"));
        base = app.base();
    }

    /** The posts folder the server reads (and reloads when a file changes). */
    Path posts() {
        return posts;
    }

    String postUrl() {
        return postUrl(SLUG);
    }

    String postUrl(String slug) {
        return base + "/posts/" + slug;
    }

    @Override
    public void close() throws IOException {
        try {
            app.close();
        } finally {
            TestApp.deleteRecursively(posts);
        }
    }
}
