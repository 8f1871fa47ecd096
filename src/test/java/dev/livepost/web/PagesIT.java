package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.App;
import dev.livepost.blog.Artifact;
import dev.livepost.blog.Post;
import dev.livepost.blog.Problem;
import dev.livepost.testing.TestApp;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.NodeList;

/** Starts the real server on the bundled posts plus a broken one and fetches every page. */
class PagesIT {
    private static final String BROKEN =
            """
            ---
            title: Broken on purpose
            date: 2020-01-01
            tags: [broken]
            ---
            Text before.

            ::code-runner{id=ok}
            ```python
            print("fine")
            ```

            ::code-runner{title="never closed}
            ```python
            print("still shown")
            ```
            """;

    @TempDir static Path posts;
    static TestApp server;
    static App app;
    static String base;

    @BeforeAll
    static void start() throws IOException {
        TestApp.copyBundledPosts(posts);
        Files.writeString(posts.resolve("broken.md"), BROKEN);
        server = TestApp.start(posts, Map.of());
        app = server.app();
        base = server.base();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static HttpResponse<String> get(String path) throws Exception {
        return server.send(server.request(path).timeout(Duration.ofSeconds(10)));
    }

    static Document page(String path, int status) throws Exception {
        var r = get(path);
        assertThat(r.statusCode()).as(path).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).get().asString().startsWith("text/html");
        Document doc = Jsoup.parse(r.body(), base + path);
        // Every page carries the site's stylesheet and the browser component, by hashed names.
        assertThat(doc.select("link[rel=stylesheet][href~=^/assets/site\\.[0-9a-f]{10}\\.css$]"))
                .hasSize(1);
        assertThat(
                        doc.select(
                                "link[rel=stylesheet][href~=^/assets/livepost\\.[0-9a-f]{10}\\.css$]"))
                .hasSize(1);
        assertThat(doc.select("script[type=module][src~=^/assets/livepost\\.[0-9a-f]{10}\\.js$]"))
                .hasSize(1);
        return doc;
    }

    @Test
    void indexListsPublishedPostsNewestFirst() throws Exception {
        Document doc = page("/", 200);
        List<String> titles = doc.select(".post-list h2 a").eachText();
        assertThat(titles)
                .containsExactly(
                        "Bash artifacts, a shell that remembers",
                        "Java artifacts, with JShell on the server",
                        "JavaScript artifacts, with Node.js on the server",
                        "SQL artifacts, a database per reader",
                        "Ask for a program instead of writing one",
                        "A printable telling-time worksheet",
                        "A DataFrame is a table, so show it as one",
                        "Interactive artifacts",
                        "Broken on purpose");
        assertThat(doc.select(".post-list .description").first().text())
                .startsWith("A lang=bash artifact runs in one persistent shell");
        assertThat(doc.select(".post-list a[href=/tags/pandas]")).hasSize(1);
    }

    @Test
    void everyPostRendersItsArtifactsForTheComponent() throws Exception {
        for (Post post : app.blog().posts()) {
            Document doc = page("/posts/" + post.slug(), 200);
            assertThat(doc.select("article h1").text()).isEqualTo(post.meta().title());
            List<Element> runners = doc.select("code-runner");
            assertThat(runners)
                    .extracting(e -> e.attr("artifact"))
                    .containsExactlyElementsOf(
                            post.artifacts().stream()
                                    .filter(a -> !a.hidden()) // setup only, never shown
                                    .map(Artifact::address)
                                    .toList());
            for (Element runner : runners) {
                Artifact a = app.blog().artifact(runner.attr("artifact")).orElseThrow();
                assertThat(runner.attr("lang")).isEqualTo(a.lang());
                assertThat(runner.attr("mode")).isEqualTo(a.prompt() ? "prompt" : "code");
                assertThat(runner.select("> pre > code").first().wholeText()).isEqualTo(a.code());
                assertThat(runner.select("> pre > code").first().className())
                        .isEqualTo("language-" + a.lang());
            }
        }
    }

    @Test
    void theSeedPostHasItsFibonacci() throws Exception {
        String html = get("/posts/interactive-artifacts").body();
        assertThat(html)
                .contains(
                        """
                        <code-runner artifact="interactive-artifacts/fib" lang="python" mode="code" title="Fibonacci"><pre><code class="language-python">a, b = <span class="tok-number">0</span>, <span class="tok-number">1</span>
                        <span class="tok-keyword">for</span> _ <span class="tok-keyword">in</span> range(<span class="tok-number">15</span>):
                            print(a)
                            a, b = b, a + b
                        </code></pre>
                        </code-runner>""");
        Document doc = Jsoup.parse(html);
        assertThat(doc.select("code-runner[setup=words]").attr("artifact"))
                .isEqualTo("interactive-artifacts/longest");
        assertThat(page("/posts/ask-claude", 200).select("code-runner[mode=prompt]"))
                .extracting(e -> e.attr("skills"))
                .containsExactly("", "xlsx");
        assertThat(page("/posts/pandas-tables", 200).select("code-runner[readonly]"))
                .extracting(e -> e.attr("artifact"))
                .containsExactly("pandas-tables/describe");
    }

