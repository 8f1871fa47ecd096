package dev.livepost.chat;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An answer as Markdown for a post: its text as Claude wrote it, and each piece of Python or bash
 * it ran as a {@code ::code-runner} artifact. In a post every artifact runs in a session of its
 * own, so each one names the one before it in its language as its {@code setup=} (a setup must be
 * in the artifact's language: a post runs each language in sandboxes of its own), and the runnable
 * code of the conversation's earlier answers comes first as {@code hidden} Python artifacts: the
 * answer's Python finds the files and variables the conversation made before it. Code in other
 * languages (a CSV file Claude wrote) stays a plain code block. Stateless.
 */
public final class Snippet {
    private static final Pattern BACKTICKS = Pattern.compile("`{3,}");

    private Snippet() {}

    /**
     * The snippet of answer {@code index} (0-based) of {@code answers}.
     *
     * @param prefix starts every artifact id, so snippets of two conversations do not clash
     */
    public static String of(List<Answer> answers, int index, String prefix) {
        var md = new StringBuilder();
        var previous = new java.util.HashMap<String, String>(); // language -> last artifact id
        for (Answer earlier : answers.subList(0, index)) {
            for (ChatArtifact a : earlier.artifacts()) {
                String source = setupSource(a);
                if (source != null) {
                    String id = prefix + "-" + a.id();
                    directive(md, id, "python", previous.get("python"), true, source);
                    previous.put("python", id);
                }
            }
        }
        for (Answer.Part part : answers.get(index).parts()) {
            if (part instanceof Answer.Part.Text t) {
                md.append(t.markdown().strip()).append("\n\n");
                continue;
            }
            ChatArtifact a = ((Answer.Part.Code) part).artifact();
            if (!runnable(a)) {
                fence(md, a.language(), a.code());
                continue;
            }
            String id = prefix + "-" + a.id();
            directive(md, id, a.language(), previous.get(a.language()), false, a.code());
            previous.put(a.language(), id);
        }
        return md.toString().strip() + "\n";
    }

    private static boolean runnable(ChatArtifact a) {
        return a.language().equals("python") || (a.language().equals("bash") && a.path() == null);
    }

    /** What a hidden setup runs for an earlier artifact (always Python), or null for none. */
    private static String setupSource(ChatArtifact a) {
        if (a.language().equals("python")) {
            return a.code();
        }
        if (a.language().equals("bash") && a.path() == null) {
            return Rerun.source(a, a.code());
        }
        return null;
    }

    private static void directive(
            StringBuilder md,
            String id,
            String language,
            String setup,
            boolean hidden,
            String code) {
        md.append("::code-runner{#").append(id).append(" lang=").append(language);
        if (setup != null) {
            md.append(" setup=").append(setup);
        }
        if (hidden) {
            md.append(" hidden");
        }
        md.append("}\n");
        fence(md, language, code);
    }

    private static void fence(StringBuilder md, String language, String code) {
        int longest = 2;
        Matcher m = BACKTICKS.matcher(code);
        while (m.find()) {
            longest = Math.max(longest, m.group().length());
        }
        String fence = "`".repeat(longest + 1);
        md.append(fence).append(language).append('\n').append(code);
        if (!code.endsWith("\n")) {
            md.append('\n');
        }
        md.append(fence).append("\n\n");
    }
}
