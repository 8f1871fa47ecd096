package dev.livepost.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class StaticSiteTest {

    @Test
    void siteAbsolutePathsMapToTheFilesWritten() {
        assertThat(StaticSite.target("/")).isEqualTo("index.html");
        assertThat(StaticSite.target("/posts/fib")).isEqualTo("posts/fib.html");
        assertThat(StaticSite.target("/posts/fib#run")).isEqualTo("posts/fib.html#run");
        assertThat(StaticSite.target("/tags")).isEqualTo("tags.html");
        assertThat(StaticSite.target("/tags/")).isEqualTo("tags.html");
        assertThat(StaticSite.target("/tags/python")).isEqualTo("tags/python.html");
        assertThat(StaticSite.target("/feed.xml")).isEqualTo("feed.xml");
        assertThat(StaticSite.target("/assets/livepost.js?v=1"))
                .isEqualTo("assets/livepost.js?v=1");
        assertThat(StaticSite.target("/precomputed/0123/1-a.png"))
                .isEqualTo("precomputed/0123/1-a.png");
    }

    @Test
    void linksBecomeRelativeToThePageAndRunnersPointAtTheServer() {
        var site = new StaticSite(null, null, null, "https://live.example");
        String html =
                site.relative(
                        "<!DOCTYPE html><html><head><link rel=\"stylesheet\" href=\"/assets/site.css\">"
                                + "</head><body><a href=\"/\">home</a><a href=\"//cdn.example/x\">cdn</a>"
                                + "<a href=\"https://other.example/\">out</a><a href=\"#top\">top</a>"
                                + "<code-runner artifact=\"p/1\"><pre><code>print(1)\n</code></pre>"
                                + "<img src=\"/precomputed/k/1-a.png\"></code-runner></body></html>",
                        "posts/p.html");
        assertThat(html)
                .contains("href=\"../assets/site.css\"")
                .contains("href=\"../index.html\"")
                .contains("href=\"//cdn.example/x\"")
                .contains("href=\"https://other.example/\"")
                .contains("href=\"#top\"")
                .contains("src=\"../precomputed/k/1-a.png\"")
                .contains("server=\"https://live.example\"")
                .contains("<pre><code>print(1)\n</code></pre>");
    }

    @Test
    void renderOptionsAreCheckedAndTheRestIsLeftForConfig() {
        var o =
                RenderOptions.parse(
                        List.of(
                                "--out",
                                "site",
                                "--server=https://b.example/",
                                "--strict",
                                "--data",
                                "d"));
        assertThat(o.out()).isEqualTo(Path.of("site").toAbsolutePath());
        assertThat(o.server()).isEqualTo("https://b.example");
        assertThat(o.strict()).isTrue();
        assertThat(o.withAnthropic()).isFalse();
        assertThat(o.rest()).containsExactly("--data", "d");
        assertThatThrownBy(() -> RenderOptions.parse(List.of("--strict")))
                .hasMessageContaining("--out DIR");
        assertThatThrownBy(() -> RenderOptions.parse(List.of("--out", "x", "--server", "ftp://x")))
                .hasMessageContaining("--server must be");
        assertThatThrownBy(() -> RenderOptions.parse(List.of("--out", "x", "--port", "1")))
                .hasMessageContaining("--port is a serve option");
    }
}
