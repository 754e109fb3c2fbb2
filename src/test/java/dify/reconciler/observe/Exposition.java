package dify.reconciler.observe;

import static io.restassured.RestAssured.given;

import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/** The Prometheus text at {@code /q/metrics}, read as lines. */
record Exposition(List<String> lines) {

    static Exposition scrape() {
        String body = given().accept("text/plain").when().get("/q/metrics").then().statusCode(200).extract().asString();
        return new Exposition(body.lines().toList());
    }

    /**
     * The sample line of the series {@code nameAndLabels} (e.g. {@code x{a="b"}}, labels in alphabetical
     * order), or empty. The Prometheus simpleclient writes text format 0.0.4 with a comma after the last
     * label ({@code x{a="b",} 1.0}); that is matched too, and returned as written.
     */
    Optional<String> line(String nameAndLabels) {
        String withComma = nameAndLabels.endsWith("\"}")
                ? nameAndLabels.substring(0, nameAndLabels.length() - 1) + ",}"
                : nameAndLabels;
        return lines.stream().filter(l -> l.startsWith(nameAndLabels + " ") || l.startsWith(withComma + " ")).findFirst();
    }

    /** The value of the series, failing when it is not exported. */
    double value(String nameAndLabels) {
        String line = line(nameAndLabels).orElseThrow(() -> new AssertionError(nameAndLabels + " is not exported"));
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    /**
     * Every metric name in the exposition, as Prometheus sees it: counters with {@code _total}, timers as
     * {@code _bucket}/{@code _count}/{@code _sum}/{@code _max}. The alert rules and the dashboard use these
     * names, and {@code scripts/check-ops-assets.sh} compares them verbatim, so no suffix is removed.
     */
    TreeSet<String> names() {
        TreeSet<String> names = new TreeSet<>();
        for (String l : lines) {
            if (l.isBlank() || l.startsWith("#")) {
                continue;
            }
            int end = l.indexOf('{');
            if (end < 0) {
                end = l.indexOf(' ');
            }
            names.add(l.substring(0, end));
        }
        return names;
    }
}
