package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LineReaderTest {
    /** A pipe that hands out at most {@code chunk} bytes a read, as a pipe under load does. */
    private static InputStream pipe(String text, int chunk) {
        var all = new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
        return new InputStream() {
            @Override
            public int read() {
                return all.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return all.read(b, off, Math.min(len, chunk));
            }
        };
    }

    @Test
    void readsLinesWholeOrSpreadOverReads() throws IOException {
        String big = "x".repeat(20_000) + "é";
        for (int chunk : new int[] {1, 7, 1 << 16}) {
            var in = new LineReader(pipe("a\n\nüber\n" + big + "\nlast", chunk), 1 << 20);
            assertThat(in.next(false)).isEqualTo("a");
            assertThat(in.next(false)).isEmpty();
            assertThat(in.next(false)).isEqualTo("über");
            assertThat(in.next(false)).isEqualTo(big);
            assertThat(in.next(false)).isEqualTo("last");
            assertThat(in.next(false)).isNull();
        }
    }

    @Test
    void aLongerLineIsCutWhenAskedElseRefused() throws IOException {
        String text = "y".repeat(10_000) + "\nnext\n";
        var cut = new LineReader(pipe(text, 4096), 300);
        assertThat(cut.next(true)).isEqualTo("y".repeat(300));
        assertThat(cut.next(true)).isEqualTo("next");

        var strict = new LineReader(pipe(text, 4096), 300);
        assertThatThrownBy(() -> strict.next(false)).hasMessageContaining("longer than 300");
        assertThat(new LineReader(pipe("z".repeat(300) + "\n", 64), 300).next(false)).hasSize(300);
    }
}
