package dev.livepost.markdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.livepost.markdown.internal.AttributeTokenizer;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Hostile input for the directive parser: everything must finish fast and end in either a working
 * artifact or a visible error, never an exception.
 */
class PathologicalTest {
    private static final Duration FAST = Duration.ofSeconds(2);

    private static <T> T fast(Supplier<T> work) {
        return assertTimeoutPreemptively(FAST, work::get);
    }

    @Test
    void hundredThousandCharacterTitle() {
        String md = "::code-runner{title=\"" + "x".repeat(100_000) + "\"}\n```\n1\n```\n";
        var blocks = fast(() -> CodeRunnerExtensionTest.blocks(md));
        assertThat(blocks.get(0).getError()).isNull();
        assertThat(blocks.get(0).getTitle()).hasSize(100_000);
    }

    @Test
    void hundredThousandCharacterUnterminatedQuote() {
        String md = "::code-runner{title=\"" + "x".repeat(100_000) + "\n```\n1\n```\n";
        String html = fast(() -> CodeRunnerExtensionTest.render(md));
        assertThat(html).contains("directive-error").contains("has no closing");
        assertThat(html.length()).isLessThan(1_000);
    }

    @Test
    void unterminatedBracesEverywhere() {
        String md = ("::code-runner{" + "{".repeat(10_000) + "\n").repeat(20);
        var blocks = fast(() -> CodeRunnerExtensionTest.blocks(md));
        assertThat(blocks).hasSize(20).allSatisfy(b -> assertThat(b.getError()).isNotNull());
    }

    @Test
    void manyAttributes() {
        var sb = new StringBuilder("{");
        for (int i = 0; i < 50_000; i++) {
            sb.append("a").append(i).append("=v ");
        }
        String attrs = sb.append("}").toString();
        var result = fast(() -> AttributeTokenizer.tokenize(attrs, 0));
        assertThat(result.attributes()).hasSize(50_000);
        var blocks =
                fast(
                        () ->
                                CodeRunnerExtensionTest.blocks(
                                        "::code-runner" + attrs + "\n```\n1\n```\n"));
        assertThat(blocks.get(0).getError()).startsWith("unknown attribute 'a0'");
    }

    @Test
    void manyRepeatedFlags() {
        String md = "::code-runner{" + "readonly ".repeat(30_000) + "}\n```\n1\n```\n";
        var blocks = fast(() -> CodeRunnerExtensionTest.blocks(md));
        assertThat(blocks.get(0).getError()).isEqualTo("attribute 'readonly' is given twice");
    }

    @Test
    void deeplyNestedContainers() {
        int depth = 500;
        var sb = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            sb.append(":::code-runner\n");
        }
        sb.append("```\nx\n```\n");
        sb.append(":::\n".repeat(depth));
        List<CodeRunnerBlock> blocks = fast(() -> CodeRunnerExtensionTest.blocks(sb.toString()));
        // commonmark caps how deep blocks nest; past the cap the lines are plain text.
        assertThat(blocks).hasSizeGreaterThan(10);
        assertThat(blocks).allSatisfy(b -> assertThat(b.getError()).isNotNull());
        String html = fast(() -> CodeRunnerExtensionTest.render(sb.toString()));
        assertThat(html).doesNotContain("<code-runner").contains("directive-error");
    }

    @Test
    void thousandsOfDirectivesInOnePost() {
        String md = "::code-runner\n```\nprint(1)\n```\n\n".repeat(5_000);
        var blocks = fast(() -> CodeRunnerExtensionTest.blocks(md));
        assertThat(blocks).hasSize(5_000);
        assertThat(blocks.get(4_999).getId()).isEqualTo("5000");
        assertThat(blocks).allSatisfy(b -> assertThat(b.getError()).isNull());
    }

    @Test
    void thousandsOfDuplicateIdsAndDanglingSetups() {
        String md = "::code-runner{id=x setup=y}\n```\n1\n```\n\n".repeat(5_000);
        var blocks = fast(() -> CodeRunnerExtensionTest.blocks(md));
        assertThat(blocks).allSatisfy(b -> assertThat(b.getError()).isNotNull());
    }

    @Test
    void crlfAndLoneCarriageReturns() {
        var blocks =
                fast(
                        () ->
                                CodeRunnerExtensionTest.blocks(
                                        "::code-runner{id=a}\r```\rx\r```\r\r::code-runner{id=b}\r\n```\r\ny\r\n```\r\n"));
        assertThat(blocks).extracting(CodeRunnerBlock::getError).containsOnlyNulls();
        assertThat(blocks).extracting(CodeRunnerBlock::getLine).containsExactly(1, 6);
    }

    @Test
    void byteOrderMarkIsNotADirective() {
        // A BOM is stripped by the blog before parsing; raw, it must not crash anything.
        String html =
                fast(() -> CodeRunnerExtensionTest.render("\uFEFF::code-runner\n```\n1\n```\n"));
        assertThat(html).isNotEmpty();
    }

    @Test
    void weirdUnicode() {
        String title =
                "Z\u0351\u0364a\u036b\u0343l\u0350g\u0344o 😀 \u202Eevil\u202C \u0000 \uD800";
        String md =
                "::code-runner{title=\""
                        + title
                        + "\" id=ok}\n```\n1\n```\n"
                        + "::code-runner{id=😀}\n```\n1\n```\n"
                        + "::code-runner{ti\u0000tle=x}\n```\n1\n```\n";
        var blocks = fast(() -> CodeRunnerExtensionTest.blocks(md));
        assertThat(blocks).hasSize(3);
        assertThat(blocks.get(0).getError()).isNull();
        assertThat(blocks.get(1).getError()).startsWith("id must be letters");
        assertThat(blocks.get(2).getError()).isNotNull();
        String html = fast(() -> CodeRunnerExtensionTest.render(md));
        assertThat(html).contains("artifact=\"post/ok\"");
    }

    @Test
    void unclosedContainerAtEndOfAHugeFile() {
        String md = ":::code-runner\n```\n" + "print(1)\n".repeat(50_000);
        var blocks = fast(() -> CodeRunnerExtensionTest.blocks(md));
        assertThat(blocks.get(0).getError()).contains("never closed");
    }
}
