DROP TABLE blacklisted_tokens;
