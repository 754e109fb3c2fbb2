package dify.reconciler.testsupport;

/** Real plugin unique identifiers seen in the wild, for realistic test rows. */
public final class Uids {
    public static final String OPENAI = "langgenius/openai:0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a";
    /** Same plugin_id as {@link #OPENAI}, another version. */
    public static final String OPENAI_OTHER = "langgenius/openai:0.0.19@ee25cddb7264169044e305955abbf97eff0876a151ced2bf20c5907430ad5727";
    public static final String TONGYI = "langgenius/tongyi:1.0.0@a2dd9bb656a2722292e8936f3287d53ba176cfbbe9b8bfafc596d4a2ddd99eb2";
    public static final String BEDROCK = "langgenius/bedrock:0.0.9@4484b4097187376df28408110fa951c64a18588689746ed4eefc4ee4dc3ec9f2";
    public static final String GITHUB = "langgenius/github:0.3.2@1cb2f90ea05bbc7987fd712aff0a07594073816269125603dc2fa5b4229eb122";
    /** Broken: colon lost in a copy. */
    public static final String EMAIL_LOST_COLON = "langgenius/email_0.0.7@6c3856490275f3440619fabfdc54f3bd29bad8959e29996452277b9c3b0c5e9b";

    private Uids() {
    }
}
