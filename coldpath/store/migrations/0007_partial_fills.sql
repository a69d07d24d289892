-- RFQs may take quotes for less than their size (min_size, in size units; 0 = the whole size)
-- and may allow partial fills; a trade records whether it filled less than its RFQ asked.
ALTER TABLE rfqs ADD COLUMN min_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rfqs ADD COLUMN partial_allowed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE trades ADD COLUMN partial BIGINT NOT NULL DEFAULT 0;
