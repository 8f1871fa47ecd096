package dev.livepost.exec;

import java.util.List;

/**
 * What an executor needs to know about the artifact a session belongs to.
 *
 * @param artifact the artifact's address, {@code SLUG/ID}
 * @param language the artifact's language, e.g. {@code python}
 * @param prompt whether runs carry a request to Claude rather than code
 * @param skills document skills for the {@code anthropic} executor, e.g. {@code pdf}
 */
public record SessionSpec(String artifact, String language, boolean prompt, List<String> skills) {
    public SessionSpec {
        skills = List.copyOf(skills);
    }
}
