package dify.reconciler.api;

import jakarta.ws.rs.core.Response;

/**
 * Paging parameters: either {@code offset}/{@code limit} or {@code page}/{@code size} (page 0 is the first),
 * not both. Defaults: offset 0, limit 100; at most {@value #MAX_LIMIT} per page.
 */
record Paging(int offset, int limit) {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    static Paging of(String offset, String limit, String page, String size) {
        boolean offsetStyle = offset != null || limit != null;
        boolean pageStyle = page != null || size != null;
        if (offsetStyle && pageStyle) {
            throw new ApiException(Response.Status.BAD_REQUEST,
                    "use either offset/limit or page/size, not both");
        }
        if (pageStyle) {
            int s = parse("size", size, DEFAULT_LIMIT, 1, MAX_LIMIT);
            int p = parse("page", page, 0, 0, Integer.MAX_VALUE / s);
            return new Paging(p * s, s);
        }
        return new Paging(parse("offset", offset, 0, 0, Integer.MAX_VALUE), parse("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT));
    }

    private static int parse(String name, String value, int defaultValue, int min, int max) {
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            int v = Integer.parseInt(value.trim());
            if (v < min || v > max) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ApiException(Response.Status.BAD_REQUEST,
                    name + "='" + value + "' is not an integer from " + min + " to " + max);
        }
    }
}
