package dev.livepost.markdown.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.markdown.internal.AttributeTokenizer.Attribute;
import org.junit.jupiter.api.Test;

class AttributeTokenizerTest {

    @Test
    void allValueForms() {
        String input = "{id=fib title=\"Fib 'n' co\" lang='py' readonly} tail";
        var r = AttributeTokenizer.tokenize(input, 0);
        assertThat(r.error()).isNull();
        assertThat(r.attributes())
                .containsExactly(
                        new Attribute("id", "fib"),
                        new Attribute("title", "Fib 'n' co"),
                        new Attribute("lang", "py"),
                        new Attribute("readonly", null));
        assertThat(r.end()).isEqualTo(input.indexOf(" tail"));
    }

    @Test
    void shorthandIdAndSpacesAroundEquals() {
        var r = AttributeTokenizer.tokenize("{ #fib  timeout = 10 }", 0);
        assertThat(r.attributes())
                .containsExactly(new Attribute("id", "fib"), new Attribute("timeout", "10"));
    }

    @Test
    void emptyListAndEmptyQuotedValue() {
        assertThat(AttributeTokenizer.tokenize("{}", 0).attributes()).isEmpty();
        assertThat(AttributeTokenizer.tokenize("{title=\"\"}", 0).attributes())
                .containsExactly(new Attribute("title", ""));
    }

    @Test
    void errorsSayWhatIsWrong() {
        assertThat(AttributeTokenizer.tokenize("{id=fib", 0).error())
                .isEqualTo("the attribute list has no closing '}'");
        assertThat(AttributeTokenizer.tokenize("{title=\"x}", 0).error())
                .isEqualTo("the value of 'title' has no closing \"");
        assertThat(AttributeTokenizer.tokenize("{id=}", 0).error())
                .isEqualTo("attribute 'id' has '=' but no value");
        assertThat(AttributeTokenizer.tokenize("{.big}", 0).error())
                .isEqualTo("class attributes ('.big}') are not supported");
        assertThat(AttributeTokenizer.tokenize("{9lives}", 0).error())
                .isEqualTo("unexpected '9lives}' where an attribute name belongs");
        assertThat(AttributeTokenizer.tokenize("{a=\"x\"b}", 0).error())
                .isEqualTo("expected a space or '}' after the value of 'a'");
        assertThat(AttributeTokenizer.tokenize("{#}", 0).error())
                .isEqualTo("'#' must be followed by an id");
        assertThat(AttributeTokenizer.tokenize("x", 0).error())
                .isEqualTo("expected '{' to start the attributes");
    }

    @Test
    void quotesInErrorsAreShortAndPrintable() {
        String junk = "{" + "\u0001".repeat(5) + "x".repeat(100) + "}";
        String error = AttributeTokenizer.tokenize(junk, 0).error();
        assertThat(error).doesNotContain("\u0001").contains("?????").contains("...");
        assertThat(error.length()).isLessThan(100);
    }

    @Test
    void neverCutsASurrogatePair() {
        String s = "a".repeat(39) + "😀" + "b";
        String q = AttributeTokenizer.quote(s, 0);
        assertThat(q).isEqualTo("'" + "a".repeat(39) + "...'");
    }
}
