package dev.livepost.web;

import dev.livepost.blog.Post;
import java.io.StringWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.function.Function;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * The Atom feed (RFC 4287) of the published posts, written with StAX so it is always valid XML.
 * Each entry's content is the post's body with its precomputed outputs, so a feed reader shows what
 * the code printed and drew.
 */
public final class AtomFeed {
    private static final String ATOM = "http://www.w3.org/2005/Atom";

    /**
     * The feed's addresses.
     *
     * @param feedId the feed's {@code id}
     * @param home the blog's index
     * @param self the feed itself
     * @param postUrl a post's address by slug
     * @param postId a post's entry {@code id} by slug
     */
    public record Links(
            String feedId,
            String home,
            String self,
            Function<String, String> postUrl,
            Function<String, String> postId) {}

    private AtomFeed() {}

    /** Absolute links under {@code base}, e.g. {@code https://blog.example}. */
    public static Links serverLinks(String base) {
        return new Links(
                base + "/",
                base + "/",
                base + "/feed.xml",
                slug -> base + "/posts/" + slug,
                slug -> base + "/posts/" + slug);
    }

    /**
     * Links relative to the feed, for a static copy whose address is not known: feed readers
     * resolve them against the feed's own URL; ids are URNs, which do not move with the copy.
     */
    public static Links staticLinks() {
        return new Links(
                "urn:livepost:feed",
                "index.html",
                "feed.xml",
                slug -> "posts/" + slug + ".html",
                slug -> "urn:livepost:post:" + slug);
    }

    /** As {@link #write(List, Function, Links)} with the posts' bodies as rendered. */
    static String write(List<Post> posts, String base) {
        return write(posts, Post::html, serverLinks(base));
    }

    /**
     * @param posts newest first
     * @param body a post's body as the feed carries it (with its precomputed outputs)
     */
    public static String write(List<Post> posts, Function<Post, String> body, Links links) {
        var out = new StringWriter();
        try {
            XMLStreamWriter xml = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
            xml.writeStartDocument("utf-8", "1.0");
            xml.writeStartElement("feed");
            xml.writeDefaultNamespace(ATOM);
            element(xml, "title", "Livepost");
            element(xml, "id", links.feedId());
            link(xml, links.home(), "alternate");
            link(xml, links.self(), "self");
            element(
                    xml,
                    "updated",
                    posts.isEmpty() ? "1970-01-01T00:00:00Z" : timestamp(posts.get(0)));
            xml.writeStartElement("author");
            element(xml, "name", "Livepost");
            xml.writeEndElement();
            for (Post p : posts) {
                String url = links.postUrl().apply(p.slug());
                xml.writeStartElement("entry");
                element(xml, "title", p.meta().title());
                element(xml, "id", links.postId().apply(p.slug()));
                link(xml, url, "alternate");
                element(xml, "updated", timestamp(p));
                element(xml, "published", timestamp(p));
                for (String tag : p.meta().tags()) {
                    xml.writeEmptyElement("category");
                    xml.writeAttribute("term", xmlText(tag));
                }
                if (!p.meta().description().isEmpty()) {
                    element(xml, "summary", p.meta().description());
                }
                xml.writeStartElement("content");
                xml.writeAttribute("type", "html");
                xml.writeCharacters(xmlText(body.apply(p)));
                xml.writeEndElement();
                xml.writeEndElement();
            }
            xml.writeEndElement();
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write the feed", e);
        }
        return out.toString();
    }

    /** Drops the few characters XML 1.0 cannot hold at all (most control characters). */
    static String xmlText(String s) {
        var sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok =
                    c == '\t'
                            || c == '\n'
                            || c == '\r'
                            || (c >= 0x20 && c <= 0xD7FF)
                            || (c >= 0xE000 && c <= 0xFFFD)
                            || (Character.isHighSurrogate(c)
                                    && i + 1 < s.length()
                                    && Character.isLowSurrogate(s.charAt(i + 1)));
            if (ok) {
                sb.append(c);
                if (Character.isHighSurrogate(c)) {
                    sb.append(s.charAt(++i));
                }
            }
        }
        return sb.toString();
    }

    private static String timestamp(Post p) {
        return DateTimeFormatter.ISO_INSTANT.format(
                p.meta().date().atStartOfDay().toInstant(ZoneOffset.UTC));
    }

    private static void element(XMLStreamWriter xml, String name, String text)
            throws XMLStreamException {
        xml.writeStartElement(name);
        xml.writeCharacters(xmlText(text));
        xml.writeEndElement();
    }

    private static void link(XMLStreamWriter xml, String href, String rel)
            throws XMLStreamException {
        xml.writeEmptyElement("link");
        xml.writeAttribute("rel", rel);
        xml.writeAttribute("href", href);
    }
}
