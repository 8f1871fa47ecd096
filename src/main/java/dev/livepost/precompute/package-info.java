/**
 * Precomputed outputs: each code artifact run once, ahead of readers, in a fresh session (its
 * {@code setup=} chain first), with its events and files kept under the data folder, keyed by a
 * hash of everything that decides the output (the code, the setup chain, the language, the time
 * limit and the runtime). Post pages, the feed and the static copy of the blog show them under the
 * code; nothing here knows of URLs.
 */
package dev.livepost.precompute;
