package dev.livepost;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads {@link Setting}s once, at startup: a flag wins over its variable, the variable over the
 * default (an empty variable counts as unset). It collects every problem instead of stopping at the
 * first, each naming what the user actually wrote (the flag if it was given, else the variable),
 * and remembers where each value came from for {@code serve --print-config}. Not thread-safe: one
 * reader serves one parse.
 */
final class SettingsReader {
    private static final Pattern NUMBER = Pattern.compile("-?[0-9_]+");

    /** A check failed; its message says what the setting accepts, e.g. "must be 1..64". */
    static final class Rejected extends RuntimeException {
        Rejected(String rule) {
            super(rule, null, false, false);
        }
    }

    /** Parses the user's text, throwing {@link Rejected} when it is not acceptable. */
    @FunctionalInterface
    interface Check<T> {
        T parse(String text);
    }

    /** A value as {@code --print-config} shows it. */
    record Effective(Setting setting, String value, String source) {}

    private record Given(String name, String text, String source) {}

    private final Map<String, String> env;
    private final Map<String, String> flags = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();
    private final Map<Setting, Effective> effective = new EnumMap<>(Setting.class);

    SettingsReader(List<String> args, Map<String, String> env) {
        this.env = env;
        readFlags(args);
        for (String name : env.keySet()) {
            if (name.startsWith("LIVEPOST_") && known(name) == null) {
                problems.add(name + " is not a setting of Livepost" + didYouMean(name));
            }
        }
    }

    /**
     * The setting's value: the user's text through {@code check}, or {@code fallback} when the user
     * gave none (or gave a bad one, which is then a problem).
     *
     * @param shown how {@code --print-config} shows a value
     */
    <T> T read(Setting s, T fallback, Check<T> check, Function<T, String> shown) {
        Given given = given(s);
        if (given == null) {
            record(s, s.secret() ? "unset" : shown.apply(fallback), "default");
            return fallback;
        }
        try {
            T value = check.parse(given.text().strip());
            record(s, s.secret() ? "set" : shown.apply(value), given.source());
            return value;
        } catch (Rejected e) {
            String text = given.text().strip();
            String quoted = NUMBER.matcher(text).matches() ? text : "'" + given.text() + "'";
            problems.add(given.name() + " " + e.getMessage() + ", not " + quoted);
            return fallback;
        }
    }

    /** A whole number in {@code min..max}, {@code unit} following the range in the message. */
    long whole(Setting s, long fallback, long min, long max, String unit) {
        String range = max == Long.MAX_VALUE ? ">= " + min : min + ".." + max;
        String rule = "must be " + (unit.isEmpty() ? range : range + " " + unit);
        return read(
                s,
                fallback,
                text -> {
                    long n;
                    try {
                        n = Long.parseLong(text.replace("_", ""));
                    } catch (NumberFormatException e) {
                        throw new Rejected(rule.replace("must be ", "must be a whole number "));
                    }
                    if (n < min || n > max) {
                        throw new Rejected(rule);
                    }
                    return n;
                },
                n -> unit.isEmpty() ? String.valueOf(n) : n + " " + unit);
    }

    int integer(Setting s, int fallback, int min, int max, String unit) {
        return (int) whole(s, fallback, min, max, unit);
    }

    boolean bool(Setting s, boolean fallback) {
        return read(
                s,
                fallback,
                text -> {
                    if (!text.equals("true") && !text.equals("false")) {
                        throw new Rejected("must be 'true' or 'false'");
                    }
                    return text.equals("true");
                },
                String::valueOf);
    }

    String oneOf(Setting s, String fallback, List<String> allowed) {
        return read(
                s,
                fallback,
                text -> {
                    if (!allowed.contains(text)) {
                        throw new Rejected("must be " + choices(allowed));
                    }
                    return text;
                },
                Function.identity());
    }

    /**
     * A comma-separated list; each entry goes through {@code entry}, and each bad entry is a
     * problem of its own.
     */
    List<String> list(Setting s, Check<String> entry) {
        Given given = given(s);
        if (given == null) {
            record(s, "(none)", "default");
            return List.of();
        }
        var entries = new ArrayList<String>();
        boolean bad = false;
        for (String part : given.text().split(",")) {
            String e = part.strip();
            if (e.isEmpty()) {
                continue;
            }
            try {
                entries.add(entry.parse(e));
            } catch (Rejected r) {
                problems.add(given.name() + ": '" + e + "' " + r.getMessage());
                bad = true;
            }
        }
        record(s, entries.isEmpty() ? "(none)" : String.join(",", entries), given.source());
        return bad ? List.of() : List.copyOf(entries);
    }

    /**
     * @throws ConfigException with every problem found, if any
     */
    void failOnProblems() {
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    /** Every setting read, in the catalogue's order. */
    List<Effective> effective() {
        return List.copyOf(effective.values());
    }

    static String choices(List<String> allowed) {
        var quoted = allowed.stream().map(a -> "'" + a + "'").toList();
        return quoted.size() == 1
                ? quoted.get(0)
                : String.join(", ", quoted.subList(0, quoted.size() - 1))
                        + " or "
                        + quoted.get(quoted.size() - 1);
    }

    private void record(Setting s, String value, String source) {
        effective.put(s, new Effective(s, value, source));
    }

    private Given given(Setting s) {
        if (s.flag() != null && flags.containsKey(s.flag())) {
            return new Given(s.flag(), flags.get(s.flag()), "flag");
        }
        String v = env.get(s.variable());
        if (v == null || v.isBlank()) {
            return null;
        }
        return new Given(s.variable(), v, "variable");
    }

    /** {@code --name value} and {@code --name=value}, for the flags the catalogue names. */
    private void readFlags(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            int eq = a.indexOf('=');
            String name = eq > 0 ? a.substring(0, eq) : a;
            if (!isFlag(name)) {
                problems.add("unknown option '" + a + "'");
                if (eq < 0 && i + 1 < args.size() && !args.get(i + 1).startsWith("-")) {
                    i++; // its value
                }
                continue;
            }
            if (eq > 0) {
                flags.put(name, a.substring(eq + 1));
            } else if (i + 1 < args.size()) {
                flags.put(name, args.get(++i));
            } else {
                problems.add(name + " needs a value");
            }
        }
    }

    private static boolean isFlag(String name) {
        for (Setting s : Setting.values()) {
            if (name.equals(s.flag())) {
                return true;
            }
        }
        return false;
    }

    private static Setting known(String variable) {
        for (Setting s : Setting.values()) {
            if (s.variable().equals(variable)) {
                return s;
            }
        }
        return null;
    }

    /** The setting a misspelt variable most likely meant, if one is close. */
    private static String didYouMean(String name) {
        Setting best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (Setting s : Setting.values()) {
            int d = distance(name, s.variable());
            if (d < bestDistance) {
                best = s;
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= 3
                ? " (did you mean " + best.variable() + "?)"
                : " (see ./livepost serve --print-config for every setting)";
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
