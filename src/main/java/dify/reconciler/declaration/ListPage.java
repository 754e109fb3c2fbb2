package dify.reconciler.declaration;

/**
 * A part of the declaration ({@code tool}, {@code model}, ...) that the daemon sends in one of its management lists,
 * the Dify page that shows that list, and the model Dify parses it with.
 */
record ListPage(String key, String page, String list, String model) {
}
