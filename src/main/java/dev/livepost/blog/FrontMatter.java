package dev.livepost.blog;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * A post's YAML front matter.
 *
 * @param title the post's title
 * @param date publication date; posts are listed newest first
 * @param description one or two sentences for the index and the feed, may be empty
 * @param tags lower-case tags, each with a page at {@code /tags/TAG}
 * @param draft a draft is not published: no page, no listing, no artifacts
 */
public record FrontMatter(
        String title, LocalDate date, String description, List<String> tags, boolean draft) {
    public FrontMatter {
        tags = List.copyOf(tags);
    }

    private static final DateTimeFormatter DISPLAY =
            DateTimeFormatter.ofPattern("d MMMM yyyy", Locale.ENGLISH);

    /** The date as readers see it, e.g. {@code 24 November 2026}. */
    public String displayDate() {
        return DISPLAY.format(date);
    }
}
