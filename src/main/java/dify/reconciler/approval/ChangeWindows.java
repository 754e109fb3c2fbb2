package dify.reconciler.approval;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code reconciler.remediation.windows}: when the service may act. Windows are separated by {@code ;}, each
 * {@code DAYS HH:MM-HH:MM ZONE}: DAYS is {@code daily} or a comma list of days and day ranges ({@code Mon-Fri},
 * {@code Sat,Sun}, {@code Fri-Mon} wraps past Sunday), the times are a start (inside) and an end (outside), ZONE an
 * IANA zone ({@code Europe/Berlin}, {@code UTC}). Empty: always open.
 *
 * <p>Wall-clock rule: an instant is inside when its local day and time in the window's zone are. An end before the
 * start wraps past midnight ({@code 22:00-02:00}): the part after midnight belongs to the day the window started on
 * ({@code Fri 22:00-02:00} is open until Saturday 02:00). Daylight saving: a window in a gap is shorter that day (the
 * skipped hour never occurs, so it is never inside); a window in an overlap is longer (the repeated hour is inside
 * both times). Pure: the caller passes the instant.
 */
public final class ChangeWindows {

    static final String SETTING = "reconciler.remediation.windows";

    private static final Pattern WINDOW = Pattern.compile("(\\S+)\\s+(\\d{2}:\\d{2})-(\\d{2}:\\d{2})\\s+(\\S+)");
    private static final Map<String, DayOfWeek> DAYS = Map.of("mon", DayOfWeek.MONDAY, "tue", DayOfWeek.TUESDAY, "wed",
            DayOfWeek.WEDNESDAY, "thu", DayOfWeek.THURSDAY, "fri", DayOfWeek.FRIDAY, "sat", DayOfWeek.SATURDAY, "sun",
            DayOfWeek.SUNDAY);

    /** One window: on {@code days}, from {@code start} (inside) to {@code end} (outside), wall-clock in {@code zone}. */
    public record Window(Set<DayOfWeek> days, LocalTime start, LocalTime end, ZoneId zone, String text) {

        boolean contains(Instant at) {
            ZonedDateTime local = at.atZone(zone);
            LocalTime t = local.toLocalTime();
            DayOfWeek day = local.getDayOfWeek();
            if (start.isBefore(end)) {
                return days.contains(day) && !t.isBefore(start) && t.isBefore(end);
            }
            // Wraps past midnight: the evening of a listed day, or the early hours after one.
            return (days.contains(day) && !t.isBefore(start)) || (days.contains(day.minus(1)) && t.isBefore(end));
        }
    }

    private final List<Window> windows;

    private ChangeWindows(List<Window> windows) {
        this.windows = List.copyOf(windows);
    }

    /** Always open (the setting is empty). */
    public static ChangeWindows always() {
        return new ChangeWindows(List.of());
    }

    /** Parses the setting; IllegalArgumentException naming it and the part that is wrong. */
    public static ChangeWindows parse(String setting) {
        if (setting == null || setting.isBlank()) {
            return always();
        }
        List<Window> out = new ArrayList<>();
        for (String part : setting.split(";")) {
            String text = part.trim();
            if (text.isEmpty()) {
                continue;
            }
            out.add(window(text));
        }
        return new ChangeWindows(out);
    }

    private static Window window(String text) {
        Matcher m = WINDOW.matcher(text);
        if (!m.matches()) {
            throw wrong(text, "expected DAYS HH:MM-HH:MM ZONE, e.g. 'Mon-Fri 02:00-04:00 Europe/Berlin'");
        }
        Set<DayOfWeek> days = days(m.group(1), text);
        LocalTime start = time(m.group(2), text);
        LocalTime end = time(m.group(3), text);
        if (start.equals(end)) {
            throw wrong(text, "the start and the end are the same time (for a whole day, write 00:00-23:59)");
        }
        ZoneId zone;
        try {
            zone = ZoneId.of(m.group(4));
        } catch (DateTimeException e) {
            throw wrong(text, "'" + m.group(4) + "' is not a time zone (an IANA name such as Europe/Berlin, or UTC)");
        }
        return new Window(days, start, end, zone, text);
    }

    private static Set<DayOfWeek> days(String spec, String text) {
        if (spec.equalsIgnoreCase("daily")) {
            return EnumSet.allOf(DayOfWeek.class);
        }
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (String item : spec.split(",", -1)) {
            String[] range = item.split("-", -1);
            if (range.length > 2) {
                throw wrong(text, "'" + item + "' is not a day or a day range");
            }
            DayOfWeek from = day(range[0], text);
            DayOfWeek to = range.length == 2 ? day(range[1], text) : from;
            for (DayOfWeek d = from;; d = d.plus(1)) {
                days.add(d);
                if (d == to) {
                    break;
                }
            }
        }
        return days;
    }

    private static DayOfWeek day(String name, String text) {
        DayOfWeek d = DAYS.get(name.toLowerCase(Locale.ROOT));
        if (d == null) {
            throw wrong(text, "'" + name + "' is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun or daily)");
        }
        return d;
    }

    private static LocalTime time(String hhmm, String text) {
        try {
            return LocalTime.parse(hhmm);
        } catch (DateTimeParseException e) {
            throw wrong(text, "'" + hhmm + "' is not a time of day (00:00 to 23:59)");
        }
    }

    private static IllegalArgumentException wrong(String window, String why) {
        return new IllegalArgumentException(SETTING + ": '" + window + "': " + why);
    }

    /** Whether the service may act at {@code at}: always when no window is configured. */
    public boolean open(Instant at) {
        return windows.isEmpty() || windows.stream().anyMatch(w -> w.contains(at));
    }

    /** The first configured window open at {@code at}, if any. */
    public Optional<Window> openAt(Instant at) {
        return windows.stream().filter(w -> w.contains(at)).findFirst();
    }

    /**
     * When the next window opens after {@code at}, in that window's zone (wall-clock, a start in a DST gap moves to
     * the first instant after it); empty when no window is configured.
     */
    public Optional<ZonedDateTime> nextOpening(Instant at) {
        ZonedDateTime best = null;
        for (Window w : windows) {
            LocalDate day = at.atZone(w.zone()).toLocalDate();
            for (int d = 0; d <= 7; d++) {
                LocalDate date = day.plusDays(d);
                if (!w.days().contains(date.getDayOfWeek())) {
                    continue;
                }
                ZonedDateTime start = ZonedDateTime.of(date, w.start(), w.zone());
                if (start.toInstant().isAfter(at)) {
                    if (best == null || start.toInstant().isBefore(best.toInstant())) {
                        best = start;
                    }
                    break;
                }
            }
        }
        return Optional.ofNullable(best);
    }

    public boolean configured() {
        return !windows.isEmpty();
    }

    public List<Window> windows() {
        return windows;
    }

    /** The windows as configured, for notes and the API. */
    public String describe() {
        return windows.isEmpty() ? "always" : windows.stream().map(Window::text).collect(Collectors.joining("; "));
    }
}
