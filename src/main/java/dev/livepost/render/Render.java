package dev.livepost.render;

import dev.livepost.App;
import dev.livepost.Config;
import dev.livepost.blog.Blog;
import dev.livepost.blog.Problem;
import dev.livepost.exec.Executor;
import dev.livepost.exec.Sessions;
import dev.livepost.precompute.OutputStore;
import dev.livepost.precompute.Precomputed;
import dev.livepost.precompute.Precomputer;
import dev.livepost.precompute.RuntimeId;
import dev.livepost.web.Pages;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * {@code livepost render --out DIR [--server URL] [--strict] [--with-anthropic]}: precomputes every
 * shown artifact (outputs already stored for the same code are reused), then writes the static
 * site. Fails (exit 1, with the list) when a post has a problem, such as a malformed directive, and
 * with {@code --strict} when an artifact's precompute did not end {@code ok}.
 */
public final class Render {
    private final RenderOptions options;
    private final Config config;
    private final PrintStream out;
    private final boolean terminal;

    /** Everything that made the render fail, as {@code FILE:LINE: message} lines. */
    private final List<String> failures = new ArrayList<>();

    public Render(RenderOptions options, Config config, PrintStream out, boolean terminal) {
        this.options = options;
        this.config = config;
        this.out = out;
        this.terminal = terminal;
    }

    /** Parses the command line, renders, and returns the process's exit code. */
    public static int main(List<String> args, Map<String, String> env, Path home)
            throws IOException, InterruptedException {
        var options = RenderOptions.parse(args);
        var config = Config.parse(options.rest(), env, home);
        return new Render(options, config, System.err, System.console() != null).run();
    }

    /** Renders; returns 0 on success, 1 when something failed (listed on {@code out}). */
    public int run() throws IOException, InterruptedException {
        var json = App.jsonMapper();
        try (var blog = new Blog(config);
                Executor executor = App.executor(config)) {
            if (options.withAnthropic() && !executor.supportsPrompts()) {
                throw new IllegalArgumentException(
                        "--with-anthropic precomputes prompt artifacts, which needs --executor"
                                + " anthropic (and ANTHROPIC_API_KEY)");
            }
            for (Problem p : blog.problems()) {
                failures.add(p.toString());
            }
            if (!executor.health().available()) {
                out.println(
                        "livepost render: the "
                                + executor.name()
                                + " executor cannot run code: "
                                + executor.health().detail());
            }
            // Sessions of its own under the data folder: a server using the same folder keeps
            // its sessions' files (Sessions clears its folder when it starts).
            try (var sessions =
                            new Sessions(
                                    executor,
                                    Sessions.Settings.of(config),
                                    config.data().resolve("render"),
                                    Clock.systemUTC(),
                                    new SimpleMeterRegistry());
                    var precomputer =
                            new Precomputer(
                                    blog,
                                    sessions,
                                    new OutputStore(config.data(), json),
                                    () -> RuntimeId.of(config),
                                    new Precomputer.Settings(
                                            config.precompute().concurrency(),
                                            options.withAnthropic(),
                                            Duration.ofSeconds(2)),
                                    Clock.systemUTC())) {
                var results = precomputer.runAll(new Progress(out, terminal));
                var keys = new LinkedHashSet<String>();
                for (Precomputer.Result r : results) {
                    Precomputed p = r.output();
                    if (!Precomputed.FAILED.equals(p.status())) {
                        keys.add(p.key());
                    }
                    if (!p.ok()) {
                        String line =
                                blog.post(r.artifact().slug()).orElseThrow().file()
                                        + ":"
                                        + r.artifact().line()
                                        + ": artifact "
                                        + r.artifact().address()
                                        + " did not precompute cleanly: "
                                        + Precomputer.describe(p);
                        if (options.strict()) {
                            failures.add(line);
                        } else {
                            out.println("warning: " + line);
                        }
                    }
                }
                var site =
                        new StaticSite(
                                blog,
                                new Pages(blog, precomputer::output),
                                new OutputStore(config.data(), json),
                                options.server());
                List<String> written = site.write(options.out(), keys);
                out.println(
                        "wrote "
                                + written.size()
                                + " files to "
                                + options.out()
                                + " ("
                                + blog.posts().size()
                                + " posts, "
                                + results.size()
                                + " precomputed outputs)");
            }
        }
        if (!failures.isEmpty()) {
            out.println("livepost render: " + failures.size() + " failure(s):");
            failures.forEach(f -> out.println("  " + f));
            return 1;
        }
        return 0;
    }
}
