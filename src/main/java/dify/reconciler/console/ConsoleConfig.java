package dify.reconciler.console;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The built-in web console ({@code reconciler.console.*}, {@code RECONCILER_CONSOLE_…}). */
@ConfigMapping(prefix = "reconciler.console")
public interface ConsoleConfig {

    /**
     * The runbook the console links each finding to ({@code RECONCILER_CONSOLE_RUNBOOK_URL}): a finding's link is
     * {@code <runbook-url>#<section>}, the section of {@code docs/runbook.md} for its kind. The default is the
     * project's copy, as for the alerts ({@code k8s/base/runbook-url.yaml}); point it at your fork or wiki page with
     * the same headings. A link only points there: the console loads nothing from outside the service.
     */
    @WithDefault("https://github.com/dify-plugin-reconciler/dify-plugin-reconciler/blob/main/docs/runbook.md")
    String runbookUrl();
}
