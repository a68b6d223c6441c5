-- Publish order of deliveries across nodes. Ids sort by the clock of the node that made them, so two nodes
-- publishing within one millisecond (or with clocks apart) could order a fifo subscription's deliveries
-- differently from their publishes; one database sequence orders them as they were stored. Existing rows
-- are numbered in id order.
CREATE SEQUENCE deliveries_seq;
ALTER TABLE deliveries ADD COLUMN seq BIGINT;
UPDATE deliveries SET seq = o.n FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM deliveries) AS o
    WHERE deliveries.id = o.id;
SELECT setval('deliveries_seq', COALESCE((SELECT max(seq) FROM deliveries), 0) + 1, false);
ALTER TABLE deliveries ALTER COLUMN seq SET DEFAULT nextval('deliveries_seq');
ALTER TABLE deliveries ALTER COLUMN seq SET NOT NULL;
ALTER SEQUENCE deliveries_seq OWNED BY deliveries.seq;
-- The fifo rule's lookup: a subscription's unfinished deliveries stored before this one.
CREATE INDEX deliveries_unfinished ON deliveries (subscription_id, seq)
    WHERE status IN ('pending', 'retrying', 'delivering');
