package dev.livepost.web;

import io.javalin.http.Context;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Who a request comes from, for per-client limits: the peer address, unless the peer is a trusted
 * proxy ({@code LIVEPOST_TRUSTED_PROXIES}); then the right-most hop of {@code X-Forwarded-For}, or
 * where a request has none, of the RFC 7239 {@code Forwarded} header ({@code for=}), that is not
 * itself a trusted proxy. Headers from an untrusted peer are ignored, so nobody can choose their
 * own address by forging one.
 *
 * <p>{@code X-Forwarded-For} wins when both are present because it is what nginx, Caddy, HAProxy
 * and most load balancers write, and none of them removes a {@code Forwarded} header the client
 * sent: believing {@code Forwarded} first would let any reader behind such a proxy name its own
 * address. A proxy that writes only {@code Forwarded} must drop the client's {@code
 * X-Forwarded-For}.
 *
 * <p>A hop that is not an IP address ({@code unknown}, an obfuscated {@code _id}, garbage) ends the
 * walk: it is the client (cut to 64 characters), since whatever lies left of it was written by the
 * client and is no better. Ports are dropped, so a client is one address whatever its source port.
 * Immutable and thread-safe.
 */
public final class ClientAddress {
    static final String SETTING = "LIVEPOST_TRUSTED_PROXIES";
    private static final int MAX_ID = 64;
    // Compiled once: every request is looked up, several times (limits, connections, logs).
    private static final Pattern PORT = Pattern.compile(":(\\d{1,5}|_[A-Za-z0-9._-]{1,64})");
    private static final Pattern V6 = Pattern.compile("[0-9A-Fa-f:.]+");
    private static final Pattern V4 =
            Pattern.compile("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}");

    private final List<Range> trusted;

    private ClientAddress(List<Range> trusted) {
        this.trusted = List.copyOf(trusted);
    }

    /**
     * @param entries addresses ({@code 10.0.0.1}, {@code ::1}) or CIDR ranges ({@code 10.0.0.0/8},
     *     {@code fd00::/8}); empty trusts no proxy
     * @throws IllegalArgumentException naming {@code LIVEPOST_TRUSTED_PROXIES} and the bad entry
     */
    public static ClientAddress trusting(List<String> entries) {
        var ranges = new ArrayList<Range>();
        for (String e : entries) {
            ranges.add(Range.parse(e));
        }
        return new ClientAddress(ranges);
    }

    /** The client address of a request; what per-client limits count by. */
    public String of(Context ctx) {
        return of(
                ctx.req().getRemoteAddr(),
                joined(ctx, "X-Forwarded-For"),
                joined(ctx, "Forwarded"));
    }

    /**
     * The scheme the browser used, as a trusted proxy tells it ({@code X-Forwarded-Proto}, else the
     * {@code proto=} of the {@code Forwarded} hop the client was taken from), or null.
     */
    public String forwardedProto(Context ctx) {
        String peer = ctx.req().getRemoteAddr();
        if (!isTrusted(peer)) {
            return null;
        }
        String xfp = ctx.header("X-Forwarded-Proto");
        if (xfp != null) {
            return xfp.split(",", 2)[0].trim();
        }
        String forwarded = joined(ctx, "Forwarded");
        if (forwarded == null || joined(ctx, "X-Forwarded-For") != null) {
            return null;
        }
        var hops = ForwardedHeader.parse(forwarded);
        int i = clientHop(hops.stream().map(ForwardedHeader.Element::node).toList());
        return i < 0 ? null : hops.get(i).proto();
    }

    /** Every line of a header joined with commas, as HTTP lists are; null when absent. */
    private static String joined(Context ctx, String header) {
        var lines = ctx.req().getHeaders(header);
        if (lines == null || !lines.hasMoreElements()) {
            return null;
        }
        return String.join(",", Collections.list(lines));
    }

    /**
     * @param peer the address the connection comes from
     * @param forwardedFor the {@code X-Forwarded-For} header, or null
     */
    String of(String peer, String forwardedFor) {
        return of(peer, forwardedFor, null);
    }

