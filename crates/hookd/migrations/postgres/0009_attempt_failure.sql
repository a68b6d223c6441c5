-- Why an attempt failed, as one of a closed set of codes (`FailureKind` in delivery/outcome.rs); NULL when it
-- succeeded (a 2xx answer, even one whose body could not be read, or a queue's confirmation). Success, the
-- counts and the console's labels derive from it. Attempts stored before it had only their status and
-- error text: a non-2xx status is `status` (or `redirect`), an error is classified by the words the sender
-- wrote, anything else `request`.
ALTER TABLE attempts ADD COLUMN failure TEXT;
UPDATE attempts SET failure = CASE
    WHEN status_code BETWEEN 200 AND 299 THEN NULL
    WHEN status_code BETWEEN 300 AND 399 AND error LIKE 'redirect to %' THEN 'redirect'
    WHEN status_code IS NOT NULL THEN 'status'
    WHEN error IS NULL THEN NULL
    WHEN error LIKE 'timed out%' THEN 'timeout'
    WHEN error LIKE 'connection failed%' THEN 'connect'
    WHEN error LIKE 'blocked: %' THEN 'blocked'
    ELSE 'request'
END;
