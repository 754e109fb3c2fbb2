package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.StorageProducer;
import dify.reconciler.testsupport.FaultyHttpProxy;
import dify.reconciler.testsupport.S3CompatibleStore;
import dify.reconciler.testsupport.S3ProxyServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Each S3-compatible cloud as the product opens it from the daemon's own variables, on S3Proxy virtual-hosted at the
 * provider's test host: the daemon's keys are read and written where the daemon keeps them (for Aliyun under
 * {@code ALIYUN_OSS_PATH}, decoys outside it never listed nor touched), requests go to {@code <bucket>.<host>}, only
 * the preconditions the provider honours are sent, and a refused or unreachable endpoint fails instead of listing
 * nothing.
 */
class S3CompatibleProvidersTest {

    /** A provider, named so a failing case says which. */
    record Provider(String name, Supplier<S3CompatibleStore> open, String forbidOverwriteHeader, boolean targetPreconditions,
            String secretVariable, String accessKeyVariable) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Provider> providers() {
        return Stream.of(
                new Provider("aliyun_oss", S3CompatibleStore::aliyun, "x-oss-forbid-overwrite", false,
                        "ALIYUN_OSS_ACCESS_KEY_SECRET", "ALIYUN_OSS_ACCESS_KEY_ID"),
                new Provider("tencent_cos", S3CompatibleStore::tencent, null, false, "TENCENT_COS_SECRET_KEY", "TENCENT_COS_SECRET_ID"),
                new Provider("huawei_obs", S3CompatibleStore::huawei, null, false, "HUAWEI_OBS_SECRET_KEY", "HUAWEI_OBS_ACCESS_KEY"),
                new Provider("volcengine_tos", S3CompatibleStore::volcengine, null, false, "VOLCENGINE_TOS_SECRET_KEY",
                        "VOLCENGINE_TOS_ACCESS_KEY"),
                new Provider("baidu_bos", S3CompatibleStore::baidu, null, true, "BAIDU_BOS_SECRET_KEY", "BAIDU_BOS_ACCESS_KEY"));
    }

    private static ObjectStorage open(Map<String, String> daemonEnvironment, String endpointOverride) {
        Map<String, String> env = new HashMap<>(daemonEnvironment);
        env.put("DB_HOST", "unused.invalid");
        env.put("DB_USERNAME", "unused");
        DaemonSettings settings = DaemonSettings.from(name -> Optional.ofNullable(env.get(name)));
        return StorageProducer.open(settings, S3Timeouts.DEFAULTS, StorageRequestListener.NO_OP, Optional.ofNullable(endpointOverride));
    }

    private static List<String> keys(ObjectStorage storage, String prefix) {
        try (Stream<StoredObject> listing = storage.list(prefix)) {
            return listing.map(StoredObject::key).toList();
        }
    }

