package dev.livepost.blog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.Config;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled sample posts are part of the product: they must load without a single problem, and
 * their code must really run on the system Python (numpy, pandas, matplotlib), setup first.
 */
class SamplePostsIT {
    static Blog blog;

    @BeforeAll
    static void load(@TempDir Path data) {
        blog =
                new Blog(
                        Config.parse(
                                List.of("--posts", "posts", "--data", data.toString()),
                                Map.of(),
                                Path.of(".")));
    }

    @Test
    void loadWithoutProblems() {
        assertThat(blog.problems()).isEmpty();
        assertThat(blog.posts())
                .extracting(Post::slug)
                .containsExactly(
                        "bash-artifacts",
                        "java-artifacts",
                        "javascript-artifacts",
                        "sql-artifacts",
                        "ask-claude",
                        "telling-time-worksheet",
                        "pandas-tables",
                        "interactive-artifacts");
        assertThat(blog.posts()).allSatisfy(p -> assertThat(p.meta().description()).isNotBlank());
    }

    @Test
    void fibonacciPrintsTheFirstFifteen(@TempDir Path dir) throws Exception {
        var run = run(blog.artifact("interactive-artifacts/fib").orElseThrow(), dir);
        assertThat(run.stdout())
                .isEqualTo("0\n1\n1\n2\n3\n5\n8\n13\n21\n34\n55\n89\n144\n233\n377\n");
    }

    @Test
    void theWorksheetIsATwoPagePdf(@TempDir Path dir) throws Exception {
        run(blog.artifact("telling-time-worksheet/worksheet").orElseThrow(), dir);
        byte[] pdf = Files.readAllBytes(dir.resolve("telling-time.pdf"));
        String text = new String(pdf, StandardCharsets.ISO_8859_1);
        assertThat(text).startsWith("%PDF-");
        assertThat(Pattern.compile("/Type /Page\\b(?!s)").matcher(text).results().count())
                .isEqualTo(2);
    }

    @Test
    void everyCodeArtifactRuns(@TempDir Path root) throws Exception {
        var ran = new ArrayList<String>();
        for (Post post : blog.posts()) {
            for (Artifact a : post.artifacts()) {
                if (a.prompt() || !a.lang().equals("python")) {
                    // Prompts are for Claude; the other languages run in LanguagesBrowserIT.
                    continue;
                }
                Path dir = Files.createDirectories(root.resolve(post.slug() + "-" + a.id()));
                run(a, dir);
                ran.add(a.address());
            }
        }
        assertThat(ran)
                .hasSize(13)
                .contains("pandas-tables/weekend", "interactive-artifacts/warmest");
    }

    @Test
    void theEditAndRunAgainStepWorksOnTheFirstRunsState(@TempDir Path dir) throws Exception {
        // The post asks the reader to replace the code of `words` with a snippet that uses what
        // the first run left behind (a variable and a file): run both in one interpreter.
        String md = Files.readString(Path.of("posts/interactive-artifacts.md"));
        int at = md.indexOf("```python\n", md.indexOf("Now replace all of its code"));
        String snippet = md.substring(at + 10, md.indexOf("```", at + 10));
        Artifact words = blog.artifact("interactive-artifacts/words").orElseThrow();
        var both =
                new Artifact(
                        words.slug(),
                        words.id(),
                        null,
                        "python",
                        false,
                        false,
                        List.of(),
                        null,
                        null,
                        words.code() + snippet,
                        false,
                        true,
                        words.line());
        assertThat(run(both, dir).stdout())
                .isEqualTo(
                        "11 words saved to words.txt\n"
                                + "[('the', 3), ('quick', 1), ('brown', 1)] 11\n");
    }

    record Ran(String stdout, String stderr) {}

    /** Runs the artifact as the session would: its setup's code first, then its own. */
    static Ran run(Artifact a, Path dir) throws Exception {
        String code = a.code();
        if (a.setup() != null) {
            code = blog.artifact(a.slug() + "/" + a.setup()).orElseThrow().code() + "\n" + code;
        }
        Files.writeString(dir.resolve("main.py"), code);
        var pb = new ProcessBuilder("/usr/bin/python3", "main.py").directory(dir.toFile());
        pb.environment().put("MPLBACKEND", "Agg");
        pb.environment().put("MPLCONFIGDIR", dir.resolve(".mpl").toString());
        pb.redirectOutput(dir.resolve("out.txt").toFile());
        pb.redirectError(dir.resolve("err.txt").toFile());
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(a.address() + " finished").isTrue();
        String out = Files.readString(dir.resolve("out.txt"));
        String err = Files.readString(dir.resolve("err.txt"));
        assertThat(p.exitValue()).as(a.address() + " exit code; stderr: " + err).isZero();
        return new Ran(out, err);
    }
}
