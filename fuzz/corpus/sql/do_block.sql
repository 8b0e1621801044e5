DO $$
BEGIN
  EXECUTE 'DROP TABLE ' || quote_ident('x');
END
$$;
-- rollguard-ignore sql-drop-table
DROP TABLE y;
