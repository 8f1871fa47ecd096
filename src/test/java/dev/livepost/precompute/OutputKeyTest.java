package dev.livepost.precompute;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.blog.Artifact;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputKeyTest {
    private static final String RUNTIME = "local python 3.11.2";

    private static Artifact artifact(
            String slug, String id, String lang, Integer timeout, String code) {
        return new Artifact(
                slug, id, null, lang, false, false, List.of(), timeout, null, code, false, true, 1);
    }

    private static final Artifact SETUP = artifact("p", "s", "python", null, "x = 1\n");
    private static final Artifact CODE = artifact("p", "a", "python", null, "print(x)\n");

    @Test
    void theSameInputsGiveTheSameKey() {
        String key = OutputKey.of(CODE, List.of(SETUP), RUNTIME);
        assertThat(key).matches("[0-9a-f]{32}");
        assertThat(OutputKey.of(CODE, List.of(SETUP), RUNTIME)).isEqualTo(key);
        // Where the artifact lives does not decide its output.
        assertThat(
                        OutputKey.of(
                                artifact("other", "b", "python", null, "print(x)\n"),
                                List.of(artifact("other", "t", "python", null, "x = 1\n")),
                                RUNTIME))
                .isEqualTo(key);
    }

    @Test
    void everythingThatDecidesTheOutputChangesTheKey() {
        String key = OutputKey.of(CODE, List.of(SETUP), RUNTIME);
        assertThat(
                        OutputKey.of(
                                artifact("p", "a", "python", null, "print(x) \n"),
                                List.of(SETUP),
                                RUNTIME))
                .isNotEqualTo(key);
        assertThat(
                        OutputKey.of(
                                CODE,
                                List.of(artifact("p", "s", "python", null, "x = 2\n")),
                                RUNTIME))
                .isNotEqualTo(key);
        assertThat(OutputKey.of(CODE, List.of(), RUNTIME)).isNotEqualTo(key);
        assertThat(OutputKey.of(CODE, List.of(SETUP), "local python 3.12.0")).isNotEqualTo(key);
        assertThat(
                        OutputKey.of(
                                artifact("p", "a", "r", null, "print(x)\n"),
                                List.of(SETUP),
                                RUNTIME))
                .isNotEqualTo(key);
        assertThat(
                        OutputKey.of(
                                artifact("p", "a", "python", 5, "print(x)\n"),
                                List.of(SETUP),
                                RUNTIME))
                .isNotEqualTo(key);
    }

    @Test
    void partsCannotBleedIntoEachOther() {
        // Without length prefixes, these two would hash the same bytes.
        Artifact ab = artifact("p", "a", "python", null, "b");
        Artifact b = artifact("p", "a", "python", null, "ab");
        assertThat(OutputKey.of(ab, List.of(artifact("p", "s", "python", null, "a")), RUNTIME))
                .isNotEqualTo(
                        OutputKey.of(b, List.of(artifact("p", "s", "python", null, "")), RUNTIME));
    }
}
