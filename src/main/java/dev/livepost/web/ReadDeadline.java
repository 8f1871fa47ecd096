package dev.livepost.web;

import io.javalin.http.Context;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Time limits on reading a request ({@code LIVEPOST_REQUEST_READ_TIMEOUT}), so that a client who
 * trickles a request head or body a byte at a time (which resets an idle timeout at every byte)
 * cannot hold a connection or a server thread for long:
 *
 * <ul>
 *   <li>a connection must complete its first request head within the limit of connecting, and each
 *       later head within the limit of its first byte; else it is closed. Heads are read without a
 *       thread, so this is checked by a sweep over the open connections ({@link
 *       Connection.Listener} on the connector), from Jetty's counts of bytes and request heads
 *       received;
 *   <li>a request's body must have arrived within the limit of its head; else its connection is
 *       closed, which fails the handler's blocked read ({@link #watchBody}, a before-handler).
 * </ul>
 *
 * <p>Thread-safe: Jetty calls the listener on its selector threads, the before-handler runs on
 * request threads, and the sweeps and body deadlines on the given scheduler. Nothing here blocks.
 */
final class ReadDeadline implements Connection.Listener {
    private static final Logger log = LoggerFactory.getLogger(ReadDeadline.class);

    private final long limitNanos;
    private final Duration limit;
    private final ScheduledExecutorService scheduler;
    private final ConcurrentHashMap<Connection, Head> heads = new ConcurrentHashMap<>();

    /**
     * @param limit time allowed for a request head, and then for its body
     * @param scheduler runs the sweeps and body deadlines; shut down by the caller
     */
    ReadDeadline(Duration limit, ScheduledExecutorService scheduler) {
        this.limit = limit;
        this.limitNanos = limit.toNanos();
        this.scheduler = scheduler;
        long every = Math.max(100, Math.min(1000, limit.toMillis() / 10));
        scheduler.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public void onOpened(Connection connection) {
        heads.put(connection, new Head(System.nanoTime()));
    }

    @Override
    public void onClosed(Connection connection) {
        heads.remove(connection);
    }

    /**
     * A before-handler: a request with a body gets its deadline, cancelled when the request
     * completes; at the deadline, a body not yet read to its end closes the connection.
     */
    void watchBody(Context ctx) throws IOException {
        HttpServletRequest req = ctx.req();
        boolean hasBody =
                req.getContentLengthLong() > 0 || req.getHeader("Transfer-Encoding") != null;
        if (!hasBody) {
            return;
        }
        Request request = ServletContextRequest.getServletContextRequest(req);
        ServletInputStream body = req.getInputStream();
        ScheduledFuture<?> deadline =
                scheduler.schedule(
                        () -> {
                            if (!body.isFinished()) {
                                var endPoint =
                                        request.getConnectionMetaData()
                                                .getConnection()
                                                .getEndPoint();
                                log.info(
                                        "closed a connection from {}: request body not received"
                                                + " within {} s",
                                        endPoint.getRemoteSocketAddress(),
                                        limit.toSeconds());
                                endPoint.close(
                                        new TimeoutException(
                                                "request body not received within "
                                                        + limit.toSeconds()
                                                        + " s"));
                            }
                        },
                        limitNanos,
                        TimeUnit.NANOSECONDS);
        Request.addCompletionListener(request, failure -> deadline.cancel(false));
    }

    /** Closes each connection that has been sending one request head for too long. */
    private void sweep() {
        long now = System.nanoTime();
        heads.forEach(
                (connection, head) -> {
                    try {
                        if (head.overdue(connection, now, limitNanos)) {
                            heads.remove(connection);
                            log.info(
                                    "closed a connection from {}: no whole request head within {} s",
                                    connection.getEndPoint().getRemoteSocketAddress(),
                                    limit.toSeconds());
                            connection.getEndPoint().close(new TimeoutException("request head"));
                        }
                    } catch (RuntimeException e) {
                        // One connection's trouble must not stop the sweeps of the others.
                        log.warn("checking a connection's request head failed", e);
                    }
                });
    }

    /**
     * What a sweep last saw of one connection. A head is awaited while every request head received
     * has been answered (requests in = responses out); it started at the connection's opening, or,
     * after the first request, when bytes arrived beyond those of the last request.
     */
    private static final class Head {
        private long in;
        private long out;
        private long bytes;
        private long since;
        private boolean awaited = true;

        Head(long opened) {
            this.since = opened;
        }

        /** Called by the one sweep thread only. */
        boolean overdue(Connection c, long now, long limit) {
            long inNow = c.getMessagesIn();
            long outNow = c.getMessagesOut();
            long bytesNow = c.getBytesIn();
            if (inNow != in || outNow != out) { // a head came in, or a response went out
                in = inNow;
                out = outNow;
                bytes = bytesNow;
                awaited = false;
                return false;
            }
            if (in > out) {
                return false; // a request being handled: its body has a deadline of its own
            }
            if (!awaited && bytesNow > bytes) { // the first bytes of the next head
                awaited = true;
                since = now;
            }
            return awaited && now - since > limit;
        }
    }
}
