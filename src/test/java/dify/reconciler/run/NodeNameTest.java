package dify.reconciler.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The node a working-path report names: the setting, else the downward API's POD_NAME, else HOSTNAME. */
class NodeNameTest {

    private static String nodeOf(Optional<String> configured, Map<String, String> environment) {
        return NodeName.of(configured, name -> Optional.ofNullable(environment.get(name)));
    }

    @Test
    void theSettingWinsThenPodNameThenHostname() {
        Map<String, String> pod = Map.of("POD_NAME", "dify-plugin-daemon-6d8f-abcde", "HOSTNAME", "container-1a2b");
        assertEquals("daemon-a", nodeOf(Optional.of(" daemon-a "), pod));
        assertEquals("dify-plugin-daemon-6d8f-abcde", nodeOf(Optional.empty(), pod));
        assertEquals("dify-plugin-daemon-6d8f-abcde", nodeOf(Optional.of(" "), pod));
        assertEquals("container-1a2b", nodeOf(Optional.empty(), Map.of("POD_NAME", "", "HOSTNAME", "container-1a2b")));
        assertEquals("unknown", nodeOf(Optional.empty(), Map.of()));
    }
}
