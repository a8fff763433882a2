-- json keeps the text as written (jsonb re-serialises it), so `data` holds the exact RFC 8785 text the
-- chain hashed and the verifier can hash it without re-canonicalising. Rows written before this keep
-- jsonb's text form; the verifier re-canonicalises those (slower, same result).
ALTER TABLE "audit_events" ALTER COLUMN "data" SET DATA TYPE json;
