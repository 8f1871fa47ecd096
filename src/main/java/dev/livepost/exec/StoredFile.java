package dev.livepost.exec;

import java.nio.file.Path;

/** A file a run produced, kept on the server's disk for the files endpoint. */
public record StoredFile(String id, String name, String mime, long size, Path path) {}
