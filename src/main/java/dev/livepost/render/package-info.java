/**
 * {@code livepost render}: the whole blog as static files with relative links (index, posts, tags,
 * feed, assets, and the precomputed outputs with their figures and files), servable by any static
 * server or opened from disk.
 */
package dev.livepost.render;
