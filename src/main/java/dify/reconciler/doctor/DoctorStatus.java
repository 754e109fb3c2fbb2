package dify.reconciler.doctor;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** A doctor line's result; the order is the severity (a report is as bad as its worst line). */
public enum DoctorStatus {
    OK,
    WARN,
    FAIL;

    @JsonValue
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
