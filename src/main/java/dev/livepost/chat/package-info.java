/**
 * The {@code /chat} page's conversations with Claude: each is one reader session of the {@code
 * anthropic} executor ({@link dev.livepost.exec.SessionSpec#chat}), so it has one code execution
 * container for all its messages and for the reader's re-runs of Claude's code, and it is forgotten
 * with its session (idle expiry, delete, restart). This package keeps what the web layer needs
 * beside the session: the limits of a conversation, Claude's answers as text and artifacts (to
 * re-run an artifact where Claude ran it, and to copy an answer as a post snippet), and the
 * Markdown of answers rendered safe.
 */
package dev.livepost.chat;
