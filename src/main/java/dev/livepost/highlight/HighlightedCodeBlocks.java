package dev.livepost.highlight;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.Node;
import org.commonmark.renderer.NodeRenderer;
import org.commonmark.renderer.html.HtmlNodeRendererContext;
import org.commonmark.renderer.html.HtmlWriter;

/**
 * Renders a post's plain fenced code blocks as commonmark does, {@code <pre><code
 * class="language-X">}, with the code highlighted by {@link Highlighter} and the {@code pre} marked
 * {@code lp-highlighted} (the stylesheet's token colours) when the language is known. Thread-safe
 * per render, like every commonmark node renderer.
 */
public final class HighlightedCodeBlocks implements NodeRenderer {
    private final HtmlNodeRendererContext context;
    private final HtmlWriter html;

    public HighlightedCodeBlocks(HtmlNodeRendererContext context) {
        this.context = context;
        this.html = context.getWriter();
    }

    @Override
    public Set<Class<? extends Node>> getNodeTypes() {
        return Set.of(FencedCodeBlock.class);
    }

    @Override
    public void render(Node node) {
        var block = (FencedCodeBlock) node;
        String info = block.getInfo() == null ? "" : block.getInfo().trim();
        String lang = info.isEmpty() ? null : info.split("\\s", 2)[0];
        html.line();
        Map<String, String> preAttrs = new LinkedHashMap<>();
        if (Highlighter.knows(lang)) {
            preAttrs.put("class", "lp-highlighted");
        }
        html.tag("pre", context.extendAttributes(block, "pre", preAttrs));
        Map<String, String> codeAttrs = new LinkedHashMap<>();
        if (lang != null) {
            codeAttrs.put("class", "language-" + lang);
        }
        html.tag("code", context.extendAttributes(block, "code", codeAttrs));
        html.raw(Highlighter.html(block.getLiteral(), lang));
        html.tag("/code");
        html.tag("/pre");
        html.line();
    }
}