    /**
     * @param peer the address the connection comes from
     * @param forwardedFor the {@code X-Forwarded-For} header, or null
     * @param forwarded the {@code Forwarded} header, or null
     */
    String of(String peer, String forwardedFor, String forwarded) {
        if ((forwardedFor == null && forwarded == null) || !isTrusted(peer)) {
            return peer;
        }
        List<String> hops =
                forwardedFor != null
                        ? Arrays.asList(forwardedFor.split(",", -1))
                        : ForwardedHeader.parse(forwarded).stream()
                                .map(ForwardedHeader.Element::node)
                                .toList();
        int i = clientHop(hops);
        if (i < 0) {
            return peer;
        }
        String hop = hops.get(i) == null ? "unknown" : hops.get(i).trim();
        String address = address(hop);
        if (address != null) {
            return address;
        }
        // Not an address: "unknown", an obfuscated id, or garbage a proxy passed on.
        return hop.length() > MAX_ID ? hop.substring(0, MAX_ID) : hop;
    }

    /**
     * The index of the client among {@code hops} (left to right, null for a hop that named none):
     * the right-most that is not a trusted proxy, the left-most when all are; -1 when there is no
     * hop at all (blank entries are no hops).
     */
    private int clientHop(List<String> hops) {
        int leftMost = -1;
        for (int i = hops.size() - 1; i >= 0; i--) {
            String hop = hops.get(i) == null ? "unknown" : hops.get(i).trim();
            if (hop.isEmpty()) {
                continue;
            }
            leftMost = i;
            String address = address(hop);
            if (address == null || !isTrusted(address)) {
                return i;
            }
        }
        // Every hop is a proxy of ours: the request started at the left-most one.
        return leftMost;
    }

    /**
     * The IP literal of a node, without brackets or port ({@code 192.0.2.1:80}, {@code
     * [2001:db8::1]:443}, {@code 2001:db8::1}), or null when it is none.
     */
    static String address(String node) {
        String n = node.trim();
        String literal;
        if (n.startsWith("[")) {
            int close = n.indexOf(']');
            if (close < 0 || !(close == n.length() - 1 || isPort(n.substring(close + 1)))) {
                return null;
            }
            literal = n.substring(1, close);
            if (!literal.contains(":")) {
                return null;
            }
        } else {
            int colon = n.indexOf(':');
            boolean v4WithPort = colon > 0 && colon == n.lastIndexOf(':');
            if (v4WithPort && !isPort(n.substring(colon))) {
                return null;
            }
            literal = v4WithPort ? n.substring(0, colon) : n;
        }
        return literal(literal) == null ? null : literal;
    }

    /** {@code :N} with N a port number (RFC 7239 also allows an obfuscated {@code :_port}). */
    private static boolean isPort(String s) {
        return PORT.matcher(s).matches();
    }

    /** Whether {@code address} is one of the trusted proxies. */
    boolean isTrusted(String address) {
        if (trusted.isEmpty()) {
            return false;
        }
        InetAddress a = literal(address);
        return a != null && trusted.stream().anyMatch(r -> r.contains(a));
    }

    /** An IP literal as an address, or null; never a DNS look-up. */
    private static InetAddress literal(String s) {
        String t = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
        boolean v6 = t.contains(":") && V6.matcher(t).matches();
        boolean v4 = !v6 && V4.matcher(t).matches();
        if (!v6 && !v4) {
            return null; // also refuses the legacy forms "1.2.3" and "0x7f.1" that a resolver
            // accepts
        }
        try {
            return InetAddress.getByName(t);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private record Range(byte[] network, int bits) {
        static Range parse(String entry) {
            String e = entry.trim();
            int slash = e.indexOf('/');
            InetAddress a = literal(slash < 0 ? e : e.substring(0, slash));
            if (a == null) {
                throw bad(entry, "not an IP address");
            }
            int max = a.getAddress().length * 8;
            int bits = max;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(e.substring(slash + 1));
                } catch (NumberFormatException x) {
                    bits = -1;
                }
                if (bits < 0 || bits > max) {
                    throw bad(entry, "the prefix length must be 0.." + max);
                }
            }
            return new Range(a.getAddress(), bits);
        }

        boolean contains(InetAddress address) {
            byte[] b = address.getAddress();
            if (b.length != network.length) {
                return false;
            }
            for (int i = 0; i < bits; i++) {
                int mask = 0x80 >> (i % 8);
                if ((b[i / 8] & mask) != (network[i / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }

        private static IllegalArgumentException bad(String entry, String why) {
            return new IllegalArgumentException(
                    SETTING + ": '" + entry + "' is " + why + " (give addresses or CIDR ranges)");
        }
    }
}
