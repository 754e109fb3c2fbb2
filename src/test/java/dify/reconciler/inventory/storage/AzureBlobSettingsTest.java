package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.StorageType;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AzureBlobSettingsTest {

    private static final String KEY = "c2VjcmV0LWFjY291bnQta2V5LTQ4MmY="; // base64 of "secret-account-key-482f"
    private static final String CONNECTION = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + KEY
            + ";EndpointSuffix=core.windows.net";

    private static AzureBlobSettings parse(Map<String, String> env) {
        return AzureBlobSettings.from(new StorageVariables(name -> Optional.ofNullable(env.get(name))));
    }

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private static String refusal(Map<String, String> env) {
        return assertThrows(IllegalArgumentException.class, () -> parse(env)).getMessage();
    }

    @Test
    void readsAConnectionStringAsTheDaemonsAzblobDoes() {
        AzureBlobSettings s = parse(env("AZURE_BLOB_STORAGE_CONTAINER_NAME", " plugins ", "AZURE_BLOB_STORAGE_CONNECTION_STRING",
                CONNECTION + ";"));
        assertEquals("plugins", s.container());
        assertEquals("https://acct.blob.core.windows.net/", s.serviceUrl());
        assertEquals("acct", s.accountName());
        assertEquals(KEY, s.accountKey());
        assertFalse(s.managedIdentity());

        // Defaults: https and core.windows.net; BlobEndpoint wins (Azurite, private endpoints).
        assertEquals("https://a2.blob.core.windows.net/", parse(env("AZURE_BLOB_STORAGE_CONTAINER_NAME", "c",
                "AZURE_BLOB_STORAGE_CONNECTION_STRING", "AccountName=a2;AccountKey=" + KEY)).serviceUrl());
        assertEquals("http://127.0.0.1:10000/devstoreaccount1/", parse(env("AZURE_BLOB_STORAGE_CONTAINER_NAME", "c",
                "AZURE_BLOB_STORAGE_CONNECTION_STRING", "AccountName=devstoreaccount1;AccountKey=" + KEY
                        + ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1"))
                .serviceUrl());
        assertEquals("https://x.blob.core.chinacloudapi.cn/", parse(env("AZURE_BLOB_STORAGE_CONTAINER_NAME", "c",
                "AZURE_BLOB_STORAGE_CONNECTION_STRING", "AccountName=x;AccountKey=" + KEY
                        + ";EndpointSuffix=core.chinacloudapi.cn"))
                .serviceUrl());
    }

    @Test
    void readsASharedAccessSignature() {
        AzureBlobSettings s = parse(env("AZURE_BLOB_STORAGE_CONTAINER_NAME", "c", "AZURE_BLOB_STORAGE_CONNECTION_STRING",
                "BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=2024-01-01&sig=abc%3D"));
        assertEquals("sv=2024-01-01&sig=abc%3D", s.sasToken());
        assertNull(s.accountKey());
        assertFalse(s.toString().contains("sig=abc"), s.toString());
        assertFalse(s.describe().contains("sig="), s.describe());
    }

    @Test
    void managedIdentityUsesTheAccountUrlAndIgnoresTheConnectionString() {
        AzureBlobSettings s = parse(env("AZURE_BLOB_STORAGE_CONTAINER_NAME", "c", "AZURE_BLOB_STORAGE_USE_MANAGED_IDENTITY",
                "true", "AZURE_BLOB_STORAGE_ACCOUNT_URL", "https://acct.blob.core.windows.net", "AZURE_BLOB_STORAGE_CONNECTION_STRING",
                "not=parsed"));
        assertTrue(s.managedIdentity());
        assertEquals("https://acct.blob.core.windows.net/", s.serviceUrl());
        assertNull(s.accountKey());
    }

    @Test
    void aMissingOrWrongVariableIsNamedNeverQuoted() {
        assertTrue(refusal(env("AZURE_BLOB_STORAGE_CONNECTION_STRING", CONNECTION))
                .startsWith("AZURE_BLOB_STORAGE_CONTAINER_NAME is not set"));
        assertTrue(refusal(env("AZURE_BLOB_STORAGE_CONTAINER_NAME", "c"))
                .startsWith("AZURE_BLOB_STORAGE_CONNECTION_STRING is not set"));
        assertTrue(refusal(env("AZURE_BLOB_STORAGE_CONTAINER_NAME", "c", "AZURE_BLOB_STORAGE_USE_MANAGED_IDENTITY", "true",
                "AZURE_BLOB_STORAGE_CONNECTION_STRING", CONNECTION)).startsWith("AZURE_BLOB_STORAGE_ACCOUNT_URL is not set"));
        assertTrue(refusal(env("AZURE_BLOB_STORAGE_CONTAINER_NAME", "c", "AZURE_BLOB_STORAGE_USE_MANAGED_IDENTITY", "yes"))
                .contains("AZURE_BLOB_STORAGE_USE_MANAGED_IDENTITY"));
        assertTrue(refusal(env("AZURE_BLOB_STORAGE_CONTAINER_NAME", "c", "AZURE_BLOB_STORAGE_USE_MANAGED_IDENTITY", "true",
                "AZURE_BLOB_STORAGE_ACCOUNT_URL", "acct.blob.core.windows.net")).startsWith("AZURE_BLOB_STORAGE_ACCOUNT_URL must be"));

        String secret = "s3cr3t-part-91ad";
        for (String wrong : new String[] {"AccountName=a;" + secret, "AccountKey=" + KEY + ";x=" + secret,
                "AccountName=a;AccountKey=" + secret + "!!", "AccountName=a;AccountKey=" + KEY + ";BlobEndpoint=ftp://" + secret,
                "AccountName=a;SharedAccessSignature=;x=" + secret}) {
            String message = refusal(env("AZURE_BLOB_STORAGE_CONTAINER_NAME", "c", "AZURE_BLOB_STORAGE_CONNECTION_STRING", wrong));
            assertTrue(message.startsWith("AZURE_BLOB_STORAGE_CONNECTION_STRING"), message);
            assertFalse(message.contains(secret), message);
        }
    }

    @Test
    void neitherToStringNorDescribeShowsTheKey() {
        AzureBlobSettings s = parse(env("AZURE_BLOB_STORAGE_CONTAINER_NAME", "c", "AZURE_BLOB_STORAGE_CONNECTION_STRING", CONNECTION));
        assertFalse(s.toString().contains(KEY), s.toString());
        assertEquals("azure_blob://c (https://acct.blob.core.windows.net/)", s.describe());
    }

    @Test
    void everyAliasOfTheTypeIsAzureAndAWrongVariableStopsStartUp() {
        for (String alias : new String[] {"azure_blob", "azure", "azure-blob"}) {
            assertEquals(StorageType.AZURE_BLOB, StorageType.parse(alias));
            Map<String, String> env = env("DB_HOST", "db", "DB_USERNAME", "u", "PLUGIN_STORAGE_TYPE", alias,
                    "AZURE_BLOB_STORAGE_CONTAINER_NAME", "c", "AZURE_BLOB_STORAGE_CONNECTION_STRING", CONNECTION);
            assertEquals(StorageType.AZURE_BLOB, DaemonSettings.from(name -> Optional.ofNullable(env.get(name))).storageType());
            env.remove("AZURE_BLOB_STORAGE_CONTAINER_NAME");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DaemonSettings.from(name -> Optional.ofNullable(env.get(name))));
            assertTrue(e.getMessage().startsWith("AZURE_BLOB_STORAGE_CONTAINER_NAME is not set"), e.getMessage());
        }
    }
}
