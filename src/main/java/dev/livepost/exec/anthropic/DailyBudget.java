package dev.livepost.exec.anthropic;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * The owner's cap on tokens per UTC day ({@code LIVEPOST_ANTHROPIC_DAILY_BUDGET}): input (cached or
 * not) and output tokens of every API call are counted; once the day's count reaches the cap, no
 * new call is made until the next UTC day. A call already under way finishes, so a day can end
 * slightly over. Kept in memory: a restart starts the day's count again. Thread-safe.
 */
final class DailyBudget {
    private final long limit;
    private final Clock clock;
    private LocalDate day; // guarded by this
    private long used; // guarded by this

    /**
     * @param limit tokens per UTC day; 0 for no cap
     */
    DailyBudget(long limit, Clock clock) {
        this.limit = limit;
        this.clock = clock;
    }

    long limit() {
        return limit;
    }

    /** Whether today's tokens are used up. */
    synchronized boolean exhausted() {
        roll();
        return limit > 0 && used >= limit;
    }

    synchronized void spend(long tokens) {
        roll();
        used += tokens;
    }

    /** Tokens counted today. */
    synchronized long usedToday() {
        roll();
        return used;
    }

    private void roll() {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        if (!today.equals(day)) {
            day = today;
            used = 0;
        }
    }
}
