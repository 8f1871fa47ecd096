package dev.livepost.precompute;

import dev.livepost.blog.Artifact;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The store's key of an artifact's output: SHA-256 over everything that decides it (the runtime,
 * the language, the mode, the time limit, the setup chain's code in order and the code), each part
 * length-prefixed so no two different inputs hash alike. The post's slug and the artifact's id are
 * left out on purpose: moving or renaming an artifact keeps its output. Stateless.
 */
public final class OutputKey {
    /** Bumped when the stored format or what a run means changes. */
    private static final String VERSION = "livepost-precompute-1";

    private OutputKey() {}

    /**
     * @param chain the artifact's setup chain in the order it runs
     * @param runtime what runs the code, e.g. {@code local python 3.11.2 numpy 1.24.2 ...}
     */
    public static String of(Artifact a, List<Artifact> chain, String runtime) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        part(sha, VERSION);
        part(sha, runtime);
        part(sha, a.lang());
        part(sha, a.prompt() ? "prompt" : "code");
        part(sha, a.timeoutSeconds() == null ? "" : a.timeoutSeconds().toString());
        part(sha, String.valueOf(chain.size()));
        for (Artifact setup : chain) {
            part(sha, setup.lang());
            part(sha, setup.code());
        }
        part(sha, a.code());
        // 32 hex digits (128 bits) is plenty for a cache key and keeps file paths short.
        return HexFormat.of().formatHex(sha.digest()).substring(0, 32);
    }

    private static void part(MessageDigest sha, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        sha.update((b.length + ":").getBytes(StandardCharsets.US_ASCII));
        sha.update(b);
    }
}
