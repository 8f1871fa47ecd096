package dev.livepost.markdown;

import java.util.List;
import org.commonmark.node.CustomBlock;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.Node;

/**
 * A {@code ::code-runner} directive (leaf form, followed by a fenced code block) or a {@code
 * :::code-runner ... :::} container around one. After parsing, the code block is this node's child
 * and every attribute has its final value (defaults applied). A malformed directive keeps its
 * {@link #getError() error} and renders as a visible error box instead of a runner.
 *
 * <p>Like all commonmark nodes, not thread-safe while being built; read-only use afterwards is
 * safe.
 */
public final class CodeRunnerBlock extends CustomBlock {
    private String id;
    private String title;
    private String lang;
    private String mode = "code";
    private boolean readonly;
    private List<String> skills = List.of();
    private Integer timeoutSeconds;
    private String setup;
    private boolean hidden;
    private boolean precompute = true;
    private boolean container;
    private int line;
    private String error;

    /** The stable id within the post: the {@code id} attribute, else the 1-based position. */
    public String getId() {
        return id;
    }

    public void setId(String id) {
        this.id = id;
    }

    /** The {@code title} attribute, or null. */
    public String getTitle() {
        return title;
    }

    public void setTitle(String title) {
        this.title = title;
    }

    /** The {@code lang} attribute, else the fence's info string, else {@code python}. */
    public String getLang() {
        return lang;
    }

    public void setLang(String lang) {
        this.lang = lang;
    }

    /** {@code code} or {@code prompt}. */
    public String getMode() {
        return mode;
    }

    public void setMode(String mode) {
        this.mode = mode;
    }

    public boolean isPrompt() {
        return "prompt".equals(mode);
    }

    public boolean isReadonly() {
        return readonly;
    }

    public void setReadonly(boolean readonly) {
        this.readonly = readonly;
    }

    public List<String> getSkills() {
        return skills;
    }

    public void setSkills(List<String> skills) {
        this.skills = List.copyOf(skills);
    }

    /**
     * The {@code timeout} attribute in seconds as the author wrote it, or null; the server lowers
     * it to its own limit when a session starts.
     */
    public Integer getTimeoutSeconds() {
        return timeoutSeconds;
    }

    public void setTimeoutSeconds(Integer timeoutSeconds) {
        this.timeoutSeconds = timeoutSeconds;
    }

    /** The {@code setup} attribute: id of another artifact whose code runs first, or null. */
    public String getSetup() {
        return setup;
    }

    public void setSetup(String setup) {
        this.setup = setup;
    }

    /**
     * The {@code hidden} flag: the artifact is not shown and runs only as the setup of the
     * artifacts that name it in {@code setup=}.
     */
    public boolean isHidden() {
        return hidden;
    }

    public void setHidden(boolean hidden) {
        this.hidden = hidden;
    }

    /**
     * The {@code precompute} attribute (default true): whether the server runs the artifact once
     * ahead of readers and shows that output under the code.
     */
    public boolean isPrecompute() {
        return precompute;
    }

    public void setPrecompute(boolean precompute) {
        this.precompute = precompute;
    }

    /** Whether this is the {@code :::code-runner} container form. */
    public boolean isContainer() {
        return container;
    }

    public void setContainer(boolean container) {
        this.container = container;
    }

    /** 1-based line of the directive in the parsed input; 0 when source spans were off. */
    public int getLine() {
        return line;
    }

    public void setLine(int line) {
        this.line = line;
    }

    /** What is wrong with this directive, for the author; null when it is a working artifact. */
    public String getError() {
        return error;
    }

    /** Records a problem; the first one wins, later ones are usually consequences of it. */
    public void setError(String error) {
        if (this.error == null) {
            this.error = error;
        }
    }

    /** The attached fenced code block, or null if there is none. */
    public FencedCodeBlock getCodeBlock() {
        for (Node n = getFirstChild(); n != null; n = n.getNext()) {
            if (n instanceof FencedCodeBlock f) {
                return f;
            }
        }
        return null;
    }

    /** The code (or prompt) as written, or null without a code block. */
    public String getCode() {
        FencedCodeBlock f = getCodeBlock();
        return f == null ? null : f.getLiteral();
    }
}
