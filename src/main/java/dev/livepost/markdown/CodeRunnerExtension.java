package dev.livepost.markdown;

import dev.livepost.highlight.HighlightedCodeBlocks;
import dev.livepost.markdown.internal.CodeRunnerBlockParser;
import dev.livepost.markdown.internal.CodeRunnerHtmlRenderer;
import dev.livepost.markdown.internal.CodeRunnerPostProcessor;
import org.commonmark.Extension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * The {@code ::code-runner} directive of interfaces.md section 2, as a commonmark-java extension:
 *
 * <pre>{@code
 * Extension ext = CodeRunnerExtension.builder().slug("my-post").build();
 * Parser parser = Parser.builder().extensions(List.of(ext))
 *         .includeSourceSpans(IncludeSourceSpans.BLOCKS).build();  // for line numbers
 * HtmlRenderer renderer = HtmlRenderer.builder().extensions(List.of(ext)).build();
 * }</pre>
 *
 * Parsing yields {@link CodeRunnerBlock} nodes; rendering writes {@code <code-runner>} elements for
 * the browser component, or an error box for a malformed directive. Immutable and thread-safe.
 */
public final class CodeRunnerExtension
        implements Parser.ParserExtension, HtmlRenderer.HtmlRendererExtension {
    private final String slug;

    private CodeRunnerExtension(Builder builder) {
        this.slug = builder.slug;
    }

    /** An extension without a slug (artifact addresses are then just the ids). */
    public static Extension create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void extend(Parser.Builder parserBuilder) {
        parserBuilder.customBlockParserFactory(new CodeRunnerBlockParser.Factory());
        parserBuilder.postProcessor(new CodeRunnerPostProcessor());
    }

    @Override
    public void extend(HtmlRenderer.Builder rendererBuilder) {
        rendererBuilder.nodeRendererFactory(context -> new CodeRunnerHtmlRenderer(context, slug));
        // Plain fenced blocks too are highlighted on the server (first paint, no script needed).
        rendererBuilder.nodeRendererFactory(HighlightedCodeBlocks::new);
    }

    public static final class Builder {
        private String slug;

        private Builder() {}

        /** The post's slug, the first half of each artifact's {@code SLUG/ID} address. */
        public Builder slug(String slug) {
            this.slug = slug;
            return this;
        }

        public CodeRunnerExtension build() {
            return new CodeRunnerExtension(this);
        }
    }
}
