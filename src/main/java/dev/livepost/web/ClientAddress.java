package dev.livepost.web;

import io.javalin.http.Context;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Who a request comes from, for per-client limits: the peer address, unless the peer is a trusted
 * proxy ({@code LIVEPOST_TRUSTED_PROXIES}); then the right-most address in {@code X-Forwarded-For}
 * that is not itself a trusted proxy. A header from an untrusted peer is ignored, so nobody can
 * choose their own address by forging it. Immutable and thread-safe.
 */
public final class ClientAddress {
    static final String SETTING = "LIVEPOST_TRUSTED_PROXIES";

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
        return of(ctx.req().getRemoteAddr(), ctx.header("X-Forwarded-For"));
    }

    /**
     * @param peer the address the connection comes from
     * @param forwardedFor the {@code X-Forwarded-For} header, or null
     */
    String of(String peer, String forwardedFor) {
        if (forwardedFor == null || !isTrusted(peer)) {
            return peer;
        }
        String[] hops = forwardedFor.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            if (hop.isEmpty()) {
                continue;
            }
            if (literal(hop) == null) {
                // Garbage a proxy passed on: what it says further left is no better.
                return hop.length() > 64 ? hop.substring(0, 64) : hop;
            }
            if (!isTrusted(hop)) {
                return hop;
            }
        }
        // Every hop is a proxy of ours: the request started at the left-most one.
        String first = hops.length == 0 ? "" : hops[0].trim();
        return first.isEmpty() ? peer : first;
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
        boolean v6 = t.contains(":") && t.matches("[0-9A-Fa-f:.]+");
        boolean v4 =
                t.matches("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}");
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
