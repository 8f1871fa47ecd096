package dev.livepost.exec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The server's own decision of a generated file's {@code Content-Type}: by its name, from {@link
 * FileNames}' allow-list, and only where the content agrees (an image must start like one), never
 * from what the sandbox claims. Stateless.
 */
final class FileTypes {
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final byte[] JPEG = {(byte) 0xff, (byte) 0xd8, (byte) 0xff};
    private static final byte[] GIF = "GIF8".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RIFF = "RIFF".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WEBP = "WEBP".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PDF = "%PDF-".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ZIP = {'P', 'K', 3, 4};

    private FileTypes() {}

    /** The type to serve {@code content} under {@code safeName} with. */
    static String of(String safeName, byte[] content) {
        String byName = FileNames.mimeOf(safeName);
        boolean agrees =
                switch (byName) {
                    case "image/png" -> startsWith(content, 0, PNG);
                    case "image/jpeg" -> startsWith(content, 0, JPEG);
                    case "image/gif" -> startsWith(content, 0, GIF);
                    case "image/webp" ->
                            startsWith(content, 0, RIFF) && startsWith(content, 8, WEBP);
                    case "application/pdf" -> startsWith(content, 0, PDF);
                    case "application/zip" -> startsWith(content, 0, ZIP);
                    default ->
                            !byName.startsWith("application/vnd.openxmlformats")
                                    || startsWith(content, 0, ZIP);
                };
        return agrees ? byName : "application/octet-stream";
    }

    private static boolean startsWith(byte[] content, int at, byte[] magic) {
        return content.length >= at + magic.length
                && Arrays.equals(content, at, at + magic.length, magic, 0, magic.length);
    }
}
