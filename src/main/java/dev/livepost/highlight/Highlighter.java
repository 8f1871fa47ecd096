package dev.livepost.highlight;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Server-side syntax highlighting for the code blocks of a post, so a page is highlighted at first
 * paint and without JavaScript: the code becomes HTML-escaped text with {@code <span
 * class="tok-...">} around keywords, strings, comments, numbers, definitions and decorators, the
 * class names of the browser editor's highlighter (CodeMirror's {@code classHighlighter}), so one
 * stylesheet colours both. A lexer, not a parser: it knows each language's comments, strings,
 * numbers and keywords, which is what a reader's eye needs; anything else is plain text. Unknown
 * languages are escaped only. Immutable and thread-safe; linear in the code's length.
 *
 * <p>Why not a library: no maintained Java highlighter emits these classes, and running
 * highlight.js or Pygments would put a JavaScript engine or a Python process in the page path.
 */
public final class Highlighter {
    private static final Set<String> PY_KEYWORDS =
            Set.of(
                    "and",
                    "as",
                    "assert",
                    "async",
                    "await",
                    "break",
                    "class",
                    "continue",
                    "def",
                    "del",
                    "elif",
                    "else",
                    "except",
                    "finally",
                    "for",
                    "from",
                    "global",
                    "if",
                    "import",
                    "in",
                    "is",
                    "lambda",
                    "nonlocal",
                    "not",
                    "or",
                    "pass",
                    "raise",
                    "return",
                    "try",
                    "while",
                    "with",
                    "yield",
                    "match",
                    "case");
    private static final Set<String> JS_KEYWORDS =
            Set.of(
                    "async",
                    "await",
                    "break",
                    "case",
                    "catch",
                    "class",
                    "const",
                    "continue",
                    "default",
                    "delete",
                    "do",
                    "else",
                    "export",
                    "extends",
                    "finally",
                    "for",
                    "function",
                    "if",
                    "import",
                    "in",
                    "instanceof",
                    "let",
                    "new",
                    "of",
                    "return",
                    "static",
                    "super",
                    "switch",
                    "this",
                    "throw",
                    "try",
                    "typeof",
                    "var",
                    "void",
                    "while",
                    "yield",
                    "interface",
                    "type",
                    "enum",
                    "implements");
    private static final Set<String> JAVA_KEYWORDS =
            Set.of(
                    "abstract",
                    "boolean",
                    "break",
                    "byte",
                    "case",
                    "catch",
                    "char",
                    "class",
                    "continue",
                    "default",
                    "do",
                    "double",
                    "else",
                    "enum",
                    "extends",
                    "final",
                    "finally",
                    "float",
                    "for",
                    "if",
                    "implements",
                    "import",
                    "instanceof",
                    "int",
                    "interface",
                    "long",
                    "new",
                    "package",
                    "private",
                    "protected",
                    "public",
                    "record",
                    "return",
                    "sealed",
                    "short",
                    "static",
                    "super",
                    "switch",
                    "this",
                    "throw",
                    "throws",
                    "try",
                    "var",
                    "void",
                    "while",
                    "yield");
    private static final Set<String> SQL_KEYWORDS =
            Set.of(
                    "select",
                    "from",
                    "where",
                    "and",
                    "or",
                    "not",
                    "insert",
                    "into",
                    "values",
                    "update",
                    "set",
                    "delete",
                    "create",
                    "table",
                    "drop",
                    "alter",
                    "join",
                    "left",
                    "right",
                    "inner",
                    "outer",
                    "on",
                    "group",
                    "by",
                    "order",
                    "having",
                    "limit",
                    "as",
                    "distinct",
                    "union",
                    "all",
                    "with",
                    "case",
                    "when",
                    "then",
                    "else",
                    "end",
                    "in",
                    "is",
                    "like",
                    "between",
                    "primary",
                    "key",
                    "asc",
                    "desc",
                    "count");
    private static final Set<String> SHELL_KEYWORDS =
            Set.of(
                    "if",
                    "then",
                    "else",
                    "elif",
                    "fi",
                    "for",
                    "while",
                    "do",
                    "done",
                    "case",
                    "esac",
                    "in",
                    "function",
                    "return",
                    "export",
                    "local",
                    "echo",
                    "cd",
                    "set");

