package dev.livepost.blog;

import dev.livepost.Config;
import java.util.Optional;

/** The posts of the blog. Placeholder until the blog issue lands: knows no artifacts. */
public final class Blog implements AutoCloseable {

    public Blog(Config config) {}

    /** The artifact at {@code SLUG/ID}, if a published post has it. */
    public Optional<Artifact> artifact(String address) {
        return Optional.empty();
    }

    @Override
    public void close() {}
}
