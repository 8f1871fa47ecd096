package dev.livepost.testing;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real nginx (Debian's package) in front of a Livepost server, for integration tests: started as
 * a child process in the foreground with a generated configuration in a folder of its own (its own
 * pid file, logs and temporary folders, a free port on 127.0.0.1), never the system's service. The
 * site it serves is {@link #site}, the one the README's Deployment section shows.
 */
public final class Nginx implements AutoCloseable {
    /** Where Debian installs it. */
    public static final Path BINARY = Path.of("/usr/sbin/nginx");

    private final Process process;
    private final Path dir;
    private final int port;

    private Nginx(Path dir, String upstream) throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY)) {
            throw new AssertionError(
                    BINARY
                            + " is missing: ./livepost test installs it (apt-get install nginx-light)");
        }
        this.dir = dir;
        // Worker processes run as nobody when the test runs as root: they must reach the folder.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        this.port = freePort();
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, config(dir, port, upstream));
        var command =
                List.of(
                        BINARY.toString(),
                        "-p",
                        dir + "/",
                        "-c",
                        conf.toString(),
                        "-e",
                        dir.resolve("error.log").toString());
        this.process =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("nginx.out").toFile())
                        .start();
        awaitListening();
    }

    /**
     * Starts nginx in {@code dir} in front of {@code upstream} ({@code 127.0.0.1:PORT}); returns
     * once it accepts connections.
     */
    public static Nginx start(Path dir, String upstream) throws IOException, InterruptedException {
        return new Nginx(dir, upstream);
    }

    /** The port nginx listens on, on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT}. */
    public String base() {
        return "http://127.0.0.1:" + port;
    }

    /** nginx's error log so far, for failure messages. */
    public String errorLog() throws IOException {
        Path log = dir.resolve("error.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /**
     * The nginx site for Livepost, as the README shows it ({@code site("80", "blog.example",
     * "127.0.0.1:8080")}): the event stream unbuffered, the client's address appended to {@code
     * X-Forwarded-For} and the scheme in {@code X-Forwarded-Proto}.
     */
    public static String site(String listen, String serverName, String upstream) {
        return """
                server {
                    listen %s;
                    server_name %s;

                    location / {
                        proxy_pass http://%s;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header Host $host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_set_header X-Forwarded-Proto $scheme;
                        # Run output must reach the reader as it is printed (the server also
                        # sends X-Accel-Buffering: no on event streams).
                        proxy_buffering off;
                        proxy_request_buffering off;
                    }
                }
                """
                .formatted(listen, serverName, upstream);
    }

    /** The whole configuration: the site, inside what a test's own nginx needs. */
    private static String config(Path dir, int port, String upstream) {
        String site = site("127.0.0.1:" + port, "localhost", upstream).indent(4);
        return """
                daemon off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log info;
                events {
                    worker_connections 256;
                }
                http {
                    access_log %1$s/access.log;
                    client_body_temp_path %1$s/client_body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                %2$s}
                """
                .formatted(dir, site);
    }

    private void awaitListening() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (process.isAlive() && System.nanoTime() < deadline) {
            try (var s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (ConnectException e) {
                Thread.sleep(20); // nginx says nothing when it is ready; its port does
            }
        }
        String out = Files.readString(dir.resolve("nginx.out"));
        close();
        throw new AssertionError("nginx did not start:\n" + out + "\n" + errorLog());
    }

    private static int freePort() throws IOException {
        try (var s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Stops nginx (SIGTERM, a fast shutdown) and waits for it; SIGKILL if it lingers. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
