DROP INDEX accounts_user_summary;
