-- Contract v3 lists (policy.md §1): the media switch, NULL while nobody has
-- set it (a v3 document then keeps media checked as v2 did, §3.7). The
-- per-kind domain lists are rows of `whitelist` under their own names
-- (`request_domains` ... `tcp_domains`).
ALTER TABLE apps ADD COLUMN ctl_media_domains BIGINT