    private static String storedContent(S3CompatibleStore store, String daemonKey) {
        return store.server().client().getObjectAsBytes(b -> b.bucket(store.bucket()).key(store.storeKey(daemonKey)))
                .asString(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @MethodSource("providers")
    void readsAndWritesTheDaemonsKeysWhereTheDaemonKeepsThem(Provider provider) {
        try (S3CompatibleStore store = provider.open().get()) {
            Map<String, String> decoysBefore = new HashMap<>(store.contents());
            String installed = "plugin/langgenius/openai:0.0.1@abc";
            String pkg = "plugin_packages/langgenius/openai:0.0.1@abc";
            store.writer().put(installed, "installed copy");
            store.writer().put(pkg, "package");
            ObjectStorage storage = store.storage();

            assertEquals(List.of(installed), keys(storage, "plugin/"));
            assertEquals(List.of(installed, pkg), keys(storage, "plugin"), "a raw prefix, still only the daemon's keys");
            assertEquals(List.of(installed, pkg), keys(storage, ""));

            StoredObject quarantined = storage.copy(storage.head(pkg).orElseThrow(), "reconciler-quarantine/" + pkg, null);
            assertEquals("reconciler-quarantine/" + pkg, quarantined.key());
            assertEquals("package", storedContent(store, "reconciler-quarantine/" + pkg), "the quarantine is under the same root");
            storage.delete(storage.head(installed).orElseThrow());
            assertThrows(NoSuchKeyException.class, () -> storedContent(store, installed));

            Map<String, String> after = store.contents();
            decoysBefore.forEach((key, sha) -> assertEquals(sha, after.get(key), "decoy " + key + " untouched"));
            assertEquals(decoysBefore.size() + 2, after.size(), "the package, its quarantine copy and the decoys: " + after.keySet());
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void sendsOnlyThePreconditionsTheProviderHonoursToTheVirtualHostedBucket(Provider provider) {
        try (S3CompatibleStore store = provider.open().get();
                FaultyHttpProxy proxy = FaultyHttpProxy.to(store.server().endpoint())) {
            List<FaultyHttpProxy.Request> writes = Collections.synchronizedList(new ArrayList<>());
            proxy.policy(r -> {
                if (r.method().equals("PUT") || r.method().equals("DELETE")) {
                    writes.add(r);
                }
                return FaultyHttpProxy.Fault.PASS;
            });
            String host = store.server().hostEndpoint().getHost();
            try (ObjectStorage storage = open(store.daemonEnvironment(), "http://" + host + ":" + proxy.port())) {
                StoredObject created = storage.put("assets/0a.png", new byte[] {1}, null);
                storage.put("assets/0a.png", new byte[] {2, 3}, created);
                storage.delete(storage.head("assets/0a.png").orElseThrow());
            }
            assertEquals(List.of("PUT", "PUT", "DELETE"), writes.stream().map(FaultyHttpProxy.Request::method).toList());
            for (FaultyHttpProxy.Request r : writes) {
                assertTrue(r.headers().get("host").startsWith(store.bucket() + "." + host + ":"),
                        "virtual-hosted: " + r.headers().get("host"));
            }
            Map<String, String> create = writes.get(0).headers();
            Map<String, String> replace = writes.get(1).headers();
            Map<String, String> delete = writes.get(2).headers();
            assertEquals(provider.targetPreconditions() ? "*" : null, create.get("if-none-match"));
            assertEquals(provider.targetPreconditions(), replace.containsKey("if-match"), replace.toString());
            assertFalse(delete.containsKey("if-match"), "no provider documents If-Match on DeleteObject: " + delete);
            if (provider.forbidOverwriteHeader() != null) {
                assertEquals("true", create.get(provider.forbidOverwriteHeader()), create.toString());
                assertFalse(replace.containsKey(provider.forbidOverwriteHeader()), "a replacement may overwrite");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aRefusedKeyOrAnUnreachableEndpointFailsTheListingAndNamesTheProvidersVariables(Provider provider) {
        try (S3CompatibleStore store = provider.open().get()) {
            store.writer().put("plugin/langgenius/openai:0.0.1@abc", "x");
            Map<String, String> env = store.daemonEnvironment();
            env.put(provider.secretVariable(), "wrong-secret-never-printed");
            try (ObjectStorage storage = open(env, null)) {
                StorageException e = assertThrows(StorageException.class, () -> keys(storage, "plugin/"));
                assertTrue(e.getMessage().contains(provider.accessKeyVariable()), e.getMessage());
                assertFalse(e.getMessage().contains("wrong-secret-never-printed"), e.getMessage());
                assertFalse(storage.describe().contains("wrong-secret-never-printed"));
            }
            String host = store.server().hostEndpoint().getHost();
            try (ObjectStorage storage = open(store.daemonEnvironment(), "http://" + host + ":" + S3ProxyServer.freeLoopbackPort())) {
                StorageException e = assertThrows(StorageException.class, () -> keys(storage, "plugin/"));
                assertTrue(e.getMessage().startsWith("cannot reach S3 endpoint"), e.getMessage());
            }
        }
    }
}
