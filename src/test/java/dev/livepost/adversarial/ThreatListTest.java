package dev.livepost.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.Adversarial;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The README's threat table and the adversarial suite name the same cases: every test tagged {@link
 * Adversarial} (on its class or itself) is named in the table as {@code Class#method}, and every
 * name there is such a test. So a reader sees the whole threat list in one place, and it cannot
 * drift from what is tried.
 */
class ThreatListTest {
    private static final Path TESTS = Path.of("src/test/java");
    private static final Pattern CASE = Pattern.compile("`([A-Z]\\w*)#(\\w+)`");

    @Test
    void theReadmeTableNamesEveryAdversarialCaseAndNothingElse() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("### Threats tried");
        assertThat(start).as("the README's threat section").isNotNegative();
        int end = readme.indexOf("\n## ", start);
        String table = readme.substring(start, end < 0 ? readme.length() : end);

        Set<String> named = new TreeSet<>();
        Matcher m = CASE.matcher(table);
        while (m.find()) {
            named.add(m.group(1) + "#" + m.group(2));
        }
        Set<String> cases = adversarialCases();

        assertThat(cases).as("adversarial cases (the suite is found)").hasSizeGreaterThan(50);
        var missing = new TreeSet<>(cases);
        missing.removeAll(named);
        var unknown = new TreeSet<>(named);
        unknown.removeAll(cases);
        assertThat(missing).as("@Adversarial cases the README's table does not name").isEmpty();
        assertThat(unknown)
                .as("names in the README's table that are no @Adversarial case")
                .isEmpty();
    }

    /** {@code Class#method} of every test tagged adversarial, from the test sources' classes. */
    private static Set<String> adversarialCases() throws IOException, ClassNotFoundException {
        var bySimpleName = new TreeMap<String, String>();
        Set<String> cases = new TreeSet<>();
        ClassLoader loader = ThreatListTest.class.getClassLoader();
        try (Stream<Path> sources = Files.walk(TESTS)) {
            for (Path source : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
                String name =
                        TESTS.relativize(source).toString().replace(".java", "").replace('/', '.');
                if (name.endsWith("package-info")) {
                    continue;
                }
                Class<?> type = Class.forName(name, false, loader);
                boolean wholeClass = type.isAnnotationPresent(Adversarial.class);
                for (Method method : type.getDeclaredMethods()) {
                    boolean test =
                            method.isAnnotationPresent(Test.class)
                                    || method.isAnnotationPresent(ParameterizedTest.class);
                    if (test && (wholeClass || method.isAnnotationPresent(Adversarial.class))) {
                        String previous = bySimpleName.put(type.getSimpleName(), name);
                        assertThat(previous)
                                .as("two test classes named " + type.getSimpleName())
                                .isIn(null, name);
                        cases.add(type.getSimpleName() + "#" + method.getName());
                    }
                }
            }
        }
        return cases;
    }
}
