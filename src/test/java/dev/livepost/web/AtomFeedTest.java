package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.blog.FrontMatter;
import dev.livepost.blog.Post;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;

class AtomFeedTest {

    @Test
    void controlCharactersAndMarkupCannotBreakTheXml() throws Exception {
        var meta =
                new FrontMatter(
                        "A <b>bold</b> & \u0001odd\u0000 title 😀 \uD800",
                        LocalDate.of(2026, 11, 24),
                        "]]> <!-- not a comment",
                        List.of("t"),
                        false);
        var post =
                new Post(
                        "p",
                        Path.of("p.md"),
                        meta,
                        "<p>x\u000b</p><![CDATA[",
                        List.of(),
                        List.of(),
                        List.of());
        String xml = AtomFeed.write(List.of(post), "http://h");
        var doc =
                DocumentBuilderFactory.newInstance()
                        .newDocumentBuilder()
                        .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        assertThat(doc.getElementsByTagName("title").item(1).getTextContent())
                .isEqualTo("A <b>bold</b> & odd title 😀 ");
        assertThat(doc.getElementsByTagName("content").item(0).getTextContent())
                .isEqualTo("<p>x</p><![CDATA[");
        assertThat(doc.getElementsByTagName("updated").item(0).getTextContent())
                .isEqualTo("2026-11-24T00:00:00Z");
    }

    @Test
    void anEmptyBlogIsStillAValidFeed() throws Exception {
        String xml = AtomFeed.write(List.of(), "http://h");
        var doc =
                DocumentBuilderFactory.newInstance()
                        .newDocumentBuilder()
                        .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        assertThat(doc.getElementsByTagName("entry").getLength()).isZero();
    }
}
