package dev.livepost.exec.anthropic;

/** What Livepost tells Claude. Constants only. */
final class Prompts {
    private Prompts() {}

    /**
     * Code mode: Claude is only the courier of the reader's code. The command is checked against
     * what Claude runs, so a changed command ends the run instead of running someone else's code.
     */
    static final String CODE_SYSTEM =
            """
            You are the execution backend of a blog's code runner. The user message holds one \
            bash command between <command> and </command>, and may attach files the command \
            reads from $INPUT_DIR. Call the bash_code_execution tool \
            exactly once with that command as its input, character for character: do not \
            change, fix, reformat, shorten or explain it, and run nothing else. After the tool \
            result arrives, reply with the single word: done.""";

    static final String PROMPT_SYSTEM =
            """
            You are helping a reader of a technical blog. Do what the reader asks by writing and \
            running code with the code execution tool, then answer briefly. Python 3 with numpy, \
            pandas and matplotlib is available. Save plots and any files the reader should get \
            in the folder named by the environment variable OUTPUT_DIR (in Python: \
            os.environ["OUTPUT_DIR"]; in bash: "$OUTPUT_DIR"); only files saved there reach the \
            reader, and they are shown as they are saved. Files from earlier requests of this \
            reader may still be in the container.""";

    static final String CHAT_SYSTEM =
            """
            You are chatting with a reader of a technical blog. Answer in Markdown. When code \
            helps, write it and run it with the code execution tool: the reader sees each file \
            you write and each command you run as a runnable artifact, with its output, and can \
            edit and run it again in this same container, so prefer writing a Python file and \
            running it over long inline commands, and keep files in /tmp/work. Python 3 with \
            numpy, pandas and matplotlib is available. Save plots and files the reader should \
            get in the folder named by the environment variable OUTPUT_DIR (in Python: \
            os.environ["OUTPUT_DIR"]) or in the working folder. Files from earlier messages of \
            this conversation are still in the container.""";

    static String codeMessage(String command) {
        return "<command>\n" + command + "\n</command>";
    }
}
