package dify.reconciler.inventory.storage;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How to reach the daemon's Azure Blob container, read from the daemon's own variables the way its storage library
 * (dify-cloud-kit v0.1.3: azblob v1.6, azidentity) reads them, so both share one Secret:
 * <ul>
 * <li>{@code AZURE_BLOB_STORAGE_CONTAINER_NAME}: the container (the bucket variable is not used for Azure);</li>
 * <li>{@code AZURE_BLOB_STORAGE_USE_MANAGED_IDENTITY=true}: {@code AZURE_BLOB_STORAGE_ACCOUNT_URL} with the
 * credentials a server has (environment service principal, workload identity, managed identity);</li>
 * <li>otherwise {@code AZURE_BLOB_STORAGE_CONNECTION_STRING}, parsed as azblob's {@code ParseConnectionString}
 * does: {@code BlobEndpoint}, else {@code DefaultEndpointsProtocol://AccountName.blob.EndpointSuffix} (https and
 * core.windows.net by default); {@code AccountName} with {@code AccountKey}, else {@code SharedAccessSignature}.</li>
 * </ul>
 * The account key and the SAS token are secrets: {@link #toString()} and {@link #describe()} never show them, and no
 * error message quotes the connection string.
 *
 * @param container the container's name
 * @param serviceUrl the blob service's URL, without a query (e.g. {@code https://acct.blob.core.windows.net/} or
 *        Azurite's {@code http://127.0.0.1:10000/devstoreaccount1/})
 * @param accountName the account named in the connection string; null with a SAS or a managed identity
 * @param accountKey the account key (base64); null unless the connection string has one
 * @param sasToken the connection string's {@code SharedAccessSignature}; null unless used
 * @param managedIdentity whether to authenticate with Microsoft Entra ID instead of a connection string
 */
public record AzureBlobSettings(String container, String serviceUrl, String accountName, String accountKey,
        String sasToken, boolean managedIdentity) {

    public static final String CONTAINER = "AZURE_BLOB_STORAGE_CONTAINER_NAME";
    public static final String CONNECTION_STRING = "AZURE_BLOB_STORAGE_CONNECTION_STRING";
    public static final String USE_MANAGED_IDENTITY = "AZURE_BLOB_STORAGE_USE_MANAGED_IDENTITY";
    public static final String ACCOUNT_URL = "AZURE_BLOB_STORAGE_ACCOUNT_URL";

    /**
     * @throws IllegalArgumentException naming the missing or wrong variable (never its value)
     */
    public static AzureBlobSettings from(StorageVariables variables) {
        String container = variables.require(CONTAINER, "the Azure Blob container the daemon stores plugins in");
        if (variables.flag(USE_MANAGED_IDENTITY, false)) {
            String url = variables.require(ACCOUNT_URL, "the blob service URL (https://<account>.blob.core.windows.net/),"
                    + " required when " + USE_MANAGED_IDENTITY + "=true");
            return new AzureBlobSettings(container, serviceUrl(ACCOUNT_URL, url), null, null, null, true);
        }
        String connectionString = variables.require(CONNECTION_STRING, "the storage account's connection string (or set "
                + USE_MANAGED_IDENTITY + "=true and " + ACCOUNT_URL + ")");
        return fromConnectionString(container, connectionString);
    }

    private static AzureBlobSettings fromConnectionString(String container, String connectionString) {
        Map<String, String> parts = new HashMap<>();
        String trimmed = connectionString.replaceAll(";+$", "");
        for (String part : trimmed.split(";", -1)) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                // The part itself may be a secret pasted without its name: never quote it.
                throw new IllegalArgumentException(CONNECTION_STRING + " is malformed: every part must be Name=value,"
                        + " separated by ';' (parts named: " + String.join(", ", parts.keySet()) + ")");
            }
            parts.put(part.substring(0, eq), part.substring(eq + 1));
        }
        String accountName = parts.get("AccountName");
        String serviceUrl;
        if (parts.containsKey("BlobEndpoint")) {
            serviceUrl = serviceUrl(CONNECTION_STRING + "'s BlobEndpoint", parts.get("BlobEndpoint"));
        } else if (accountName != null) {
            String protocol = parts.getOrDefault("DefaultEndpointsProtocol", "https");
            String suffix = parts.getOrDefault("EndpointSuffix", "core.windows.net");
            serviceUrl = serviceUrl(CONNECTION_STRING + "'s DefaultEndpointsProtocol/AccountName/EndpointSuffix",
                    protocol + "://" + accountName + ".blob." + suffix);
        } else {
            throw new IllegalArgumentException(CONNECTION_STRING + " needs either AccountName or BlobEndpoint");
        }
        String accountKey = parts.get("AccountKey");
        if (accountName != null && accountKey != null) {
            try {
                Base64.getDecoder().decode(accountKey);
            } catch (IllegalArgumentException e) {
                // Not e's message: it may quote a character of the key.
                throw new IllegalArgumentException(CONNECTION_STRING + "'s AccountKey is not base64 (the key as the Azure"
                        + " portal shows it under Access keys)");
            }
            return new AzureBlobSettings(container, serviceUrl, accountName, accountKey, null, false);
        }
        String sas = parts.get("SharedAccessSignature");
        if (sas != null && !sas.isEmpty()) {
            return new AzureBlobSettings(container, serviceUrl, null, null, sas.startsWith("?") ? sas.substring(1) : sas,
                    false);
        }
        throw new IllegalArgumentException(CONNECTION_STRING + " needs either AccountName with AccountKey, or"
                + " SharedAccessSignature");
    }

    /** An absolute http(s) URL ending in '/', without a query (a SAS in it would be a secret in every description). */
    private static String serviceUrl(String name, String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(name + " is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException(name + " must be an http:// or https:// URL with a host");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(name + " must not carry a query (put a SAS token in SharedAccessSignature)");
        }
        String url = uri.toString();
        return url.endsWith("/") ? url : url + "/";
    }

    /** What authenticates the requests, for error messages: which variable to check. */
    String credentialsHint() {
        if (managedIdentity) {
            return "check the role assigned to the identity the reconciler runs as (AZURE_CLIENT_ID, workload or managed"
                    + " identity) on container '" + container + "'";
        }
        return accountKey != null
                ? "check AccountName/AccountKey in " + CONNECTION_STRING
                : "check the SharedAccessSignature in " + CONNECTION_STRING + " (expiry, permissions rlwd)";
    }

    /** The container and service URL: no key, no SAS. */
    public String describe() {
        return "azure_blob://" + container + " (" + serviceUrl + ")";
    }

    @Override
    public String toString() {
        return "AzureBlobSettings[container=" + container + ", serviceUrl=" + serviceUrl + ", accountName=" + accountName
                + ", accountKey=" + (accountKey == null ? "" : "***") + ", sasToken=" + (sasToken == null ? "" : "***")
                + ", managedIdentity=" + managedIdentity + "]";
    }
}
