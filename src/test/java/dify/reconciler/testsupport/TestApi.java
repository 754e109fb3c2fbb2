package dify.reconciler.testsupport;

import static io.restassured.RestAssured.given;

import io.restassured.specification.RequestSpecification;

/** The API token of the test profile ({@code %test.reconciler.api.token}), for the mutating endpoints. */
public final class TestApi {

    public static final String TOKEN = "test-api-token-0123456789";

    private TestApi() {
    }

    /** A request that carries {@code Authorization: Bearer <token>}. */
    public static RequestSpecification authorized() {
        return given().header("Authorization", "Bearer " + TOKEN);
    }
}
