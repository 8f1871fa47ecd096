package dev.livepost.blog;

import java.util.List;

/**
 * A runnable artifact of a post: a {@code ::code-runner} directive and its code block.
 *
 * @param slug the post's slug
 * @param id stable id within the post (the directive's {@code id}, else its 1-based position)
 * @param title optional title, null if none
 * @param lang language, e.g. {@code python}
 * @param prompt {@code mode=prompt}: the code is a request to Claude
 * @param readonly the reader cannot edit the code
 * @param skills document skills for the {@code anthropic} executor
 * @param timeoutSeconds the artifact's own time limit, null for the server's
 * @param setup id of another artifact of the same post whose code runs first, or null
 * @param code the code (or prompt) as written in the post
 * @param hidden not shown: it runs only as the setup of the artifacts that name it
 * @param precompute whether the server runs it ahead of readers and shows that output
 * @param line the directive's line in the post's file, 0 if unknown
 */
public record Artifact(
        String slug,
        String id,
        String title,
        String lang,
        boolean prompt,
        boolean readonly,
        List<String> skills,
        Integer timeoutSeconds,
        String setup,
        String code,
        boolean hidden,
        boolean precompute,
        int line) {

    public Artifact {
        skills = List.copyOf(skills);
    }

    /** {@code SLUG/ID}, the artifact's address in the API and the component. */
    public String address() {
        return slug + "/" + id;
    }
}
