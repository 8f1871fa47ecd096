package dev.livepost.exec;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Unguessable identifiers: session tokens, run ids, file ids, folder names. Thread-safe. */
final class RandomIds {
    private final SecureRandom random = new SecureRandom();

    /** A session token: 24 random bytes, URL-safe Base64. */
    String token() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(24));
    }

    /** {@code n} random bytes as lower-case hex. */
    String hex(int n) {
        return HexFormat.of().formatHex(bytes(n));
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
