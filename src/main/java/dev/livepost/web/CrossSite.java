package dev.livepost.web;

import dev.livepost.LivepostException;
import io.javalin.http.Context;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The API's defence against cross-site requests (CSRF): a state-changing request must be JSON (a
 * form or a {@code text/plain} fetch from another site cannot send {@code application/json} without
 * a CORS preflight), and an {@code Origin} it carries must be the site's own or one of {@code
 * LIVEPOST_ALLOWED_ORIGINS} ({@code *}: any). Immutable and thread-safe.
 */
final class CrossSite {
    private final Set<String> allowed;
    private final boolean any;
    private final ClientAddress clients;

    /**
     * @param clients tells the scheme the browser used when the peer is a trusted proxy ({@code
     *     X-Forwarded-Proto} or {@code Forwarded: proto=})
     */
    CrossSite(List<String> allowedOrigins, ClientAddress clients) {
        this.any = allowedOrigins.contains("*");
        this.allowed =
                allowedOrigins.stream()
                        .filter(o -> !o.equals("*"))
                        .map(CrossSite::normalize)
                        .collect(Collectors.toUnmodifiableSet());
        this.clients = clients;
    }

    /**
     * @throws LivepostException 415 {@code unsupported_media_type} unless the body is declared as
     *     {@code application/json}
     */
    void requireJson(Context ctx) {
        String type = ctx.header("Content-Type");
        String media = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!media.equals("application/json")) {
            throw new LivepostException(
                    415,
                    "unsupported_media_type",
                    "Send the request body as JSON, with Content-Type: application/json.");
        }
    }

    /**
     * @throws LivepostException 403 {@code origin_not_allowed} for a foreign {@code Origin}
     */
    void checkOrigin(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin == null || any) {
            return;
        }
        String o = normalize(origin);
        if (!allowed.contains(o) && !o.equals(ownOrigin(ctx))) {
            throw new LivepostException(
                    403,
                    "origin_not_allowed",
                    "Requests from "
                            + (origin.length() > 100 ? origin.substring(0, 100) : origin)
                            + " are not allowed; the server lists the sites that may embed"
                            + " runners in LIVEPOST_ALLOWED_ORIGINS.");
        }
    }

    /** The origin the browser sees for this server: scheme and the request's Host. */
    private String ownOrigin(Context ctx) {
        String host = ctx.header("Host");
        if (host == null || host.isBlank()) {
            return null;
        }
        String scheme = ctx.scheme();
        String proto = clients.forwardedProto(ctx);
        if (proto != null && !proto.isEmpty()) {
            scheme = proto;
        }
        return normalize(scheme + "://" + host.trim());
    }

    /** {@code scheme://host:port} in lower case with the port always written; "null" stays. */
    static String normalize(String origin) {
        String o = origin.trim().toLowerCase(Locale.ROOT);
        try {
            URI u = new URI(o);
            if (u.getScheme() == null || u.getHost() == null) {
                return o;
            }
            int port = u.getPort();
            if (port < 0) {
                port = u.getScheme().equals("https") ? 443 : u.getScheme().equals("http") ? 80 : -1;
            }
            return u.getScheme() + "://" + u.getHost() + ":" + port;
        } catch (java.net.URISyntaxException e) {
            return o;
        }
    }
}
