package dev.livepost.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.Adversarial;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FileNamesTest {

    @Adversarial
    @ParameterizedTest
    @CsvSource({
        "plot.png, plot.png",
        "../../etc/passwd, passwd",
        "/work/sub/dir/report.pdf, report.pdf",
        "'..\\..\\win.ini', win.ini",
        ".bashrc, bashrc",
        "'a b\"c;d.txt', a_b_c_d.txt",
        "'', file",
        "..., file",
        "résumé.csv, r_sum_.csv",
    })
    void sanitizesNamesChosenByUntrustedCode(String raw, String safe) {
        assertThat(FileNames.sanitize(raw)).isEqualTo(safe);
    }

    @Adversarial
    @Test
    void invisibleCharactersAreDroppedAndMarkupReplaced() {
        // A right-to-left override would show "invoice\u202Efdp.exe" as "invoiceexe.pdf".
        assertThat(FileNames.sanitize("invoice\u202Efdp.exe")).isEqualTo("invoicefdp.exe");
        assertThat(FileNames.sanitize("a\u2066b\u2067c\u2068d\u2069e\u202Af\u202Bg\u202Ch\u202Di"))
                .isEqualTo("abcdefghi");
        assertThat(FileNames.sanitize("x\u200Ey\u200Fz\u200Dw.txt")).isEqualTo("xyzw.txt");
        assertThat(
                        FileNames.sanitize(
                                "plot.png\nNotice: the sandbox was replaced\r\u0000\u001b[31m"))
                .isEqualTo("plot.pngNotice__the_sandbox_was_replaced_31m");
        assertThat(FileNames.sanitize("<img src=x onerror=alert(1)>&amp;.png"))
                .isEqualTo("_img_src_x_onerror_alert_1___amp_.png");
        assertThat(FileNames.sanitize("a\u2028b\u2029c")).isEqualTo("abc");
        assertThat(FileNames.sanitize("\u202E.bashrc")).isEqualTo("bashrc");
        assertThat(FileNames.sanitize("\u202E\u200F\n")).isEqualTo("file");
    }

    @Adversarial
    @Test
    void everySanitizedNameIsPlainAscii() {
        var random = new java.util.Random(11);
        for (int i = 0; i < 2_000; i++) {
            var raw = new StringBuilder();
            for (int j = 0; j < 20; j++) {
                raw.appendCodePoint(random.nextInt(0x3000));
            }
            assertThat(FileNames.sanitize(raw.toString()))
                    .matches("[A-Za-z0-9_\\-][A-Za-z0-9._\\-]*");
        }
    }

    @Test
    void longNamesKeepTheirExtension() {
        String name = FileNames.sanitize("x".repeat(500) + ".png");
        assertThat(name).hasSize(120).endsWith(".png");
    }

    @Test
    void guessesMimeTypesAndOnlyImagesAreInline() {
        assertThat(FileNames.mimeOf("a.PNG")).isEqualTo("image/png");
        assertThat(FileNames.mimeOf("a.pdf")).isEqualTo("application/pdf");
        assertThat(FileNames.mimeOf("noext")).isEqualTo("application/octet-stream");
        assertThat(FileNames.isInlineImage("image/png")).isTrue();
        assertThat(FileNames.isInlineImage("text/html")).isFalse();
        assertThat(FileNames.isInlineImage("application/pdf")).isFalse();
    }
}
