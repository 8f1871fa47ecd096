package dev.livepost.blog;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One post, parsed and rendered. Immutable.
 *
 * @param slug the file name without {@code .md}; the post lives at {@code /posts/SLUG}
 * @param file the Markdown file it was read from
 * @param meta its front matter
 * @param html the rendered body (trusted: posts are written by the blog's author)
 * @param artifacts its working artifacts, in order
 * @param problems everything wrong with it, in line order (logged)
 * @param headerProblems the problems not shown in the body (front matter), shown on top
 */
public record Post(
        String slug,
        Path file,
        FrontMatter meta,
        String html,
        List<Artifact> artifacts,
        List<Problem> problems,
        List<Problem> headerProblems) {

    public Post {
        artifacts = List.copyOf(artifacts);
        problems = List.copyOf(problems);
        headerProblems = List.copyOf(headerProblems);
    }

    public Optional<Artifact> artifact(String id) {
        return artifacts.stream().filter(a -> a.id().equals(id)).findFirst();
    }
}
