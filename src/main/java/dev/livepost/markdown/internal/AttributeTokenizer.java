package dev.livepost.markdown.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a directive's attribute list, {@code {id=fib title="Fibonacci" readonly}}, into name/value
 * pairs, following remark-directive's syntax: {@code name=value}, {@code name="value"}, {@code
 * name='value'}, a bare {@code name} (a flag), and {@code #id} as a shorthand for {@code id=...}.
 * Quoted values have no escapes: use the other quote to write one.
 *
 * <p>One pass, no backtracking, so the time is linear in the input whatever it holds. Input never
 * throws: a syntax error comes back as {@link Result#error()}. Stateless and thread-safe.
 */
public final class AttributeTokenizer {
    /** Longest piece of the input quoted back in an error message. */
    private static final int QUOTE_MAX = 40;

    /** One attribute; {@code value} is null for a bare flag. */
    public record Attribute(String name, String value) {}

    /**
     * @param attributes the attributes in source order (empty on error)
     * @param end index just after the closing brace (or where parsing stopped)
     * @param error a message for the author, or null
     */
    public record Result(List<Attribute> attributes, int end, String error) {
        public boolean ok() {
            return error == null;
        }
    }

    private AttributeTokenizer() {}

    /** Tokenizes the brace-delimited list starting at {@code s.charAt(start) == '{'}. */
    public static Result tokenize(CharSequence s, int start) {
        if (start >= s.length() || s.charAt(start) != '{') {
            return fail(start, "expected '{' to start the attributes");
        }
        var out = new ArrayList<Attribute>();
        int i = start + 1;
        while (true) {
            i = skipSpace(s, i);
            if (i >= s.length()) {
                return fail(i, "the attribute list has no closing '}'");
            }
            char c = s.charAt(i);
            if (c == '}') {
                return new Result(List.copyOf(out), i + 1, null);
            }
            if (c == '#') {
                int end = scanUnquoted(s, i + 1);
                if (end == i + 1) {
                    return fail(i, "'#' must be followed by an id");
                }
                out.add(new Attribute("id", s.subSequence(i + 1, end).toString()));
                i = end;
                continue;
            }
            if (c == '.') {
                return fail(i, "class attributes (" + quote(s, i) + ") are not supported");
            }
            if (!isNameStart(c)) {
                return fail(i, "unexpected " + quote(s, i) + " where an attribute name belongs");
            }
            int nameEnd = i + 1;
            while (nameEnd < s.length() && isNamePart(s.charAt(nameEnd))) {
                nameEnd++;
            }
            String name = s.subSequence(i, nameEnd).toString();
            i = skipSpace(s, nameEnd);
            if (i >= s.length() || s.charAt(i) != '=') {
                out.add(new Attribute(name, null));
                continue;
            }
            i = skipSpace(s, i + 1);
            if (i >= s.length()) {
                return fail(i, "attribute '" + name + "' has '=' but no value");
            }
            char q = s.charAt(i);
            if (q == '"' || q == '\'') {
                int close = indexOf(s, q, i + 1);
                if (close < 0) {
                    return fail(i, "the value of '" + name + "' has no closing " + q);
                }
                out.add(new Attribute(name, s.subSequence(i + 1, close).toString()));
                i = close + 1;
            } else {
                int end = scanUnquoted(s, i);
                if (end == i) {
                    return fail(i, "attribute '" + name + "' has '=' but no value");
                }
                out.add(new Attribute(name, s.subSequence(i, end).toString()));
                i = end;
            }
            if (i < s.length() && !isSpace(s.charAt(i)) && s.charAt(i) != '}') {
                return fail(i, "expected a space or '}' after the value of '" + name + "'");
            }
        }
    }

    private static Result fail(int at, String message) {
        return new Result(List.of(), at, message);
    }

    private static int skipSpace(CharSequence s, int i) {
        while (i < s.length() && isSpace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int indexOf(CharSequence s, char c, int from) {
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    // spec (remark-directive): unquoted values cannot include whitespace, quotes, '=', '<', '>',
    // '`' or '}'.
    private static int scanUnquoted(CharSequence s, int i) {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (isSpace(c)
                    || c == '"'
                    || c == '\''
                    || c == '='
                    || c == '<'
                    || c == '>'
                    || c == '`'
                    || c == '}') {
                break;
            }
            i++;
        }
        return i;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
    }

    private static boolean isNameStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
    }

    /** A short, printable excerpt of the input at {@code i}, for error messages. */
    static String quote(CharSequence s, int i) {
        int end = Math.min(s.length(), i + QUOTE_MAX);
        if (end < s.length() && end > i && Character.isHighSurrogate(s.charAt(end - 1))) {
            end--; // never cut a surrogate pair in half
        }
        var sb = new StringBuilder("'");
        for (int k = i; k < end; k++) {
            char c = s.charAt(k);
            sb.append(Character.isISOControl(c) ? '?' : c);
        }
        if (end < s.length()) {
            sb.append("...");
        }
        return sb.append('\'').toString();
    }
}
