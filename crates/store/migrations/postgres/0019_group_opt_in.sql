-- Group chats are ignored unless an auto-reply rule or a chatbot of the outlet's owner opts in.
ALTER TABLE auto_replies ADD COLUMN in_groups BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE chatbots ADD COLUMN in_groups BOOLEAN NOT NULL DEFAULT FALSE;
