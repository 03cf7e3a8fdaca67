-- Dual reporting (双报到) and the resources list (资源清单): organisations that serve
-- communities (paired units 共建单位, caring merchants 爱心商户, resident groups 社区达人/邻里互助团),
-- their contacts and members, organisations' and in-service party members' check-ins
-- (组织报到, 个人报到), and what organisations and people offer.
--
-- 报到 is called check_in here: "report" already names 事件上报 (grid reports).

CREATE TYPE organisation_kind AS ENUM ('paired_unit', 'merchant', 'resident_group');

CREATE TABLE organisations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          organisation_kind NOT NULL,
    -- One record per organisation: a unit paired with two communities is one row serving both.
    name          text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 60),
    description   text CHECK (length(description) <= 1000),
    -- Where it was registered (the subdistrict or a community): its staff and admins keep it.
    registered_in bigint NOT NULL REFERENCES places (id),
    registered_by bigint NOT NULL REFERENCES accounts (id),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- The communities an organisation serves; a paired unit's are the communities it is paired with.
CREATE TABLE organisation_communities (
    organisation_id bigint NOT NULL REFERENCES organisations (id),
    community_id    bigint NOT NULL REFERENCES places (id),
    added_by        bigint NOT NULL REFERENCES accounts (id),
    added_at        timestamptz NOT NULL,
    PRIMARY KEY (organisation_id, community_id)
);
CREATE INDEX organisation_communities_community ON organisation_communities (community_id);

-- Members of an organisation (its staff, its party members, a group's talents). A contact
-- is a member who acts for the organisation: keeps its offers, checks it in, reads its
-- service records. One row per account and organisation.
CREATE TABLE organisation_members (
    organisation_id bigint NOT NULL REFERENCES organisations (id),
    account_id      bigint NOT NULL REFERENCES accounts (id),
    contact         boolean NOT NULL DEFAULT false,
    added_by        bigint NOT NULL REFERENCES accounts (id),
    added_at        timestamptz NOT NULL,
    PRIMARY KEY (organisation_id, account_id)
);
CREATE INDEX organisation_members_account ON organisation_members (account_id);

CREATE TYPE check_in_state AS ENUM ('pending', 'accepted', 'declined', 'withdrawn');

-- 组织报到: a paired unit's party organisation reports to a community it is paired with;
-- the community's staff accept or decline it.
CREATE TABLE organisation_check_ins (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id),
    community_id    bigint NOT NULL REFERENCES places (id),
    submitted_by    bigint NOT NULL REFERENCES accounts (id),
    submitted_at    timestamptz NOT NULL,
    note            text CHECK (length(note) <= 500),
    state           check_in_state NOT NULL DEFAULT 'pending',
    decided_by      bigint REFERENCES accounts (id),
    decided_at      timestamptz,
    decline_reason  text,
    CHECK ((state IN ('pending', 'withdrawn')) = (decided_at IS NULL))
);
-- One standing check-in (waiting or accepted) per organisation and community.
CREATE UNIQUE INDEX organisation_check_ins_one ON organisation_check_ins (organisation_id, community_id)
    WHERE state IN ('pending', 'accepted');
CREATE INDEX organisation_check_ins_community ON organisation_check_ins (community_id, id);

-- 个人报到: an in-service party member reports to the community where they live, naming their
-- work unit (a registered paired unit, or its name as text), and what they can offer.
CREATE TABLE member_check_ins (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES accounts (id),
    community_id    bigint NOT NULL REFERENCES places (id),
    organisation_id bigint REFERENCES organisations (id),
    work_unit_name  text CHECK (length(work_unit_name) BETWEEN 1 AND 60),
    skills          text CHECK (length(skills) <= 500),
    availability    text CHECK (length(availability) <= 200),
    submitted_at    timestamptz NOT NULL,
    state           check_in_state NOT NULL DEFAULT 'pending',
    decided_by      bigint REFERENCES accounts (id),
    decided_at      timestamptz,
    decline_reason  text,
    CHECK (num_nonnulls(organisation_id, work_unit_name) = 1),
    CHECK ((state IN ('pending', 'withdrawn')) = (decided_at IS NULL))
);
-- The database refuses a member standing twice in one community (two submissions at once).
CREATE UNIQUE INDEX member_check_ins_one ON member_check_ins (account_id, community_id)
    WHERE state IN ('pending', 'accepted');
CREATE INDEX member_check_ins_community ON member_check_ins (community_id, id);
CREATE INDEX member_check_ins_organisation ON member_check_ins (organisation_id) WHERE organisation_id IS NOT NULL;

CREATE TYPE resource_kind AS ENUM ('venue', 'skill', 'goods', 'money', 'hours');
-- The wish categories, then the fields a need too large for one volunteer falls in
-- (the needs list, 需求清单, uses the same categories so that needs and offers match).
CREATE TYPE service_category AS ENUM ('goods', 'repair', 'companionship', 'escort', 'tutoring', 'paperwork',
    'health', 'elderly_care', 'child_care', 'culture', 'environment', 'legal', 'employment', 'other');

-- 资源清单: what an organisation or one person offers, kept current by its owner.
CREATE TABLE resources (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Exactly one owner: an organisation (kept by its contacts) or an account.
    organisation_id   bigint REFERENCES organisations (id),
    account_id        bigint REFERENCES accounts (id),
    kind              resource_kind NOT NULL,
    category          service_category NOT NULL,
    title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 40),
    description       text NOT NULL CHECK (length(description) BETWEEN 1 AND 1000),
    -- When it is available, as people say it (每周六上午, 工作日 9:00-17:00).
    availability      text CHECK (length(availability) <= 200),
    -- Venues: opening hours.
    opening_hours     text CHECK (length(opening_hours) <= 200),
    -- Money: up to this many yuan.
    money_limit_yuan  integer CHECK (money_limit_yuan > 0),
    -- Hours: this many hours a month.
    hours_per_month   integer CHECK (hours_per_month > 0),
    -- How many people (or pieces) at once.
    capacity          integer CHECK (capacity > 0),
    created_by        bigint NOT NULL REFERENCES accounts (id),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    withdrawn_at      timestamptz,
    withdraw_reason   text,
    CHECK (num_nonnulls(organisation_id, account_id) = 1),
    CHECK ((kind = 'venue') = (opening_hours IS NOT NULL)),
    CHECK ((kind = 'money') = (money_limit_yuan IS NOT NULL)),
    CHECK ((kind = 'hours') = (hours_per_month IS NOT NULL))
);
CREATE INDEX resources_organisation ON resources (organisation_id) WHERE organisation_id IS NOT NULL;
CREATE INDEX resources_account ON resources (account_id) WHERE account_id IS NOT NULL;

-- The communities a resource serves.
CREATE TABLE resource_communities (
    resource_id  bigint NOT NULL REFERENCES resources (id),
    community_id bigint NOT NULL REFERENCES places (id),
    PRIMARY KEY (resource_id, community_id)
);
CREATE INDEX resource_communities_community ON resource_communities (community_id, resource_id);
