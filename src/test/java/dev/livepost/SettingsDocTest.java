package dev.livepost;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The settings the code reads, the catalogue ({@link Setting}) and the README's Configuration table
 * stay in step: a setting added to one and not the others fails here.
 */
class SettingsDocTest {
    private static final Pattern NAME = Pattern.compile("\\b(LIVEPOST_[A-Z0-9_]*[A-Z0-9])\\b");

    /** Names in the code that look like settings and are not: why each is not. */
    private static final Map<String, String> NOT_SETTINGS =
            Map.of(
                    "LIVEPOST_KERNEL",
                    "the here-document delimiter of the anthropic kernel's inline command",
                    "LIVEPOST_HOME",
                    "read by the kernel inside Anthropic's container, never by the server",
                    "LIVEPOST_WORK",
                    "read by the kernel inside Anthropic's container, never by the server");

    @Test
    void theReadmeTableListsExactlyTheCataloguesSettings() throws IOException {
        assertThat(readmeTable()).isEqualTo(catalogue());
    }

    @Test
    void configReadsExactlyTheCataloguesVariables() {
        var asked = new TreeSet<String>();
        // A map that remembers every name it is asked for: what Config.parse really reads.
        Map<String, String> env =
                new AbstractMap<>() {
                    @Override
                    public String get(Object key) {
                        asked.add((String) key);
                        return null;
                    }

                    @Override
                    public Set<Entry<String, String>> entrySet() {
                        return Set.of();
                    }
                };
        Config.parse(List.of(), env, Path.of("/opt/livepost"));
        assertThat(asked).isEqualTo(catalogue());
    }

    @Test
    void everyLivepostNameInTheCodeAndTheLauncherIsASetting() throws IOException {
        var names = new HashMap<String, String>();
        try (Stream<Path> files = Files.walk(Path.of("src/main"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                names(Files.readString(f)).forEach(n -> names.putIfAbsent(n, f.toString()));
            }
        }
        names(Files.readString(Path.of("livepost"))).forEach(n -> names.putIfAbsent(n, "livepost"));
        assertThat(names).containsKeys(NOT_SETTINGS.keySet().toArray(String[]::new));
        NOT_SETTINGS.keySet().forEach(names::remove);
        assertThat(catalogue())
                .as("names and where they are: %s", names)
                .containsAll(names.keySet());
    }

    @Test
    void everyLivepostNameTheReadmeMentionsIsASetting() throws IOException {
        var names = names(Files.readString(Path.of("README.md")));
        // The example of the message a misspelt variable gets.
        assertThat(names.remove("LIVEPOST_RUNTIMEOUT")).isTrue();
        assertThat(catalogue()).containsAll(names);
    }

    private static Set<String> catalogue() {
        return Stream.of(Setting.values())
                .map(Setting::variable)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The variables named in the env column of the README's Configuration table. */
    private static Set<String> readmeTable() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("\n## Configuration\n");
        assertThat(start).isNotNegative();
        int end = readme.indexOf("\n#", start + 1);
        var inTable = new TreeSet<String>();
        for (String line : readme.substring(start, end).lines().toList()) {
            if (line.startsWith("|") && !line.startsWith("|---")) {
                String[] cells = line.split("(?<!\\\\)\\|");
                String env = cells[2].strip();
                if (env.startsWith("`")) {
                    inTable.add(env.replace("`", ""));
                }
            }
        }
        return inTable;
    }

    private static Set<String> names(String text) {
        var out = new TreeSet<String>();
        Matcher m = NAME.matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
