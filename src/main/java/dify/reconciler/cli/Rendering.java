package dify.reconciler.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dify.reconciler.cache.CacheInvalidation;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import java.io.IOException;
import java.util.List;

/**
 * What the commands print the same way: indented JSON documents, a document on stdout that must arrive, one line
 * per action result, and the daemon's cache note under an applied or restored action. Standard output and error are
 * the commands' interface (what a Job's log shows), which is why they print instead of logging.
 */
final class Rendering {

    private Rendering() {
    }

    /** A report, plan or list as indented JSON, ending with a newline. */
    static String json(ObjectMapper mapper, Object document) throws JsonProcessingException {
        return mapper.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(document) + "\n";
    }

    /** Prints a document on stdout; PrintStream swallows write errors (a closed pipe, a full disk), so check them. */
    static void toStdout(String rendered, String what) throws IOException {
        System.out.print(rendered);
        System.out.flush();
        if (System.out.checkError()) {
            throw new IOException("standard output refused the " + what);
        }
    }

    /** {@code WHAT table/row (action ID, kind): detail}, the line every action result is shown as. */
    static String line(ActionResult r, String what) {
        return what + " " + (r.table() == null ? "" : r.table() + "/") + r.rowId() + " (action " + r.actionId()
                + (r.kind() == null ? "" : ", " + r.kind())
                + ")" + (r.detail() == null ? "" : ": " + r.detail());
    }

    /** The daemon's cache for an applied or restored action, on its own indented line; empty for other outcomes. */
    static String cacheLine(CacheInvalidation cache, ActionResult r) {
        if (r.outcome() != ActionOutcome.APPLIED && r.outcome() != ActionOutcome.RESTORED) {
            return "";
        }
        return cache.note(r.actionId()).map(n -> System.lineSeparator() + "    cache: " + n).orElse("");
    }

    static long count(List<ActionResult> results, ActionOutcome outcome) {
        return results.stream().filter(r -> r.outcome() == outcome).count();
    }
}
