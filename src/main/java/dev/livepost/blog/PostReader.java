package dev.livepost.blog;

import dev.livepost.markdown.CodeRunnerBlock;
import dev.livepost.markdown.CodeRunnerExtension;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.commonmark.Extension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.ext.heading.anchor.HeadingAnchorExtension;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.CustomBlock;
import org.commonmark.node.Node;
import org.commonmark.parser.IncludeSourceSpans;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Reads one post file: splits off the YAML front matter, parses and renders the Markdown, and
 * collects the artifacts and the problems. Input never throws: a post that cannot be shown at all
 * comes back without a {@link Read#post()} but with the problem saying why. Thread-safe.
 */
final class PostReader {
    static final Pattern SLUG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /** Posts are prose; anything this big is a mistake (and would be slow to serve). */
    private static final long MAX_BYTES = 4L << 20;

    /**
     * @param post the post, or null when the file cannot be shown
     * @param problems everything wrong with the file (the reason when {@code post} is null)
     */
    record Read(Post post, List<Problem> problems) {}

    PostReader() {}

    Read read(Path file) {
        String name = file.getFileName().toString();
        String slug = name.substring(0, name.length() - ".md".length());
        if (!SLUG.matcher(slug).matches()) {
            return skipped(
                    file,
                    0,
                    "the file name is not a usable slug (letters, digits, '.', '-', '_'): file"
                            + " skipped");
        }
        String text;
        try {
            if (Files.size(file) > MAX_BYTES) {
                return skipped(file, 0, "larger than " + (MAX_BYTES >> 20) + " MB: file skipped");
            }
            text = decode(Files.readAllBytes(file));
        } catch (CharacterCodingException e) {
            return skipped(file, 0, "not valid UTF-8: file skipped");
        } catch (IOException e) {
            return skipped(file, 0, "cannot read it (" + e + "): file skipped");
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        var split = FrontMatterSplit.of(text);
        if (split.error() != null) {
            return skipped(file, split.errorLine(), split.error() + ": file skipped");
        }
        Map<?, ?> yaml;
        try {
            Object loaded =
                    new Load(
                                    LoadSettings.builder()
                                            .setLabel(name)
                                            .setMaxAliasesForCollections(10)
                                            .setCodePointLimit(1 << 20)
                                            .build())
                            .loadFromString(split.yaml());
            if (loaded == null) {
                loaded = Map.of(); // empty front matter: reported field by field below
            }
            if (!(loaded instanceof Map<?, ?> m)) {
                return skipped(
                        file, 2, "the front matter must be 'key: value' lines: file skipped");
            }
            yaml = m;
        } catch (MarkedYamlEngineException e) {
            int line = e.getProblemMark().map(mark -> mark.getLine() + 2).orElse(1);
            return skipped(
                    file,
                    line,
                    "front matter is not valid YAML: " + e.getProblem() + ": file skipped");
        } catch (YamlEngineException e) {
            return skipped(
                    file,
                    1,
                    "front matter is not valid YAML: " + e.getMessage() + ": file skipped");
        }
        var headerProblems = new ArrayList<Problem>();
        FrontMatter meta = frontMatter(file, slug, yaml, split.yaml(), headerProblems);
        return render(file, slug, meta, split.body(), headerProblems);
    }

    private Read render(
            Path file, String slug, FrontMatter meta, String body, List<Problem> headerProblems) {
        List<Extension> extensions =
                List.of(
                        TablesExtension.create(),
                        HeadingAnchorExtension.create(),
                        CodeRunnerExtension.builder().slug(slug).build());
        Node document =
                Parser.builder()
                        .extensions(extensions)
                        .includeSourceSpans(IncludeSourceSpans.BLOCKS)
                        .build()
                        .parse(body);
        var artifacts = new ArrayList<Artifact>();
        var problems = new ArrayList<>(headerProblems);
        document.accept(
                new AbstractVisitor() {
                    @Override
                    public void visit(CustomBlock block) {
                        if (block instanceof CodeRunnerBlock b) {
                            if (b.getError() != null) {
                                problems.add(new Problem(file, b.getLine(), b.getError()));
                            } else {
                                artifacts.add(artifact(slug, b));
                            }
                        }
                        visitChildren(block);
                    }
                });
        problems.sort(Comparator.comparingInt(Problem::line));
        String html = HtmlRenderer.builder().extensions(extensions).build().render(document);
        return new Read(
                new Post(slug, file, meta, html, artifacts, problems, headerProblems), problems);
    }

    private static Artifact artifact(String slug, CodeRunnerBlock b) {
        return new Artifact(
                slug,
                b.getId(),
                b.getTitle(),
                b.getLang(),
                b.isPrompt(),
                b.isReadonly(),
                b.getSkills(),
                b.getTimeoutSeconds(),
                b.getSetup(),
                b.getCode(),
                b.isHidden(),
                b.isPrecompute(),
                b.getLine());
    }

    private static FrontMatter frontMatter(
            Path file, String slug, Map<?, ?> yaml, String source, List<Problem> problems) {
        String title = string(yaml.get("title"));
        if (title == null || title.isBlank()) {
            problems.add(new Problem(file, line(source, "title"), "front matter has no title"));
            title = slug;
        }
        LocalDate date = date(yaml.get("date"));
        if (date == null) {
            problems.add(
                    new Problem(
                            file,
                            line(source, "date"),
                            yaml.containsKey("date")
                                    ? "date must look like 2026-11-24, not '"
                                            + yaml.get("date")
                                            + "'"
                                    : "front matter has no date (e.g. date: 2026-11-24)"));
            date = modified(file);
        }
        String description = string(yaml.get("description"));
        var tags = new ArrayList<String>();
        Object rawTags = yaml.get("tags");
        Iterable<?> items =
                rawTags instanceof List<?> l
                        ? l
                        : rawTags == null ? List.of() : List.of(rawTags.toString().split(","));
        for (Object t : items) {
            // "Machine Learning" becomes machine-learning: tags are URL path segments.
            String tag =
                    t == null
                            ? ""
                            : t.toString().trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", "-");
            if (SLUG.matcher(tag).matches()) {
                if (!tags.contains(tag)) {
                    tags.add(tag);
                }
            } else {
                problems.add(
                        new Problem(
                                file,
                                line(source, "tags"),
                                "tag '" + t + "' must be letters, digits, '.', '-' or '_'"));
            }
        }
        Object draft = yaml.get("draft");
        return new FrontMatter(
                title.strip(),
                date,
                description == null ? "" : description.strip(),
                tags,
                Boolean.TRUE.equals(draft) || "true".equals(draft));
    }

    private static String string(Object o) {
        return o == null ? null : o.toString();
    }

    private static LocalDate date(Object o) {
        if (o == null) {
            return null;
        }
        String s = o.toString().trim();
        try {
            if (s.length() <= 10) {
                return LocalDate.parse(s);
            }
            try {
                return OffsetDateTime.parse(s).toLocalDate();
            } catch (DateTimeParseException e) {
                return LocalDateTime.parse(s).toLocalDate();
            }
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static LocalDate modified(Path file) {
        try {
            Instant t = Files.getLastModifiedTime(file).toInstant();
            return LocalDate.ofInstant(t, ZoneOffset.UTC);
        } catch (IOException e) {
            return LocalDate.EPOCH;
        }
    }

    /** The file line of {@code key:} in the front matter (which starts on line 2), else 1. */
    private static int line(String yaml, String key) {
        String[] lines = yaml.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith(key + ":")) {
                return i + 2;
            }
        }
        return 1;
    }

    private static String decode(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8
                .newDecoder()
                .decode(java.nio.ByteBuffer.wrap(bytes))
                .toString();
    }

    private static Read skipped(Path file, int line, String message) {
        return new Read(null, List.of(new Problem(file, line, message)));
    }
}