    private static final String NUMBER =
            "(?<number>\\b(?:0[xX][0-9a-fA-F_]+|\\d[\\d_]*(?:\\.\\d[\\d_]*)?(?:[eE][+-]?\\d+)?[jJlLfF]?)\\b)";
    private static final String WORD = "(?<word>[A-Za-z_$][A-Za-z0-9_$]*)";

    private static final Lexer PYTHON =
            new Lexer(
                    "(?<comment>#[^\\n]*)"
                            + "|(?<string>(?i:[rbuf]{0,2})(?:'''[\\s\\S]*?(?:'''|\\z)"
                            + "|\"\"\"[\\s\\S]*?(?:\"\"\"|\\z)"
                            + "|'[^'\\\\\\n]*+(?:\\\\.[^'\\\\\\n]*+)*+'?|\"[^\"\\\\\\n]*+(?:\\\\.[^\"\\\\\\n]*+)*+\"?))"
                            + "|(?<meta>@[A-Za-z_][\\w.]*)|"
                            + NUMBER
                            + "|"
                            + WORD,
                    PY_KEYWORDS,
                    Set.of("True", "False", "None"),
                    Set.of("def", "class"),
                    Set.of("self", "cls"),
                    false);
    private static final Lexer JAVASCRIPT =
            new Lexer(
                    "(?<comment>//[^\\n]*|/\\*[\\s\\S]*?(?:\\*/|\\z))"
                            + "|(?<string>'[^'\\\\\\n]*+(?:\\\\.[^'\\\\\\n]*+)*+'?|\"[^\"\\\\\\n]*+(?:\\\\.[^\"\\\\\\n]*+)*+\"?"
                            + "|`[^`\\\\]*+(?:\\\\[\\s\\S][^`\\\\]*+)*+`?)|"
                            + NUMBER
                            + "|"
                            + WORD,
                    JS_KEYWORDS,
                    Set.of("true", "false", "null", "undefined"),
                    Set.of("function", "class"),
                    Set.of(),
                    false);
    private static final Lexer JAVA =
            new Lexer(
                    "(?<comment>//[^\\n]*|/\\*[\\s\\S]*?(?:\\*/|\\z))"
                            + "|(?<string>\"\"\"[\\s\\S]*?(?:\"\"\"|\\z)"
                            + "|\"[^\"\\\\\\n]*+(?:\\\\.[^\"\\\\\\n]*+)*+\"?|'[^'\\\\\\n]*+(?:\\\\.[^'\\\\\\n]*+)*+'?)"
                            + "|(?<meta>@[A-Za-z_][\\w.]*)|"
                            + NUMBER
                            + "|"
                            + WORD,
                    JAVA_KEYWORDS,
                    Set.of("true", "false", "null"),
                    Set.of("class", "record", "interface", "enum"),
                    Set.of(),
                    false);
    private static final Lexer SQL =
            new Lexer(
                    "(?<comment>--[^\\n]*|/\\*[\\s\\S]*?(?:\\*/|\\z))"
                            + "|(?<string>'[^']*+(?:''[^']*+)*+'?)|"
                            + NUMBER
                            + "|"
                            + WORD,
                    SQL_KEYWORDS,
                    Set.of("true", "false", "null"),
                    Set.of(),
                    Set.of(),
                    true);
    private static final Lexer SHELL =
            new Lexer(
                    "(?<comment>(?<![^\\s;])#[^\\n]*)"
                            + "|(?<string>'[^']*'?|\"[^\"\\\\]*+(?:\\\\[\\s\\S][^\"\\\\]*+)*+\"?)"
                            + "|(?<meta>\\$\\{?[A-Za-z_][A-Za-z0-9_]*\\}?)|"
                            + NUMBER
                            + "|"
                            + WORD,
                    SHELL_KEYWORDS,
                    Set.of("true", "false"),
                    Set.of(),
                    Set.of(),
                    false);

