-- An OLD plugin daemon database (pre-0.5.x layout), for "works on old and new layouts" tests.
-- Reconstructed from the daemon's history (langgenius/dify-plugin-daemon, internal/types/models/*.go
-- and internal/db/init.go at tags 0.0.1-beta.1 .. 0.5.0; gorm v1.25.11, driver/postgres v1.5.9):
--   * uuid-ossp extension + id DEFAULT uuid_generate_v4() (removed in 0.5.2, #536);
--   * legacy "declaration" text column on plugins, serverless_runtimes and the category tables
--     (dropped from the models in 0.0.3; GORM never drops columns; later daemons only DROP NOT NULL on
--     it at every start, so it is nullable here);
--   * 127-wide identifier varchars as in 0.0.1-beta.1 (later models say 255);
--   * plugins.plugin_unique_identifier has only the plain index idx_plugins_plugin_unique_identifier
--     (the unique idx_plugin_unique_identifier came in 0.5.4, #576), so duplicates can exist;
--   * plugin_installations has no unique idx_tenant_plugin (0.5.1, #528), so duplicate
--     (tenant_id, plugin_id) rows can exist;
--   * install_tasks.status is text NOT NULL without index (varchar(50) + idx_install_tasks_status
--     came with #617);
--   * legacy table plugin_readmes (with tenant_id; replaced by plugin_readme_records in 0.5.x);
--   * no datasource_installations / trigger_installations / plugin_readme_records tables.
-- This is a deliberate worst case, not one exact release: in the real history plugin_readmes and
-- trigger_installations both arrived in 0.4.0 and datasource_installations in 0.3.0, and a later
-- daemon's AutoMigrate would have widened the 127 columns to 255.
-- Columns added by later upgrades (plugins.remote_declaration, plugins.source) come after the
-- original ones, as ALTER TABLE ADD COLUMN leaves them.

CREATE EXTENSION IF NOT EXISTS "uuid-ossp";

CREATE TABLE "plugins" (
  "id" uuid DEFAULT uuid_generate_v4(),
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "plugin_unique_identifier" varchar(127),
  "plugin_id" varchar(127),
  "refers" bigint DEFAULT 0,
  "install_type" varchar(127),
  "manifest_type" varchar(127),
  "declaration" text,
  "remote_declaration" text,
  "source" varchar(63) DEFAULT '',
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_plugins_plugin_unique_identifier" ON "plugins" ("plugin_unique_identifier");
CREATE INDEX IF NOT EXISTS "idx_plugins_plugin_id" ON "plugins" ("plugin_id");
CREATE INDEX IF NOT EXISTS "idx_plugins_install_type" ON "plugins" ("install_type");

CREATE TABLE "plugin_installations" (
  "id" uuid DEFAULT uuid_generate_v4(),
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "tenant_id" uuid,
  "plugin_id" varchar(127),
  "plugin_unique_identifier" varchar(127),
  "runtime_type" varchar(127),
  "endpoints_setups" bigint,
  "endpoints_active" bigint,
  "source" varchar(63),
  "meta" text,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_plugin_installations_tenant_id" ON "plugin_installations" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_plugin_installations_plugin_id" ON "plugin_installations" ("plugin_id");
CREATE INDEX IF NOT EXISTS "idx_plugin_installations_plugin_unique_identifier" ON "plugin_installations" ("plugin_unique_identifier");

CREATE TABLE "plugin_declarations" (
  "id" uuid DEFAULT uuid_generate_v4(),
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "plugin_unique_identifier" varchar(127),
  "plugin_id" varchar(127),
  "declaration" text,
  PRIMARY KEY ("id"),
  CONSTRAINT "uni_plugin_declarations_plugin_unique_identifier" UNIQUE ("plugin_unique_identifier")
);
CREATE INDEX IF NOT EXISTS "idx_plugin_declarations_plugin_id" ON "plugin_declarations" ("plugin_id");

CREATE TABLE "endpoints" (
  "id" uuid DEFAULT uuid_generate_v4(),
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "name" varchar(127) DEFAULT 'default',
  "hook_id" varchar(127),
  "tenant_id" varchar(64),
  "user_id" varchar(64),
  "plugin_id" varchar(64),
  "expired_at" timestamptz,
  "enabled" boolean,
  "settings" text,
  PRIMARY KEY ("id"),
  CONSTRAINT "uni_endpoints_hook_id" UNIQUE ("hook_id")
);
CREATE INDEX IF NOT EXISTS "idx_endpoints_tenant_id" ON "endpoints" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_endpoints_user_id" ON "endpoints" ("user_id");
CREATE INDEX IF NOT EXISTS "idx_endpoints_plugin_id" ON "endpoints" ("plugin_id");

CREATE TABLE "serverless_runtimes" (
  "id" uuid DEFAULT uuid_generate_v4(),
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "plugin_unique_identifier" varchar(127),
  "function_url" varchar(255),
  "function_name" varchar(127),
  "type" varchar(127),
  "declaration" text,
  "checksum" varchar(127),
  PRIMARY KEY ("id"),
  CONSTRAINT "uni_serverless_runtimes_plugin_unique_identifier" UNIQUE ("plugin_unique_identifier")
);
CREATE INDEX IF NOT EXISTS "idx_serverless_runtimes_checksum" ON "serverless_runtimes" ("checksum");

CREATE TABLE "tool_installations" (
  "id" uuid DEFAULT uuid_generate_v4(),
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "tenant_id" uuid NOT NULL,
  "provider" varchar(127) NOT NULL,
  "plugin_unique_identifier" varchar(127),
  "plugin_id" varchar(127),
  "declaration" text,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_tool_installations_tenant_id" ON "tool_installations" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_tool_installations_provider" ON "tool_installations" ("provider");
CREATE INDEX IF NOT EXISTS "idx_tool_installations_plugin_unique_identifier" ON "tool_installations" ("plugin_unique_identifier");
CREATE INDEX IF NOT EXISTS "idx_tool_installations_plugin_id" ON "tool_installations" ("plugin_id");

CREATE TABLE "ai_model_installations" (
  "id" uuid DEFAULT uuid_generate_v4(),
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "provider" varchar(127) NOT NULL,
  "tenant_id" uuid NOT NULL,
  "plugin_unique_identifier" varchar(127),
  "plugin_id" varchar(127),
  "declaration" text,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_ai_model_installations_provider" ON "ai_model_installations" ("provider");
CREATE INDEX IF NOT EXISTS "idx_ai_model_installations_tenant_id" ON "ai_model_installations" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_ai_model_installations_plugin_unique_identifier" ON "ai_model_installations" ("plugin_unique_identifier");
CREATE INDEX IF NOT EXISTS "idx_ai_model_installations_plugin_id" ON "ai_model_installations" ("plugin_id");

CREATE TABLE "install_tasks" (
  "id" uuid DEFAULT uuid_generate_v4(),
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "status" text NOT NULL,
  "tenant_id" uuid NOT NULL,
  "total_plugins" bigint NOT NULL,
  "completed_plugins" bigint NOT NULL,
  "plugins" text,
  PRIMARY KEY ("id")
);

CREATE TABLE "tenant_storages" (
  "id" uuid DEFAULT uuid_generate_v4(),
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "tenant_id" varchar(255) NOT NULL,
  "plugin_id" varchar(255) NOT NULL,
  "size" bigint NOT NULL,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_tenant_storages_tenant_id" ON "tenant_storages" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_tenant_storages_plugin_id" ON "tenant_storages" ("plugin_id");

CREATE TABLE "agent_strategy_installations" (
  "id" uuid DEFAULT uuid_generate_v4(),
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "tenant_id" uuid NOT NULL,
  "provider" varchar(127) NOT NULL,
  "plugin_unique_identifier" varchar(127),
  "plugin_id" varchar(127),
  "declaration" text,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_agent_strategy_installations_tenant_id" ON "agent_strategy_installations" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_agent_strategy_installations_provider" ON "agent_strategy_installations" ("provider");
CREATE INDEX IF NOT EXISTS "idx_agent_strategy_installations_plugin_unique_identifier" ON "agent_strategy_installations" ("plugin_unique_identifier");
CREATE INDEX IF NOT EXISTS "idx_agent_strategy_installations_plugin_id" ON "agent_strategy_installations" ("plugin_id");

CREATE TABLE "plugin_readmes" (
  "id" uuid DEFAULT uuid_generate_v4(),
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "tenant_id" uuid NOT NULL,
  "plugin_unique_identifier" varchar(255) NOT NULL,
  "language" varchar(10) NOT NULL,
  "content" text NOT NULL,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_plugin_readmes_tenant_id" ON "plugin_readmes" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_plugin_readmes_plugin_unique_identifier" ON "plugin_readmes" ("plugin_unique_identifier");
