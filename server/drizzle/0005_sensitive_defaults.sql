-- The context fields that identify a person are sensitive unless an admin says otherwise: flags
-- whose conditions compare them are evaluated on the server for browsers (issue 14). A row that
-- existed said "not sensitive" by default only (digests used to be the cost of marking one), so
-- it is marked as well; an admin may unmark it again, with an audit row.
INSERT INTO "context_attributes" ("name", "description", "sensitive") VALUES
  ('email', 'Email address', true),
  ('userId', 'User id (the sticky id; OFREP''s targetingKey)', true),
  ('sessionId', 'Session id', true),
  ('remoteAddress', 'Client IP address', true)
ON CONFLICT ("name") DO UPDATE SET "sensitive" = true, "version" = "context_attributes"."version" + 1, "updated_at" = now()
  WHERE "context_attributes"."sensitive" = false;
