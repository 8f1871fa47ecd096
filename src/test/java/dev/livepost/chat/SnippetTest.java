package dev.livepost.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.Config;
import dev.livepost.blog.Artifact;
import dev.livepost.blog.Blog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An answer copied as a post snippet, pasted into a post and read by the blog's own Markdown
 * pipeline: its artifacts are runners whose setup chain brings back what the conversation did
 * before, and the post has no problem.
 */
class SnippetTest {
    @TempDir Path posts;
    @TempDir Path data;

    private static final ChatArtifact SAVE =
            new ChatArtifact(
                    "a1",
                    "python",
                    "import json\njson.dump([1, 4, 9], open('squares.json', 'w'))\n",
                    "/tmp/work/step1.py",
                    "cd /tmp/work && python3 step1.py");
    private static final ChatArtifact LIST = new ChatArtifact("a2", "bash", "ls -l", null, "ls -l");
    private static final ChatArtifact CSV =
            new ChatArtifact("a3", "csv", "a,b\n1,2\n", "/tmp/work/t.csv", null);
    private static final ChatArtifact SUM =
            new ChatArtifact(
                    "a4",
                    "python",
                    "import json\n# ``` a fence inside\nprint(sum(json.load(open('squares.json'))))\n",
                    "/tmp/work/step2.py",
                    "cd /tmp/work && python3 step2.py");

    private static final List<Answer> ANSWERS =
            List.of(
                    new Answer(
                            "Save the squares",
                            List.of(
                                    new Answer.Part.Text("I'll save them."),
                                    new Answer.Part.Code(SAVE),
                                    new Answer.Part.Code(LIST),
                                    new Answer.Part.Code(CSV))),
                    new Answer(
                            "Sum them",
                            List.of(
                                    new Answer.Part.Text("**The sum**, computed:"),
                                    new Answer.Part.Code(SUM),
                                    new Answer.Part.Text("It is 14."))));

    private Blog blog() {
        var config =
                Config.parse(
                        List.of("--posts", posts.toString(), "--data", data.toString()),
                        Map.of(),
                        posts);
        return new Blog(config, Duration.ofHours(1));
    }

    @Test
    void aPastedSnippetIsAPostWhoseArtifactsReplayTheConversation() throws Exception {
        String snippet = Snippet.of(ANSWERS, 1, "c1f2");
        Files.writeString(
                posts.resolve("pasted.md"),
                "---\ntitle: Pasted\ndate: 2026-12-01\n---\n\n" + snippet);

        try (Blog blog = blog()) {
            var post = blog.post("pasted").orElseThrow();
            assertThat(post.problems()).isEmpty();
            assertThat(blog.problems()).isEmpty();
            var artifacts = post.artifacts();
            assertThat(artifacts)
                    .extracting(Artifact::id)
                    .containsExactly("c1f2-a1", "c1f2-a2", "c1f2-a4");
            // The earlier answer's runnable code, hidden, chained; the CSV Claude wrote is not
            // code.
            assertThat(artifacts.get(0).hidden()).isTrue();
            assertThat(artifacts.get(0).code()).isEqualTo(SAVE.code());
            assertThat(artifacts.get(1).hidden()).isTrue();
            assertThat(artifacts.get(1).lang()).isEqualTo("python");
            assertThat(artifacts.get(1).setup()).isEqualTo("c1f2-a1");
            assertThat(artifacts.get(1).code()).contains("ls -l").contains("subprocess");
            var sum = artifacts.get(2);
            assertThat(sum.hidden()).isFalse();
            assertThat(sum.lang()).isEqualTo("python");
            assertThat(sum.code()).isEqualTo(SUM.code());
            assertThat(sum.setup()).isEqualTo("c1f2-a2");
            assertThat(blog.setupChain(sum))
                    .extracting(Artifact::id)
                    .containsExactly("c1f2-a1", "c1f2-a2");
            assertThat(post.html())
                    .contains("<strong>The sum</strong>")
                    .contains("<code-runner")
                    .contains("It is 14.");
        }
    }

    @Test
    void theFirstAnswerNeedsNoSetupAndKeepsOtherLanguagesAsPlainCode() throws Exception {
        String snippet = Snippet.of(ANSWERS, 0, "c9");
        Files.writeString(
                posts.resolve("first.md"),
                "---\ntitle: First\ndate: 2026-12-01\n---\n\n" + snippet);

        try (Blog blog = blog()) {
            var post = blog.post("first").orElseThrow();
            assertThat(post.problems()).isEmpty();
            assertThat(post.artifacts())
                    .extracting(Artifact::id, Artifact::lang, Artifact::setup, Artifact::hidden)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("c9-a1", "python", null, false),
                            // A setup is in its artifact's language: bash starts its own chain.
                            org.assertj.core.groups.Tuple.tuple("c9-a2", "bash", null, false));
            assertThat(snippet).contains("```csv\na,b\n1,2\n```");
        }
    }
}
