package dev.livepost.web;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;

/**
 * Caps the connections one peer address holds open at once ({@code
 * LIVEPOST_CONNECTIONS_PER_CLIENT}), so that one client cannot take the server's whole connection
 * budget ({@code LIVEPOST_MAX_CONNECTIONS}) from everybody else. A connection beyond the cap is
 * answered {@code 429} with {@code Retry-After} and closed as it opens, before anything of it is
 * read. Trusted proxies ({@code LIVEPOST_TRUSTED_PROXIES}) are not capped: every client behind them
 * shares their address, and is counted per request by its forwarded address instead ({@link
 * InFlight}).
 *
 * <p>Jetty calls it on its selector threads as connections open and close; thread-safe, never
 * blocks.
 */
final class ConnectionsPerClient implements Connection.Listener {
    private static final String BODY =
            "{\"error\":{\"code\":\"rate_limited\",\"message\":\"Too many connections from"
                    + " your address; try again in 1 s.\"}}";

    /** The contract's 429, whole, so one write into a fresh socket's buffer takes it. */
    private static final byte[] REFUSAL =
            ("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n"
                            + "Content-Type: application/json\r\nContent-Length: "
                            + BODY.length()
                            + "\r\nConnection: close\r\n\r\n"
                            + BODY)
                    .getBytes(StandardCharsets.US_ASCII);

    private final int max;
    private final ClientAddress clients;
    private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();

    /** The connections counted, with the peer each is counted for. */
    private final ConcurrentHashMap<Connection, String> counted = new ConcurrentHashMap<>();

    ConnectionsPerClient(int max, ClientAddress clients) {
        this.max = max;
        this.clients = clients;
    }

    @Override
    public void onOpened(Connection connection) {
        String peer = peer(connection.getEndPoint());
        if (peer == null || clients.isTrusted(peer)) {
            return;
        }
        boolean[] taken = {false};
        open.compute(
                peer,
                (p, n) -> {
                    int count = n == null ? 0 : n;
                    if (count < max) {
                        taken[0] = true;
                        return count + 1;
                    }
                    return n;
                });
        if (taken[0]) {
            counted.put(connection, peer);
        } else {
            refuse(connection.getEndPoint());
        }
    }

    @Override
    public void onClosed(Connection connection) {
        String peer = counted.remove(connection);
        if (peer != null) {
            open.computeIfPresent(peer, (p, n) -> n <= 1 ? null : n - 1);
        }
    }

    /** Connections {@code peer} holds open now (for tests and metrics). */
    int open(String peer) {
        return open.getOrDefault(peer, 0);
    }

    /** Says why in one write the socket buffer takes whole, and closes; never blocks. */
    private static void refuse(EndPoint endPoint) {
        try {
            endPoint.flush(ByteBuffer.wrap(REFUSAL));
            endPoint.shutdownOutput();
        } catch (IOException e) {
            // gone already: closing is all there is to do
        }
        endPoint.close();
    }

    private static String peer(EndPoint endPoint) {
        return endPoint.getRemoteSocketAddress() instanceof InetSocketAddress a
                        && a.getAddress() != null
                ? a.getAddress().getHostAddress()
                : null;
    }
}
