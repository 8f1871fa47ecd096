package dev.livepost.markdown.internal;

import dev.livepost.markdown.CodeRunnerBlock;
import dev.livepost.markdown.internal.AttributeTokenizer.Attribute;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks a directive's attributes against interfaces.md section 2 and copies them onto the node.
 * The first problem becomes the node's error. Stateless and thread-safe.
 */
final class CodeRunnerAttributes {
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    private static final Pattern LANG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_+#.-]{0,31}");
    private static final Pattern SKILL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    /** One day: anything longer is a typo, and the server caps it far lower anyway. */
    private static final int TIMEOUT_MAX = 86_400;

    static final String KNOWN =
            "id, title, lang, mode, readonly, skills, timeout, setup, hidden, precompute";

    private CodeRunnerAttributes() {}

    static void apply(CodeRunnerBlock block, List<Attribute> attributes) {
        var seen = new HashSet<String>();
        for (Attribute a : attributes) {
            if (!seen.add(a.name())) {
                block.setError("attribute '" + a.name() + "' is given twice");
                return;
            }
            String v = a.value();
            switch (a.name()) {
                case "id" -> block.setId(matching(block, "id", v, ID));
                case "title" -> block.setTitle(required(block, "title", v));
                case "lang" -> block.setLang(matching(block, "lang", v, LANG));
                case "mode" -> {
                    String mode = required(block, "mode", v);
                    if (mode != null && !mode.equals("code") && !mode.equals("prompt")) {
                        block.setError(
                                "mode must be 'code' or 'prompt', not "
                                        + AttributeTokenizer.quote(mode, 0));
                    } else if (mode != null) {
                        block.setMode(mode);
                    }
                }
                case "readonly" -> block.setReadonly(flag(block, "readonly", v));
                case "hidden" -> block.setHidden(flag(block, "hidden", v));
                case "precompute" -> block.setPrecompute(flag(block, "precompute", v));
                case "skills" -> block.setSkills(skills(block, v));
                case "timeout" -> block.setTimeoutSeconds(timeout(block, v));
                case "setup" -> block.setSetup(matching(block, "setup", v, ID));
                default ->
                        block.setError(
                                "unknown attribute "
                                        + AttributeTokenizer.quote(a.name(), 0)
                                        + " (known: "
                                        + KNOWN
                                        + ")");
            }
            if (block.getError() != null) {
                return;
            }
        }
    }

    /** A flag: bare {@code name} or {@code name=true} is true, {@code name=false} false. */
    private static boolean flag(CodeRunnerBlock block, String name, String v) {
        if (v == null || v.equals("true")) {
            return true;
        }
        if (!v.equals("false")) {
            block.setError(
                    name
                            + " is a flag: write '"
                            + name
                            + "' (or "
                            + name
                            + "=true|false), not "
                            + name
                            + "="
                            + AttributeTokenizer.quote(v, 0));
        }
        return false;
    }

    static boolean validLang(String s) {
        return LANG.matcher(s).matches();
    }

    private static String required(CodeRunnerBlock block, String name, String v) {
        if (v == null || v.isBlank()) {
            block.setError(name + " needs a value, e.g. " + name + "=\"...\"");
            return null;
        }
        return v;
    }

    private static String matching(CodeRunnerBlock block, String name, String v, Pattern p) {
        String s = required(block, name, v);
        if (s != null && !p.matcher(s).matches()) {
            block.setError(
                    name
                            + " must be letters, digits, '-' or '_' (at most 64), not "
                            + AttributeTokenizer.quote(s, 0));
            return null;
        }
        return s;
    }

    private static List<String> skills(CodeRunnerBlock block, String v) {
        String s = required(block, "skills", v);
        if (s == null) {
            return List.of();
        }
        var out = new ArrayList<String>();
        for (String part : s.split(",", -1)) {
            String skill = part.trim();
            if (!SKILL.matcher(skill).matches()) {
                block.setError(
                        "skills must be a comma-separated list of names like \"pdf,xlsx\", not "
                                + AttributeTokenizer.quote(s, 0));
                return List.of();
            }
            out.add(skill);
        }
        return out;
    }

    private static Integer timeout(CodeRunnerBlock block, String v) {
        String s = required(block, "timeout", v);
        if (s == null) {
            return null;
        }
        int seconds;
        try {
            seconds = s.length() > 6 ? -1 : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            seconds = -1;
        }
        if (seconds < 1 || seconds > TIMEOUT_MAX) {
            block.setError(
                    "timeout must be a whole number of seconds (1 to "
                            + TIMEOUT_MAX
                            + "), not "
                            + AttributeTokenizer.quote(s, 0));
            return null;
        }
        return seconds;
    }
}