    private static final Map<String, Lexer> BY_NAME =
            Map.ofEntries(
                    Map.entry("python", PYTHON),
                    Map.entry("py", PYTHON),
                    Map.entry("python3", PYTHON),
                    Map.entry("javascript", JAVASCRIPT),
                    Map.entry("js", JAVASCRIPT),
                    Map.entry("mjs", JAVASCRIPT),
                    Map.entry("json", JAVASCRIPT),
                    Map.entry("typescript", JAVASCRIPT),
                    Map.entry("ts", JAVASCRIPT),
                    Map.entry("java", JAVA),
                    Map.entry("jshell", JAVA),
                    Map.entry("node", JAVASCRIPT),
                    Map.entry("nodejs", JAVASCRIPT),
                    Map.entry("sql", SQL),
                    Map.entry("sqlite", SQL),
                    Map.entry("shell", SHELL),
                    Map.entry("bash", SHELL),
                    Map.entry("sh", SHELL),
                    Map.entry("zsh", SHELL),
                    Map.entry("console", SHELL));

    private Highlighter() {}

    /** Whether {@code lang} (a fence's info string or a runner's {@code lang}) is highlighted. */
    public static boolean knows(String lang) {
        return lang != null && BY_NAME.containsKey(lang.toLowerCase(Locale.ROOT).trim());
    }

    /** {@code code} as HTML: escaped text, with token spans where the language is known. */
    public static String html(String code, String lang) {
        Lexer lexer = lang == null ? null : BY_NAME.get(lang.toLowerCase(Locale.ROOT).trim());
        var out = new StringBuilder(code.length() + code.length() / 2);
        if (lexer == null) {
            escape(code, 0, code.length(), out);
        } else {
            lexer.highlight(code, out);
        }
        return out.toString();
    }

    private record Lexer(
            Pattern pattern,
            Set<String> keywords,
            Set<String> atoms,
            Set<String> definers,
            Set<String> selves,
            boolean caseInsensitive) {
        Lexer(
                String regex,
                Set<String> keywords,
                Set<String> atoms,
                Set<String> definers,
                Set<String> selves,
                boolean caseInsensitive) {
            this(
                    Pattern.compile(regex, Pattern.MULTILINE),
                    keywords,
                    atoms,
                    definers,
                    selves,
                    caseInsensitive);
        }

        void highlight(String code, StringBuilder out) {
            Matcher m = pattern.matcher(code);
            int at = 0;
            boolean defining = false;
            while (m.find()) {
                if (m.end() == m.start()) {
                    continue;
                }
                escape(code, at, m.start(), out);
                String cls = classOf(m, defining);
                String word = m.group("word");
                defining = word != null && definers.contains(word);
                if (cls == null) {
                    escape(code, m.start(), m.end(), out);
                } else {
                    out.append("<span class=\"").append(cls).append("\">");
                    escape(code, m.start(), m.end(), out);
                    out.append("</span>");
                }
                at = m.end();
            }
            escape(code, at, code.length(), out);
        }

        private String classOf(Matcher m, boolean defining) {
            if (m.group("comment") != null) {
                return "tok-comment";
            } else if (m.group("string") != null) {
                return "tok-string";
            } else if (group(m, "meta") != null) {
                return "tok-meta";
            } else if (m.group("number") != null) {
                return "tok-number";
            }
            String w = m.group("word");
            String key = caseInsensitive ? w.toLowerCase(Locale.ROOT) : w;
            if (keywords.contains(key)) {
                return "tok-keyword";
            } else if (atoms.contains(key)) {
                return "tok-bool";
            } else if (selves.contains(w)) {
                return "tok-self";
            } else if (defining) {
                return "tok-variableName tok-definition";
            }
            return null;
        }

        private static String group(Matcher m, String name) {
            try {
                return m.group(name);
            } catch (IllegalArgumentException e) {
                return null; // this language has no such group
            }
        }
    }

    static void escape(String s, int from, int to, StringBuilder out) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(c);
            }
        }
    }
}
