package dev.livepost.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.Adversarial;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HtmlSanitizerTest {

    @Test
    void keepsADataFramesTable() {
        String html =
                """
                <div><style scoped>.dataframe { color: red }</style>
                <table border="1" class="dataframe"><thead><tr><th></th><th>city</th></tr></thead>
                <tbody><tr><th>0</th><td>Oslo</td></tr></tbody></table></div>""";
        String clean = HtmlSanitizer.clean(html);
        assertThat(clean).contains("<table", "<th>city</th>", "<td>Oslo</td>");
        assertThat(clean).doesNotContain("<style", "color: red", "class=");
    }

    @Adversarial
    @Test
    void outputCannotDressUpAsThePage() {
        String clean =
                HtmlSanitizer.clean(
                        """
                <div class="lp-message lp-notice" id="notice" style="position:fixed;top:0">
                <strong class="lp-message-label">Notice: </strong>your session expired</div>""");
        assertThat(clean).doesNotContain("class", "id=", "style", "lp-", "position");
        assertThat(clean).contains("<strong>Notice: </strong>your session expired");
    }

    @Test
    void keepsTableStructure() {
        String clean =
                HtmlSanitizer.clean(
                        """
                <table><thead><tr><th colspan="2" scope="col" class="x">a</th></tr></thead>
                <tbody><tr><th scope="row">r</th><td rowspan="2" colspan="1">1</td></tr></tbody>
                </table>""");
        assertThat(clean)
                .contains(
                        "<th colspan=\"2\" scope=\"col\">a</th>",
                        "<th scope=\"row\">r</th>",
                        "<td rowspan=\"2\" colspan=\"1\">1</td>",
                        "<thead>",
                        "<tbody>");
    }

    @Adversarial
    @Test
    void aLargeTableDoesNotGrowWhenCleaned() {
        String row = "<tr><td>1</td><td>2</td></tr>";
        String html = "<table><tbody>" + row.repeat(20_000) + "</tbody></table>";
        assertThat(HtmlSanitizer.clean(html).length()).isLessThanOrEqualTo(html.length());
    }

    @Adversarial
    @Test
    void dropsScriptsHandlersAndLinks() {
        String clean =
                HtmlSanitizer.clean(
                        """
                <table onmouseover="alert(1)"><tr><td>x<script>alert(2)</script></td></tr></table>
                <img src=x onerror=alert(3)><a href="javascript:alert(4)">y</a><iframe src="//evil"></iframe>""");
        assertThat(clean)
                .doesNotContain(
                        "alert", "script", "onerror", "onmouseover", "iframe", "href", "<img");
        assertThat(clean).contains("<td>x</td>", "y");
    }

    @Adversarial
    @Test
    void aBundleKeepsTextTypesAndDropsOthers() {
        var out =
                HtmlSanitizer.cleanBundle(
                        Map.of(
                                "text/plain", "<b>1</b>",
                                "text/html", "<b onclick=x>1</b>",
                                "application/javascript", "alert(1)"));
        assertThat(out)
                .containsEntry("text/plain", "<b>1</b>")
                .containsEntry("text/html", "<b>1</b>");
        assertThat(out).doesNotContainKey("application/javascript");
    }
}
