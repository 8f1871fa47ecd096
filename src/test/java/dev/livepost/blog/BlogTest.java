package dev.livepost.blog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlogTest {
    @TempDir Path posts;
    @TempDir Path data;

    private Blog blog(Duration checkInterval) {
        var config =
                Config.parse(
                        List.of("--posts", posts.toString(), "--data", data.toString()),
                        Map.of(),
                        posts);
        return new Blog(config, checkInterval);
    }

    private Blog blog() {
        return blog(Duration.ofHours(1));
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(posts.resolve(name), text);
    }

    @Test
    void postsAreNewestFirstWithDraftsHidden() throws IOException {
        write("old.md", "---\ntitle: Old\ndate: 2026-01-01\n---\nOld text.\n");
        write(
                "new.md",
                "---\ntitle: New\ndate: 2026-03-01\ntags: [a, B, Machine  Learning]\n---\nNew text.\n");
        write("draft.md", "---\ntitle: Draft\ndate: 2026-12-01\ndraft: true\n---\nSecret.\n");
        write("notes.txt", "not a post");
        var blog = blog();
        assertThat(blog.posts()).extracting(Post::slug).containsExactly("new", "old");
        assertThat(blog.post("draft")).isEmpty();
        assertThat(blog.post("new").orElseThrow().meta())
                .isEqualTo(
                        new FrontMatter(
                                "New",
                                LocalDate.of(2026, 3, 1),
                                "",
                                List.of("a", "b", "machine-learning"),
                                false));
        assertThat(blog.post("new").orElseThrow().html()).isEqualTo("<p>New text.</p>\n");
        assertThat(blog.tagged("b")).extracting(Post::slug).containsExactly("new");
        assertThat(blog.tags()).containsExactly("a", "b", "machine-learning");
        assertThat(blog.problems()).isEmpty();
    }

    @Test
    void artifactsAreFoundByAddress() throws IOException {
        write(
                "p.md",
                """
                ---
                title: P
                date: 2026-01-01
                ---
                ::code-runner{id=fib timeout=999 setup=2}
                ```python
                print(1)
                ```

                ::code-runner
                ```
                x = 2
                ```
                """);
        write(
                "d.md",
                "---\ntitle: D\ndate: 2026-01-01\ndraft: true\n---\n::code-runner\n```\n1\n```\n");
        var blog = blog();
        Artifact fib = blog.artifact("p/fib").orElseThrow();
        assertThat(fib)
                .isEqualTo(
                        new Artifact(
                                "p",
                                "fib",
                                null,
                                "python",
                                false,
                                false,
                                List.of(),
                                999, // as written: Sessions caps it when a session starts
                                "2",
                                "print(1)\n",
                                false,
                                true,
                                5));
        assertThat(blog.artifact("p/2").orElseThrow().code()).isEqualTo("x = 2\n");
        assertThat(blog.artifact("p/3")).isEmpty();
        assertThat(blog.artifact("d/1")).isEmpty();
        assertThat(blog.artifact("nonsense")).isEmpty();
    }

    @Test
    void malformedDirectivesAreProblemsWithFileAndLine() throws IOException {
        Path file =
                write(
                        "broken.md",
                        """
                        ---
                        title: Broken
                        date: 2026-01-01
                        ---
                        Fine text.

                        ::code-runner{id=ok}
                        ```
                        1
                        ```

                        ::code-runner{colour=red}
                        ```
                        2
                        ```
                        """);
        var blog = blog();
        assertThat(blog.problems())
                .extracting(Problem::toString)
                .containsExactly(
                        file
                                + ":12: unknown attribute 'colour' (known: id, title, lang,"
                                + " mode, readonly, skills, timeout, setup, hidden,"
                                + " precompute)");
        Post post = blog.post("broken").orElseThrow();
        assertThat(post.html()).contains("<div class=\"directive-error\" role=\"alert\">");
        assertThat(post.artifacts()).extracting(Artifact::id).containsExactly("ok");
    }

    @Test
    void badFrontMatterIsReportedNeverFatal() throws IOException {
        Path noFront = write("nofront.md", "# Just markdown\n");
        Path yaml = write("yaml.md", "---\ntitle: Fine\ndate: [unclosed\n---\nBody\n");
        Path unclosed = write("unclosed.md", "---\ntitle: x\n");
        Path fields = write("fields.md", "---\ndescription: d\ndate: yesterday\n---\nBody\n");
        write("bad name!.md", "---\ntitle: x\ndate: 2026-01-01\n---\n");
        Files.write(posts.resolve("latin1.md"), new byte[] {'-', '-', '-', '\n', (byte) 0xE9});
        var blog = blog();
        assertThat(blog.posts()).extracting(Post::slug).containsExactly("fields");
        Post shown = blog.post("fields").orElseThrow();
        assertThat(shown.meta().title()).isEqualTo("fields");
        assertThat(shown.headerProblems())
                .extracting(Problem::line, Problem::message)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1, "front matter has no title"),
                        org.assertj.core.groups.Tuple.tuple(
                                3, "date must look like 2026-11-24, not 'yesterday'"));
        assertThat(blog.problems())
                .extracting(Problem::toString)
                .contains(
                        noFront
                                + ":1: no front matter: a post starts with a '---' line, then"
                                + " title: and date:, then '---': file skipped",
                        unclosed
                                + ":1: the front matter is never closed with a '---' line: file"
                                + " skipped",
                        fields + ":3: date must look like 2026-11-24, not 'yesterday'")
                .anySatisfy(
                        p ->
                                assertThat(p)
                                        .startsWith(yaml + ":4: front matter is not valid YAML")
                                        .endsWith("file skipped"))
                .anySatisfy(p -> assertThat(p).contains("bad name!.md:0: the file name"))
                .anySatisfy(p -> assertThat(p).contains("latin1.md:0: not valid UTF-8"));
    }

    @Test
    void frontMatterEdgeCases() throws IOException {
        write("empty.md", "---\n---\nBody.\n");
        write(
                "dots.md",
                "---   \ntitle: Dots\ndate: 2026-01-02T10:00:00Z\ntags: one, Two\n...\nBody.\n");
        Path list = write("list.md", "---\n- a\n- b\n---\n");
        var blog = blog();
        assertThat(blog.post("empty").orElseThrow().headerProblems())
                .extracting(Problem::message)
                .containsExactly(
                        "front matter has no title",
                        "front matter has no date (e.g. date: 2026-11-24)");
        assertThat(blog.post("dots").orElseThrow().meta())
                .isEqualTo(
                        new FrontMatter(
                                "Dots",
                                LocalDate.of(2026, 1, 2),
                                "",
                                List.of("one", "two"),
                                false));
        assertThat(blog.post("list")).isEmpty();
        assertThat(blog.problems())
                .extracting(Problem::toString)
                .contains(list + ":2: the front matter must be 'key: value' lines: file skipped");
    }

    @Test
    void hostileFilesAreReadFastAndReported() throws IOException {
        var laughs = new StringBuilder("---\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 20; i++) {
            laughs.append("a").append(i).append(": &a").append(i).append(" [");
            laughs.append(("*a" + (i - 1) + ", ").repeat(9)).append("*a").append(i - 1);
            laughs.append("]\n");
        }
        Path bomb = write("bomb.md", laughs.append("---\n").toString());
        write(
                "long.md",
                "---\ntitle: Long\ndate: 2026-01-01\n---\n"
                        + "x".repeat(200_000)
                        + "\n\n::code-runner{title=\""
                        + "y".repeat(100_000)
                        + "\n```\n1\n```\n");
        var blog =
                org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                        Duration.ofSeconds(5), () -> blog());
        assertThat(blog.post("bomb")).isEmpty();
        assertThat(blog.problems())
                .extracting(Problem::toString)
                .anySatisfy(p -> assertThat(p).startsWith(bomb + ":").contains("not valid YAML"))
                .anySatisfy(p -> assertThat(p).contains("long.md:7: the value of 'title'"));
        assertThat(blog.post("long").orElseThrow().html()).contains("directive-error");
    }

    @Test
    void byteOrderMarkAndCrlfKeepLineNumbers() throws IOException {
        Path file = posts.resolve("win.md");
        Files.write(
                file,
                ("\uFEFF---\r\ntitle: Windows\r\ndate: 2026-02-02\r\n---\r\n\r\n"
                                + "::code-runner{id=}\r\n```\r\nx\r\n```\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        var blog = blog();
        assertThat(blog.post("win").orElseThrow().meta().title()).isEqualTo("Windows");
        assertThat(blog.problems())
                .extracting(Problem::toString)
                .containsExactly(file + ":6: attribute 'id' has '=' but no value");
    }

    @Test
    void changedFilesAreReread() throws Exception {
        Path file = write("a.md", "---\ntitle: First\ndate: 2026-01-01\n---\n");
        var blog = blog(Duration.ZERO);
        assertThat(blog.post("a").orElseThrow().meta().title()).isEqualTo("First");

        Files.writeString(file, "---\ntitle: Second\ndate: 2026-01-01\n---\n");
        // Same size, so the stamp must differ by time: make sure it does.
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        assertThat(blog.post("a").orElseThrow().meta().title()).isEqualTo("Second");

        write("b.md", "---\ntitle: B\ndate: 2026-05-01\n---\n::code-runner\n");
        assertThat(blog.posts()).extracting(Post::slug).containsExactly("b", "a");
        assertThat(blog.problems()).hasSize(1);

        Files.delete(file);
        assertThat(blog.posts()).extracting(Post::slug).containsExactly("b");
    }

    @Test
    void withoutReloadTheFirstReadStays() throws IOException {
        write("a.md", "---\ntitle: First\ndate: 2026-01-01\n---\n");
        var config =
                Config.parse(
                        List.of("--posts", posts.toString()),
                        Map.of("LIVEPOST_RELOAD", "false"),
                        posts);
        var blog = new Blog(config, Duration.ZERO);
        write("b.md", "---\ntitle: B\ndate: 2026-01-01\n---\n");
        assertThat(blog.posts()).extracting(Post::slug).containsExactly("a");
    }

    @Test
    void aMissingFolderIsAnEmptyBlog() {
        var config =
                Config.parse(List.of("--posts", posts.resolve("nope").toString()), Map.of(), posts);
        assertThat(new Blog(config).posts()).isEmpty();
    }
}
