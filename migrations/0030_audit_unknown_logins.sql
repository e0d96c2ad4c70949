-- A sign-in to no account kept the text typed as its login in the audit trail: a password typed into the login
-- field sat there, readable by the national account in audit.csv. The portal keeps none since; the rows written
-- before lose it here (the row stays: when, from where, and that it was no account). The trail is append-only
-- (0012): its trigger is set aside for this one statement, in this migration's transaction.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
UPDATE audit_log SET login = NULL WHERE action = 'login' AND result = 'unknown-login' AND login IS NOT NULL;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;
