package dev.livepost;

import dev.livepost.bench.Bench;
import dev.livepost.render.Render;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The command line: {@code serve}, {@code render}, {@code bench} (the launcher adds {@code test}).
 */
public final class Main {
    private static final String USAGE =
            """
            usage: livepost <command> [options]

              serve              serve the blog (default http://127.0.0.1:8080)
                --port N         LIVEPOST_PORT      0 picks a free port
                --host H         LIVEPOST_HOST      bind address
                --posts DIR      LIVEPOST_POSTS     folder of *.md posts
                --data DIR       LIVEPOST_DATA      caches and generated files (~/.livepost)
                --executor E     LIVEPOST_EXECUTOR  local | anthropic
                --model M        LIVEPOST_MODEL     model for the anthropic executor
              render --out DIR   write the blog as static files, outputs precomputed
                --server URL     runners in the copy run code on this Livepost
                --strict         fail (exit 1) when an artifact's precompute fails
                --with-anthropic precompute prompt artifacts too (--executor anthropic)
                (and --posts, --data, --executor, --model as for serve)
              bench [--quick]    run the benchmarks and print one table
              bench --load [--readers N --seconds T --every S | --burst N --within S]
                                 simulated readers against one server on loopback
              test               (launcher) run the whole test suite
            """;

    private Main() {}

    public static void main(String[] argv) throws Exception {
        List<String> args = Arrays.asList(argv);
        if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
            System.out.print(USAGE);
            return;
        }
        String command = args.get(0);
        List<String> rest = args.subList(1, args.size());
        Path home = Path.of(System.getProperty("livepost.home", ".")).toAbsolutePath().normalize();
        try {
            switch (command) {
                case "serve" -> serve(Config.parse(rest, System.getenv(), home));
                case "bench" -> Bench.main(rest, home);
                case "render" -> System.exit(Render.main(rest, System.getenv(), home));
                default -> {
                    System.err.println("livepost: unknown command '" + command + "'\n\n" + USAGE);
                    System.exit(2);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("livepost: " + e.getMessage());
            System.exit(2);
        }
    }

    /**
     * SIGTERM is how systemd, Docker and Kubernetes ask a service to stop: the JVM would run the
     * shutdown hook (the graceful stop) and then exit 143, which they count as a failure. Exiting
     * through {@link System#exit} with 0 runs the same hook and reports a clean stop. SIGINT
     * (Ctrl-C) keeps the JVM's way.
     */
    private static void exitZeroOnSigterm() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> System.exit(0));
        } catch (IllegalArgumentException e) {
            // No SIGTERM here (not a POSIX system): the JVM's default stays.
        }
    }

    private static void serve(Config config) throws InterruptedException {
        var app = new App(config);
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    app.stop(App.STOP_GRACE);
                                    stopped.countDown();
                                },
                                "livepost-shutdown"));
        exitZeroOnSigterm();
        int port = app.start();
        String shownHost = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        System.out.println("listening on http://" + shownHost + ":" + port);
        System.out.flush();
        stopped.await();
    }
}