    @Test
    void aMalformedDirectiveShowsAnErrorBoxAndIsReportedWithFileAndLine() throws Exception {
        Document doc = page("/posts/broken", 200);
        Element box = doc.selectFirst(".post-body div.directive-error[role=alert]");
        assertThat(box).isNotNull();
        assertThat(box.text())
                .isEqualTo("code-runner, line 13: the value of 'title' has no closing \"");
        // The code is not dropped: it is shown as plain code right after the box.
        assertThat(box.nextElementSibling().text()).isEqualTo("print(\"still shown\")");
        assertThat(doc.select("code-runner").eachAttr("artifact")).containsExactly("broken/ok");

        List<Problem> problems = app.blog().problems();
        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly(
                        posts.resolve("broken.md") + ":13: the value of 'title' has no closing \"");
    }

    @Test
    void tagPages() throws Exception {
        Document python = page("/tags/python", 200);
        assertThat(python.select("h1").text()).isEqualTo("Posts tagged “python”");
        assertThat(python.select(".post-list h2 a").eachAttr("href"))
                .containsExactly(
                        "/posts/telling-time-worksheet",
                        "/posts/pandas-tables",
                        "/posts/interactive-artifacts");
        assertThat(page("/tags/PYTHON", 200).select(".post-list h2 a")).hasSize(3);
        for (String tag : app.blog().tags()) {
            List<String> listed =
                    page("/tags/" + tag, 200).select(".post-list h2 a").eachAttr("href");
            assertThat(listed)
                    .isNotEmpty()
                    .containsExactlyElementsOf(
                            app.blog().tagged(tag).stream()
                                    .map(p -> "/posts/" + p.slug())
                                    .toList());
        }
        Document tags = page("/tags", 200);
        assertThat(tags.select(".tag-index a").eachText()).contains("python", "pandas", "broken");
    }

    @Test
    void feedIsAtom() throws Exception {
        var r = get("/feed.xml");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type"))
                .get()
                .asString()
                .startsWith("application/atom+xml");
        var factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        var xml =
                factory.newDocumentBuilder()
                        .parse(new ByteArrayInputStream(r.body().getBytes(StandardCharsets.UTF_8)));
        String atom = "http://www.w3.org/2005/Atom";
        assertThat(xml.getDocumentElement().getLocalName()).isEqualTo("feed");
        assertThat(xml.getDocumentElement().getNamespaceURI()).isEqualTo(atom);
        NodeList entries = xml.getElementsByTagNameNS(atom, "entry");
        assertThat(entries.getLength()).isEqualTo(app.blog().posts().size());
        var first = (org.w3c.dom.Element) entries.item(0);
        assertThat(first.getElementsByTagNameNS(atom, "id").item(0).getTextContent())
                .isEqualTo(base + "/posts/bash-artifacts");
        assertThat(first.getElementsByTagNameNS(atom, "content").item(0).getTextContent())
                .contains("<code-runner artifact=\"bash-artifacts/counter\" lang=\"bash\"");
    }

    @Test
    void notFoundIsAPageForReadersAndJsonForTheApi() throws Exception {
        assertThat(page("/posts/no-such-post", 404).select("main p").first().text())
                .isEqualTo("There is no post called “no-such-post”.");
        assertThat(page("/tags/no-such-tag", 404).select("h1").text()).isEqualTo("Not found");
        assertThat(page("/some/where/else", 404).select("h1").text()).isEqualTo("Not found");

        var api = get("/api/nothing-here");
        assertThat(api.statusCode()).isEqualTo(404);
        assertThat(api.headers().firstValue("Content-Type"))
                .get()
                .asString()
                .startsWith("application/json");
        assertThat(api.body()).contains("\"code\":\"not_found\"");

        var file = get("/api/sessions/no-such-token/files/x");
        assertThat(file.statusCode()).isEqualTo(404);
        assertThat(file.headers().firstValue("Content-Type"))
                .get()
                .asString()
                .startsWith("application/json");
    }

    @Test
    void assetsAndHealth() throws Exception {
        var css = get("/assets/site.css");
        assertThat(css.statusCode()).isEqualTo(200);
        assertThat(css.body()).contains("prefers-color-scheme: dark").contains("70ch");
        var health = get("/healthz");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"ok\"");
    }
}
