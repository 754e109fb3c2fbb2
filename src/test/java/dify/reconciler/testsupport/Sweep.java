package dify.reconciler.testsupport;

import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;

/**
 * The split between the default suite ({@code ./mvnw verify}) and the sweep ({@code -Pfull-sweep}, which {@code .ci/run}
 * runs after it). The default suite proves every guarantee at least once; the sweep repeats it where a repetition is
 * another backend of an adapter family already proven, or another step boundary already proven on another backend or in
 * process. A test method with repetitions carries {@code @Tag(Sweep.TAG)} and takes its cases through {@link #part}: the
 * default run gets the cases its predicate keeps, the sweep run (only {@code @Tag(Sweep.TAG)} methods, with
 * {@code -Dfull.sweep=true}) exactly the others, so no case runs twice and none is left out.
 */
public final class Sweep {

    /** The JUnit tag of test methods whose cases are split between the default suite and the sweep. */
    public static final String TAG = "sweep";

    /** The system property the {@code full-sweep} profile sets: this JVM runs the sweep's half. */
    public static final String PROPERTY = "full.sweep";

    private Sweep() {
    }

    /** Whether this JVM runs the sweep's half (the {@code full-sweep} profile). */
    public static boolean active() {
        return Boolean.getBoolean(PROPERTY);
    }

    /** Of {@code all}, in order: those {@code inDefault} keeps in the default run, exactly the others in the sweep. */
    public static <T> List<T> part(Collection<T> all, Predicate<? super T> inDefault) {
        boolean sweep = active();
        return all.stream().filter(c -> inDefault.test(c) != sweep).toList();
    }
}
