package dev.livepost.markdown.internal;

import dev.livepost.markdown.CodeRunnerBlock;
import org.commonmark.node.Block;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.parser.block.AbstractBlockParser;
import org.commonmark.parser.block.AbstractBlockParserFactory;
import org.commonmark.parser.block.BlockContinue;
import org.commonmark.parser.block.BlockParser;
import org.commonmark.parser.block.BlockStart;
import org.commonmark.parser.block.MatchedBlockParser;
import org.commonmark.parser.block.ParserState;

/**
 * Parses the opening line of {@code ::code-runner{...}} (a one-line leaf block) and of {@code
 * :::code-runner{...}} (a container closed by a line of at least as many colons). A malformed
 * opening line still becomes a node, carrying its error, so nothing is silently dropped.
 */
public final class CodeRunnerBlockParser extends AbstractBlockParser {
    static final String NAME = "code-runner";

    /** commonmark: four spaces of indent make an indented code block. */
    private static final int CODE_INDENT = 4;

    private final CodeRunnerBlock block = new CodeRunnerBlock();
    private final int fenceColons;
    private boolean closed;

    private CodeRunnerBlockParser(int fenceColons) {
        this.fenceColons = fenceColons;
        block.setContainer(fenceColons >= 3);
    }

    @Override
    public Block getBlock() {
        return block;
    }

    @Override
    public boolean isContainer() {
        return block.isContainer();
    }

    @Override
    public boolean canContain(Block childBlock) {
        return block.isContainer();
    }

    @Override
    public BlockContinue tryContinue(ParserState state) {
        if (!block.isContainer()) {
            return BlockContinue.none();
        }
        // A ':::' inside the code block (or inside a nested container) belongs to them.
        BlockParser active = state.getActiveBlockParser();
        boolean innerOwnsLine =
                active != this
                        && (active.getBlock() instanceof FencedCodeBlock
                                || active instanceof CodeRunnerBlockParser p
                                        && p.block.isContainer());
        if (!innerOwnsLine && state.getIndent() < CODE_INDENT && isClosingFence(state)) {
            closed = true;
            return BlockContinue.finished();
        }
        return BlockContinue.atIndex(state.getIndex());
    }

    private boolean isClosingFence(ParserState state) {
        CharSequence line = state.getLine().getContent();
        int i = state.getNextNonSpaceIndex();
        int colons = 0;
        while (i < line.length() && line.charAt(i) == ':') {
            colons++;
            i++;
        }
        if (colons < fenceColons) {
            return false;
        }
        for (; i < line.length(); i++) {
            if (!Character.isWhitespace(line.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void closeBlock() {
        if (block.isContainer() && !closed) {
            block.setError(
                    "this :::"
                            + NAME
                            + " is never closed: end it with a line of "
                            + ":".repeat(fenceColons));
        }
    }

    /** Recognizes the opening line; everything after {@code ::code-runner} is checked here. */
    public static final class Factory extends AbstractBlockParserFactory {
        @Override
        public BlockStart tryStart(ParserState state, MatchedBlockParser matched) {
            if (state.getIndent() >= CODE_INDENT) {
                return BlockStart.none();
            }
            CharSequence line = state.getLine().getContent();
            int i = state.getNextNonSpaceIndex();
            int colons = 0;
            while (i < line.length() && line.charAt(i) == ':') {
                colons++;
                i++;
            }
            if (colons < 2 || !startsWith(line, i, NAME)) {
                return BlockStart.none();
            }
            i += NAME.length();
            if (i < line.length() && isNameChar(line.charAt(i))) {
                return BlockStart.none(); // e.g. ::code-runners: some other directive
            }
            var parser = new CodeRunnerBlockParser(colons);
            parseRest(parser.block, line, i);
            return BlockStart.of(parser).atIndex(line.length());
        }

        private void parseRest(CodeRunnerBlock block, CharSequence line, int i) {
            if (i < line.length() && line.charAt(i) == '[') {
                block.setError(
                        "labels ([...]) are not supported on "
                                + NAME
                                + ": use title=\"...\" instead");
                return;
            }
            if (i < line.length() && line.charAt(i) == '{') {
                var result = AttributeTokenizer.tokenize(line, i);
                if (!result.ok()) {
                    block.setError(result.error());
                    return;
                }
                CodeRunnerAttributes.apply(block, result.attributes());
                i = result.end();
            }
            for (int k = i; k < line.length(); k++) {
                if (!Character.isWhitespace(line.charAt(k))) {
                    block.setError(
                            "unexpected text after the directive: "
                                    + AttributeTokenizer.quote(line, k)
                                    + " (the code goes in a fenced block on the next lines)");
                    return;
                }
            }
        }

        private static boolean startsWith(CharSequence s, int at, String prefix) {
            if (s.length() - at < prefix.length()) {
                return false;
            }
            for (int k = 0; k < prefix.length(); k++) {
                if (s.charAt(at + k) != prefix.charAt(k)) {
                    return false;
                }
            }
            return true;
        }

        private static boolean isNameChar(char c) {
            return Character.isLetterOrDigit(c) || c == '-' || c == '_';
        }
    }
}
