DROP TABLE connection_oauth_states;
--bun:split
DROP TABLE connection_status_history;
--bun:split
DROP TABLE connections;
