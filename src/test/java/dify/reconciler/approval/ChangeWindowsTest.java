package dify.reconciler.approval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The change-window parser and evaluator, on fixed instants (a clock the test sets). */
class ChangeWindowsTest {

    /** 2026-12-07 is a Monday. */
    private static boolean open(String setting, String instant) {
        Clock clock = Clock.fixed(Instant.parse(instant), ZoneOffset.UTC);
        return ChangeWindows.parse(setting).open(clock.instant());
    }

    @Test
    void emptyIsAlwaysOpen() {
        assertTrue(open("", "2026-12-07T12:00:00Z"));
        assertTrue(open("  ", "2026-12-07T12:00:00Z"));
        assertFalse(ChangeWindows.parse(null).configured());
    }

    @Test
    void daysAndTimesInTheWindowsZoneStartInsideEndOutside() {
        String berlin = "Mon-Fri 02:00-04:00 Europe/Berlin"; // CET = UTC+1 in December
        assertFalse(open(berlin, "2026-12-07T00:59:59Z"), "Monday 01:59:59 Berlin");
        assertTrue(open(berlin, "2026-12-07T01:00:00Z"), "Monday 02:00 Berlin: the start is inside");
        assertTrue(open(berlin, "2026-12-07T02:59:59Z"));
        assertFalse(open(berlin, "2026-12-07T03:00:00Z"), "Monday 04:00 Berlin: the end is outside");
        assertTrue(open(berlin, "2026-12-11T01:30:00Z"), "Friday");
        assertFalse(open(berlin, "2026-12-12T01:30:00Z"), "Saturday");
        assertFalse(open(berlin, "2026-12-06T01:30:00Z"), "Sunday");
        // The zone decides the day: Monday 00:30 in Tokyo is Sunday 15:30 UTC.
        assertTrue(open("Mon 00:00-01:00 Asia/Tokyo", "2026-12-06T15:30:00Z"));
        assertFalse(open("Mon 00:00-01:00 Asia/Tokyo", "2026-12-07T15:30:00Z"));
    }

    @Test
    void listsRangesWrappingWeeksAndSeveralWindows() {
        assertTrue(open("Sat,Sun 10:00-11:00 UTC", "2026-12-06T10:30:00Z"), "Sunday");
        assertFalse(open("Sat,Sun 10:00-11:00 UTC", "2026-12-07T10:30:00Z"), "Monday");
        assertTrue(open("Fri-Mon 10:00-11:00 UTC", "2026-12-07T10:30:00Z"), "Fri-Mon wraps past Sunday to Monday");
        assertFalse(open("Fri-Mon 10:00-11:00 UTC", "2026-12-08T10:30:00Z"), "Tuesday");
        assertTrue(open("daily 10:00-11:00 UTC", "2026-12-08T10:30:00Z"));
        String two = "Mon 01:00-02:00 UTC; Tue 05:00-06:00 UTC";
        assertTrue(open(two, "2026-12-07T01:30:00Z"));
        assertTrue(open(two, "2026-12-08T05:30:00Z"));
        assertFalse(open(two, "2026-12-08T01:30:00Z"), "the first window's time on the second window's day");
    }

    @Test
    void aWindowPastMidnightBelongsToTheDayItStarts() {
        String fri = "Fri 22:00-02:00 UTC"; // 2026-12-11 is a Friday
        assertTrue(open(fri, "2026-12-11T22:00:00Z"));
        assertTrue(open(fri, "2026-12-12T01:59:59Z"), "Saturday 01:59: still Friday's window");
        assertFalse(open(fri, "2026-12-12T02:00:00Z"));
        assertFalse(open(fri, "2026-12-11T01:00:00Z"), "Friday 01:00 belongs to Thursday's window, which is not configured");
        assertFalse(open(fri, "2026-12-12T22:30:00Z"), "Saturday evening");
    }

    @Test
    void daylightSavingGapsShortenAndOverlapsLengthenAWallClockWindow() {
        // 2026-03-29 (Sunday): Berlin skips 02:00-03:00 (01:00 UTC is 03:00 CEST). The window 02:00-03:00 never opens.
        String gap = "Sun 02:00-03:00 Europe/Berlin";
        assertFalse(open(gap, "2026-03-29T00:59:59Z"), "01:59:59 CET");
        assertFalse(open(gap, "2026-03-29T01:00:00Z"), "03:00 CEST: the skipped hour never occurred");
        // 02:30-03:30 keeps the half hour that exists: 03:00-03:30 CEST = 01:00-01:30 UTC.
        assertTrue(open("Sun 02:30-03:30 Europe/Berlin", "2026-03-29T01:15:00Z"));
        // 2026-10-25 (Sunday): Berlin repeats 02:00-03:00 (00:00-01:00 UTC in CEST, 01:00-02:00 UTC in CET): open twice.
        String overlap = "Sun 02:00-03:00 Europe/Berlin";
        assertTrue(open(overlap, "2026-10-25T00:30:00Z"), "02:30 CEST");
        assertTrue(open(overlap, "2026-10-25T01:30:00Z"), "02:30 CET, the repeated hour");
        assertFalse(open(overlap, "2026-10-25T02:00:00Z"), "03:00 CET");
    }

    @Test
    void badInputNamesTheSettingAndThePart() {
        for (String bad : new String[] {"Mon-Fri 02:00-04:00", "Mon-Fri 2:00-04:00 UTC", "Mo 02:00-04:00 UTC",
                "Mon-Fri 02:00-25:00 UTC", "Mon-Fri 02:00-02:00 UTC", "Mon-Fri 02:00-04:00 Mars/Olympus", "Mon-Tue-Wed 01:00-02:00 UTC",
                "Mon 01:00-02:00 UTC, Tue 01:00-02:00 UTC"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChangeWindows.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("reconciler.remediation.windows: '"), e.getMessage());
        }
        assertEquals("Mon 01:00-02:00 UTC; Tue 01:00-02:00 UTC",
                ChangeWindows.parse(" Mon 01:00-02:00 UTC ;Tue 01:00-02:00 UTC;").describe());
    }
}
