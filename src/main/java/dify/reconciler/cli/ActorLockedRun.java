package dify.reconciler.cli;

import dify.reconciler.leader.CommandLock;
import dify.reconciler.run.ScanRunner;
import org.jboss.logging.Logger;

/**
 * How a command that may write runs (apply, restore, recover, purge): armed, it takes the actor lock (see
 * {@link CommandLock}); a refused lock is exit 2 with the reason, any failure exit 2 with its cause (logged with the
 * exception), and the lock is released however the body ends.
 */
final class ActorLockedRun {

    private static final Logger LOG = Logger.getLogger(ActorLockedRun.class);

    /** The body of a writing command; it calls {@link Taker#take()} once it knows it is armed. */
    @FunctionalInterface
    interface Body {
        int run(Taker lock) throws Exception;
    }

    /** Takes the actor lock for one command run and remembers the hold, so {@link #run} releases it. */
    static final class Taker {
        private final CommandLock actorLock;
        private final String command;
        private CommandLock.Hold hold = CommandLock.Hold.NONE;

        private Taker(CommandLock actorLock, String command) {
            this.actorLock = actorLock;
            this.command = command;
        }

        void take() throws CommandLock.Refused {
            hold = actorLock.acquire(command);
        }
    }

    private ActorLockedRun() {
    }

    static int run(String command, CommandLock actorLock, Body body) {
        Taker lock = new Taker(actorLock, command);
        try {
            return body.run(lock);
        } catch (CommandLock.Refused e) {
            System.err.println(command + ": refused: " + e.getMessage());
            return ExitCode.FAILED;
        } catch (Exception e) {
            LOG.error(command + " failed", e);
            System.err.println(command + " failed: " + ScanRunner.describe(e));
            return ExitCode.FAILED;
        } finally {
            lock.hold.close();
        }
    }
}
