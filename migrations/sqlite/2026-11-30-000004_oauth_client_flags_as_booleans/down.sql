-- SQLite keeps booleans as the integers 0 and 1 already: the columns stay as they are (the
-- PostgreSQL migration of the same name turns them into BOOLEAN).
SELECT 1;
