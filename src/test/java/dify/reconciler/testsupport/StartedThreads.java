package dify.reconciler.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * The names of every thread a packaged run started, as the JVM itself recorded them: a Flight Recorder recording
 * of {@code jdk.ThreadStart} events only, written when the process exits. Pass {@link #jvmOptions()} to the run,
 * read {@link #names()} after it ended. Independent of anything the application logs, and of timing: a thread
 * that started is there even if it never got to do (or print) anything before the process ended.
 */
public final class StartedThreads {

    /** A recording settings file with nothing but thread starts (the default settings record much more). */
    private static final String SETTINGS = """
            <?xml version="1.0" encoding="UTF-8"?>
            <configuration version="2.0" label="thread starts">
              <event name="jdk.ThreadStart"><setting name="enabled">true</setting></event>
            </configuration>
            """;

    private final Path recording;
    private final Path settings;

    private StartedThreads(Path recording, Path settings) {
        this.recording = recording;
        this.settings = settings;
    }

    /** A recording of one run, kept in {@code dir} as {@code name}.jfr. */
    public static StartedThreads recordedIn(Path dir, String name) throws IOException {
        Path settings = dir.resolve("thread-starts.jfc");
        if (!Files.exists(settings)) {
            Files.writeString(settings, SETTINGS);
        }
        return new StartedThreads(dir.resolve(name + ".jfr"), settings);
    }

    /** The JVM options that record the run ({@code jfr+startup=error}: no "Started recording" line on stdout). */
    public List<String> jvmOptions() {
        return List.of("-Xlog:jfr+startup=error",
                "-XX:StartFlightRecording:filename=" + recording + ",dumponexit=true,settings=" + settings);
    }

    /** The names of the threads the run started; fails when the process left no recording. */
    public Set<String> names() throws IOException {
        if (!Files.isRegularFile(recording)) {
            throw new IllegalStateException("no recording at " + recording + ": did the run get jvmOptions(), and did it exit?");
        }
        Set<String> names = new TreeSet<>();
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                RecordedEvent event = file.readEvent();
                if (event.getEventType().getName().equals("jdk.ThreadStart")) {
                    RecordedThread thread = event.getThread("thread");
                    if (thread != null && thread.getJavaName() != null) {
                        names.add(thread.getJavaName());
                    }
                }
            }
        }
        return names;
    }
}
