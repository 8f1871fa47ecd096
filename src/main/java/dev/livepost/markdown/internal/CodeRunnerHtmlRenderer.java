package dev.livepost.markdown.internal;

import dev.livepost.highlight.Highlighter;
import dev.livepost.markdown.CodeRunnerBlock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.Node;
import org.commonmark.renderer.NodeRenderer;
import org.commonmark.renderer.html.HtmlNodeRendererContext;
import org.commonmark.renderer.html.HtmlWriter;

/**
 * Renders a {@link CodeRunnerBlock} as the browser component's markup,
 *
 * <pre>{@code <code-runner artifact="SLUG/ID" lang="python" mode="code" ...>
 *   <pre><code class="language-python">CODE</code></pre></code-runner>}</pre>
 *
 * or, when the directive is malformed, as a visible error box followed by whatever it contained.
 * Every attribute value and the code are HTML-escaped by {@link HtmlWriter}.
 */
public final class CodeRunnerHtmlRenderer implements NodeRenderer {
    private final HtmlNodeRendererContext context;
    private final HtmlWriter html;
    private final String slug;

    public CodeRunnerHtmlRenderer(HtmlNodeRendererContext context, String slug) {
        this.context = context;
        this.html = context.getWriter();
        this.slug = slug;
    }

    @Override
    public Set<Class<? extends Node>> getNodeTypes() {
        return Set.of(CodeRunnerBlock.class);
    }

    @Override
    public void render(Node node) {
        var b = (CodeRunnerBlock) node;
        html.line();
        if (b.getError() != null) {
            renderError(b);
        } else {
            renderRunner(b);
        }
        html.line();
    }

    private void renderRunner(CodeRunnerBlock b) {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("artifact", slug == null ? b.getId() : slug + "/" + b.getId());
        attrs.put("lang", b.getLang());
        attrs.put("mode", b.getMode());
        if (b.getTitle() != null) {
            attrs.put("title", b.getTitle());
        }
        if (b.isReadonly()) {
            attrs.put("readonly", "");
        }
        if (!b.getSkills().isEmpty()) {
            attrs.put("skills", String.join(",", b.getSkills()));
        }
        if (b.getTimeoutSeconds() != null) {
            attrs.put("timeout", String.valueOf(b.getTimeoutSeconds()));
        }
        if (b.getSetup() != null) {
            attrs.put("setup", b.getSetup());
        }
        html.tag("code-runner", context.extendAttributes(b, "code-runner", attrs));
        // A prompt is prose for Claude: not highlighted as code.
        code(b.getCodeBlock(), b.getLang(), !"prompt".equals(b.getMode()));
        html.tag("/code-runner");
    }

    private void renderError(CodeRunnerBlock b) {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("class", "directive-error");
        attrs.put("role", "alert");
        html.tag("div", context.extendAttributes(b, "div", attrs));
        html.tag("strong");
        html.text(b.getLine() > 0 ? "code-runner, line " + b.getLine() + ":" : "code-runner:");
        html.tag("/strong");
        html.text(" " + b.getError());
        html.tag("/div");
        html.line();
        // Whatever the directive held is still shown, as ordinary content.
        for (Node n = b.getFirstChild(); n != null; n = n.getNext()) {
            if (n instanceof FencedCodeBlock f) {
                String info = f.getInfo() == null ? "" : f.getInfo().trim().split("\\s", 2)[0];
                code(f, info.isEmpty() ? null : info, true);
            } else {
                context.render(n);
            }
        }
    }

    private void code(FencedCodeBlock f, String lang, boolean highlight) {
        html.tag("pre");
        Map<String, String> attrs = new LinkedHashMap<>();
        if (lang != null) {
            attrs.put("class", "language-" + lang);
        }
        html.tag("code", attrs);
        // Highlighted on the server: colours at first paint, also without JavaScript.
        html.raw(Highlighter.html(f == null ? "" : f.getLiteral(), highlight ? lang : null));
        html.tag("/code");
        html.tag("/pre");
        html.line();
    }
}
