package dify.reconciler.remediate.acting;

/**
 * What the {@link AccessGate} decided for one command run or one service tick: show only ({@link DryRun}), do nothing
 * ({@link Refused}, with the reason), or act ({@link Acting}, the token the writers require). Sealed, so a caller
 * handles the three and nothing else.
 */
public sealed interface Access permits Access.Proceed, Access.Refused {

    /** The two outcomes that go on: showing what would be done, or doing it. */
    sealed interface Proceed extends Access permits DryRun, Acting {
    }

    /** Not armed ({@code reconciler.remediation.dry-run} is not the literal {@code false}): compute and show, change nothing. */
    record DryRun() implements Proceed {
    }

    /** Why this process must not do the work now; {@code message} is what the user reads. */
    record Refused(Reason reason, String message) implements Access {
    }

    /** Why the gate refused, for callers that answer differently (the API's status code). */
    enum Reason {
        /** Quarantine and audit cannot be written (state in memory). */
        STATE,
        /** The remediation breaker is tripped (apply only). */
        BREAKER,
        /** Another remediation runs in this process now (one permit: apply, restore, recover and purge never overlap). */
        BUSY,
        /** Another reconciler holds the actor lock, or it cannot be taken. */
        LOCK,
        /** This instance does not lead (service), or its command holds no lock. */
        NOT_LEADER,
        /** Remediation is suspended at run time (apply and purge; restore and recover stay allowed). */
        SUSPENDED
    }
}
