package dev.livepost.markdown.internal;

import dev.livepost.markdown.CodeRunnerBlock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.CustomBlock;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.Node;
import org.commonmark.node.SourceSpan;
import org.commonmark.parser.PostProcessor;

/**
 * Completes each {@link CodeRunnerBlock} once the whole document is parsed: attaches the fenced
 * code block that follows a leaf directive, applies the defaults ({@code id} = 1-based position,
 * {@code lang} = the fence's info string, else {@code python}) and checks what needs the whole post
 * (nesting, duplicate ids, {@code setup=} references, hidden artifacts no setup names). Stateless
 * and thread-safe.
 */
public final class CodeRunnerPostProcessor implements PostProcessor {

    @Override
    public Node process(Node document) {
        var blocks = new ArrayList<CodeRunnerBlock>();
        document.accept(
                new AbstractVisitor() {
                    @Override
                    public void visit(CustomBlock customBlock) {
                        if (customBlock instanceof CodeRunnerBlock b) {
                            blocks.add(b);
                        }
                        visitChildren(customBlock);
                    }
                });
        int position = 0;
        for (CodeRunnerBlock b : blocks) {
            position++;
            b.setLine(line(b));
            if (hasRunnerAncestor(b)) {
                b.setError("a code-runner cannot be nested inside another code-runner");
            }
            attachCode(b);
            if (b.getId() == null) {
                b.setId(String.valueOf(position));
            }
            FencedCodeBlock code = b.getCodeBlock();
            if (b.getLang() == null) {
                String info = code == null ? null : infoLanguage(code.getInfo());
                b.setLang(info == null ? "python" : info);
            }
            if (!b.isPrompt()) {
                String lang = RunnableLanguages.canonical(b.getLang());
                if (lang == null) {
                    b.setError(RunnableLanguages.unknown(b.getLang()));
                } else {
                    b.setLang(lang);
                }
            }
        }
        checkIds(blocks);
        checkHidden(blocks);
        return document;
    }

    private static int line(CodeRunnerBlock b) {
        List<SourceSpan> spans = b.getSourceSpans();
        return spans.isEmpty() ? 0 : spans.get(0).getLineIndex() + 1;
    }

    private static boolean hasRunnerAncestor(Node n) {
        for (Node p = n.getParent(); p != null; p = p.getParent()) {
            if (p instanceof CodeRunnerBlock) {
                return true;
            }
        }
        return false;
    }

    private static void attachCode(CodeRunnerBlock b) {
        if (b.isContainer()) {
            int fenced = 0;
            int other = 0;
            for (Node n = b.getFirstChild(); n != null; n = n.getNext()) {
                if (n instanceof FencedCodeBlock) {
                    fenced++;
                } else {
                    other++;
                }
            }
            if (fenced != 1 || other != 0) {
                b.setError(
                        "a :::code-runner container must hold exactly one fenced code block"
                                + " (found "
                                + fenced
                                + " code block(s) and "
                                + other
                                + " other block(s))");
            }
            return;
        }
        Node next = b.getNext();
        if (next instanceof FencedCodeBlock) {
            next.unlink();
            b.appendChild(next);
        } else {
            b.setError("::code-runner must be followed directly by a fenced code block (```)");
        }
    }

    private static String infoLanguage(String info) {
        if (info == null || info.isBlank()) {
            return null;
        }
        String first = info.trim().split("[\\s{]", 2)[0];
        return CodeRunnerAttributes.validLang(first) ? first : null;
    }

    private static void checkIds(List<CodeRunnerBlock> blocks) {
        Map<String, CodeRunnerBlock> byId = new HashMap<>();
        for (CodeRunnerBlock b : blocks) {
            CodeRunnerBlock first = byId.putIfAbsent(b.getId(), b);
            if (first != null) {
                b.setError(
                        "duplicate id '"
                                + b.getId()
                                + "' (also used"
                                + (first.getLine() > 0 ? " on line " + first.getLine() : "")
                                + ")");
            }
        }
        for (CodeRunnerBlock b : blocks) {
            String setup = b.getSetup();
            if (setup == null || b.getError() != null) {
                continue;
            }
            CodeRunnerBlock target = byId.get(setup);
            if (setup.equals(b.getId())) {
                b.setError("setup='" + setup + "' names this artifact itself");
            } else if (target == null) {
                b.setError("setup='" + setup + "' names no artifact of this post");
            } else if (target.getError() != null) {
                b.setError("setup='" + setup + "' names an artifact that has an error itself");
            } else if (!b.isPrompt()
                    && !target.isPrompt()
                    && !target.getLang().equals(b.getLang())) {
                // The setup's code runs in this artifact's session, in this artifact's language.
                b.setError(
                        "setup='"
                                + setup
                                + "' names an artifact in lang="
                                + target.getLang()
                                + ", not lang="
                                + b.getLang());
            } else {
                String cycle = cycle(b, byId);
                if (cycle != null) {
                    b.setError("setup='" + setup + "' makes a cycle: " + cycle);
                }
            }
        }
    }

    /**
     * A hidden artifact is never shown, so it runs only as another artifact's setup: one that no
     * working artifact names would never run at all, which is surely a mistake.
     */
    private static void checkHidden(List<CodeRunnerBlock> blocks) {
        var named = new java.util.HashSet<String>();
        for (CodeRunnerBlock b : blocks) {
            if (b.getError() == null && b.getSetup() != null) {
                named.add(b.getSetup());
            }
        }
        for (CodeRunnerBlock b : blocks) {
            if (b.isHidden() && b.getError() == null && !named.contains(b.getId())) {
                b.setError(
                        "hidden artifact '"
                                + b.getId()
                                + "' is named by no setup=, so it would never run (name it in"
                                + " another artifact's setup=, or drop hidden)");
            }
        }
    }

    /** The ids of the setup chain from {@code start} back to itself, or null if it ends. */
    private static String cycle(CodeRunnerBlock start, Map<String, CodeRunnerBlock> byId) {
        var path = new ArrayList<String>(List.of(start.getId()));
        CodeRunnerBlock at = byId.get(start.getSetup());
        while (at != null && path.size() <= byId.size()) {
            path.add(at.getId());
            if (at == start) {
                return String.join(" -> ", path);
            }
            at = at.getSetup() == null ? null : byId.get(at.getSetup());
        }
        return null;
    }
}
