package dev.livepost.markdown.internal;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The languages a code artifact may be written in, and the fence names that mean them ({@code js},
 * {@code sh}...): an artifact's {@code lang} is always one of {@link #NAMES}, so that executors,
 * the component and the highlighter know one name per language. Stateless.
 */
final class RunnableLanguages {
    static final List<String> NAMES = List.of("python", "javascript", "bash", "sql", "java");

    private static final Map<String, String> ALIASES =
            Map.of(
                    "py", "python",
                    "python3", "python",
                    "js", "javascript",
                    "node", "javascript",
                    "nodejs", "javascript",
                    "sh", "bash",
                    "shell", "bash",
                    "sqlite", "sql",
                    "jshell", "java");

    private RunnableLanguages() {}

    /** The language's name, or null when code in it cannot run. */
    static String canonical(String lang) {
        String l = lang.toLowerCase(Locale.ROOT);
        return NAMES.contains(l) ? l : ALIASES.get(l);
    }

    /** The error shown for a code artifact in an unknown language. */
    static String unknown(String lang) {
        return "lang="
                + lang
                + " cannot run: a code artifact is in "
                + String.join(", ", NAMES.subList(0, NAMES.size() - 1))
                + " or "
                + NAMES.get(NAMES.size() - 1)
                + " (or js, sh, sqlite, py)";
    }
}
