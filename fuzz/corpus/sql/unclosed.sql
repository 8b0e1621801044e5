SELECT 'unclosed; /* comment
ALTER TABLE t RENAME COLUMN a TO b