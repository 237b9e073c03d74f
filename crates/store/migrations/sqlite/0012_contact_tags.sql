-- Coloured tags an owner puts on contacts (blasts pick recipients by tag).
CREATE TABLE tags (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT   NOT NULL,
    color      TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (owner_id, name)
);
-- `VIP` and `vip` are one tag (an import matches tags regardless of case).
CREATE UNIQUE INDEX tags_owner_lower_name ON tags (owner_id, lower(name));
CREATE TABLE contact_tags (
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag_id     BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
);
CREATE INDEX contact_tags_tag ON contact_tags (tag_id, contact_id);
-- The custom field names an owner's contacts use: the variables their templates may name.
CREATE TABLE contact_field_names (
    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name     TEXT   NOT NULL,
    PRIMARY KEY (owner_id, name)
);
-- The contacts list is ordered by name within an owner.
CREATE INDEX contacts_owner_name ON contacts (owner_id, lower(name), id);
