package dev.livepost.exec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FileNamesTest {

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
