package dev.livepost.web;

/**
 * A stand-in for an exception about to be logged: the same class name and stack trace, with every
 * session token in its message (and its causes' messages) masked by {@link LogSafe#mask}.
 */
final class MaskedException extends RuntimeException {
    MaskedException(Throwable original) {
        super(
                original.getClass().getName() + ": " + LogSafe.mask(original.getMessage()),
                original.getCause() == null ? null : new MaskedException(original.getCause()),
                false,
                false);
        setStackTrace(original.getStackTrace());
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
