-- Claims take the oldest due items one way of being due at a time (pending; waiting and
-- due; running under an expired lease), each in id order (see engine/src/store/sql.rs).
-- With this index a claim walks the pending items in id order and stops after the few it
-- takes, instead of collecting and sorting the whole backlog. Waiting items are found by
-- due time through items_claimable (0001).
CREATE INDEX items_claim_order ON items (status, id);
