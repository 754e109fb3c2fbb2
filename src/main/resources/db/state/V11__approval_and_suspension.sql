-- Plan approval (reconciler.remediation.approval=required): who approved the plan an action belongs to, on every
-- audit row of that plan's application (null when no approval was asked: approval=none, the apply command).
ALTER TABLE remediation_actions ADD COLUMN approved_by text;

-- The plans an armed leader published for approval, with what became of each. 'expired' is not stored: a pending
-- or approved plan whose expires_at has passed reads as expired. At most one plan is pending or approved at a time
-- (publishing replaces a pending one, in one transaction).
CREATE TABLE approval_plans (
    plan_id     text        PRIMARY KEY,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    run_id      text,
    instance    text        NOT NULL,
    -- the plan as the apply command reads it (PlanDocument): what is applied once approved, never a fresh plan
    plan        jsonb       NOT NULL,
    status      text        NOT NULL CHECK (status IN ('pending', 'approved', 'replaced', 'applied')),
    approved_by text,
    approved_at timestamptz,
    replaced_by text,
    applied_at  timestamptz,
    CHECK ((approved_at IS NULL) = (approved_by IS NULL))
);
CREATE INDEX approval_plans_open ON approval_plans (created_at) WHERE status IN ('pending', 'approved');

-- Suspension of remediation at run time (POST /api/v1/remediation/suspend, /resume): appended, never updated;
-- the latest row says whether remediation is suspended now, for every replica and across restarts.
CREATE TABLE remediation_suspension (
    id        bigserial   PRIMARY KEY,
    at        timestamptz NOT NULL,
    suspended boolean     NOT NULL,
    reason    text,
    actor     text        NOT NULL,
    instance  text        NOT NULL,
    CHECK (NOT suspended OR reason IS NOT NULL)
);
