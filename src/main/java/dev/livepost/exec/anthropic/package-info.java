/**
 * The {@code anthropic} executor: code runs in Anthropic's code execution containers, reached
 * through the Messages API with the official SDK, one container per reader session.
 *
 * <p>Code mode: the reader's code must run as written, and its variables must survive from one run
 * to the next although every bash call of the tool is a new process. So the first run of a
 * container brings a small Python kernel ({@link dev.livepost.exec.KernelScripts#anthropic()}),
 * uploaded once per server with the Files API ({@link dev.livepost.exec.anthropic.Uploads}) and
 * copied from {@code $INPUT_DIR}, and starts it in the background on a unix socket; every run then
 * asks Claude to run one short command that hands the code, verbatim in a quoted here-document (or
 * by upload when long), to that kernel ({@link dev.livepost.exec.anthropic.KernelCommand}). Claude
 * types every character of the command, billed as output tokens, so commands are kept short. The
 * command Claude runs is compared with the one asked for; the kernel's stdout, stderr and a status
 * line (status, exit status, whether the interpreter's state was lost, the displayed values) come
 * back in the tool result, and new files are copied to the run's {@code $OUTPUT_DIR} so they come
 * back as Files API ids.
 *
 * <p>Every API response's token usage is priced, counted in {@code /metrics} and against the daily
 * budget, and summed into the run's {@code done} event ({@link
 * dev.livepost.exec.anthropic.Billing}).
 *
 * <p>Prompt mode: the reader's request goes to Claude, who writes and runs code; text, each command
 * or file it runs, and their output stream to the reader as the API delivers them.
 *
 * <p>Everything speaks to the outside world only through {@link
 * com.anthropic.client.AnthropicClient}, whose base URL the tests point at a fake server on
 * loopback that speaks the same wire protocol and really runs the commands.
 */
package dev.livepost.exec.anthropic;
