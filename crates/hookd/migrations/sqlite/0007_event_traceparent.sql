-- The W3C `traceparent` of the span that published an event, when hookd exports traces (NULL otherwise):
-- each delivery attempt's span is made a child of it, on whichever node and however late it runs.
ALTER TABLE events ADD COLUMN traceparent TEXT;
