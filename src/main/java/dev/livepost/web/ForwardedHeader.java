package dev.livepost.web;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The RFC 7239 {@code Forwarded} header as a list of elements, one per proxy hop, left (first hop)
 * to right (last): {@code for=192.0.2.60;proto=http, for="[2001:db8::17]:4711"}. Only the {@code
 * for} and {@code proto} parameters are kept. Parsing never throws and runs in time linear in the
 * header: a malformed element keeps what could be read of it (a quoted string left open ends at the
 * end of the header), so the caller decides what an unreadable hop means. Stateless.
 */
final class ForwardedHeader {
    private ForwardedHeader() {}

    /**
     * One hop as its proxy described it.
     *
     * @param node the {@code for} value unquoted ({@code 192.0.2.60}, {@code [2001:db8::17]:4711},
     *     {@code unknown}, {@code _hidden}), or null when the element has none
     * @param proto the {@code proto} value in lower case, or null
     */
    record Element(String node, String proto) {}

    /** The elements of one or more {@code Forwarded} headers joined with commas. */
    static List<Element> parse(String header) {
        var elements = new ArrayList<Element>();
        String node = null;
        String proto = null;
        var name = new StringBuilder();
        var value = new StringBuilder();
        boolean inValue = false;
        boolean quoted = false;
        boolean empty = true;
        int n = header.length();
        for (int i = 0; i <= n; i++) {
            char c = i < n ? header.charAt(i) : ',';
            if (quoted && i < n) {
                if (c == '\\' && i + 1 < n) {
                    value.append(header.charAt(++i));
                } else if (c == '"') {
                    quoted = false;
                } else {
                    value.append(c);
                }
                continue;
            }
            if (c != ',' && !Character.isWhitespace(c)) {
                empty = false;
            }
            if (c == ';' || c == ',') {
                String key = name.toString().trim().toLowerCase(Locale.ROOT);
                String v = value.toString().trim();
                if (key.equals("for") && node == null) {
                    node = v;
                } else if (key.equals("proto") && proto == null) {
                    proto = v.toLowerCase(Locale.ROOT);
                }
                name.setLength(0);
                value.setLength(0);
                inValue = false;
                quoted = false;
                if (c == ',') {
                    // Empty list elements (", ,") are no hops (RFC 9110 section 5.6.1); an
                    // element without "for" is one whose proxy did not say who its client was.
                    if (!empty) {
                        elements.add(new Element(node, proto));
                    }
                    empty = true;
                    node = null;
                    proto = null;
                }
            } else if (!inValue && c == '=') {
                inValue = true;
            } else if (inValue) {
                if (c == '"' && value.toString().isBlank()) {
                    value.setLength(0);
                    quoted = true;
                } else {
                    value.append(c);
                }
            } else {
                name.append(c);
            }
        }
        return elements;
    }
}
