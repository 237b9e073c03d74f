# Integrations: their refusals, and the texts forwarded to the owner's channels.

error-taken-integration-name = you already have an integration with this name
error-integration-paused = the integration is paused; turn it on to send a test
error-integration-not-found = integration not found
field-integration-name = integration name
error-integration-type-change = an integration's type cannot change; make a new one
error-integration-events-none = choose at least one event to forward
error-integration-event-test = integration.test is sent by "send test" only
error-integration-token = a bot token looks like 123456789:AA… (from @BotFather)
error-integration-chat-id = a chat id is a number (e.g. -1001234567890) or a channel's @name
error-integration-secret-required = this is needed the first time
error-integration-password-again = give the password again: the mail server, port, security or user changed
error-integration-smtp-host = give the mail server's name
error-integration-recipients = give 1 to { $max } recipients
error-integration-email = { $value } is not an e-mail address
error-integration-format = the format is too long (at most { $max } characters) or has a variable other than { $variables }

# The texts forwarded to the owner's channels.
forward-title-received = New message · { $outlet }
forward-received = { $number }: { $text }
forward-title-failed = Message not sent · { $outlet }
forward-failed = To { $number }: { $error }
forward-title-disconnected = Outlet disconnected · { $outlet }
forward-title-logged-out = Outlet logged out of WhatsApp · { $outlet }
forward-title-banned = Outlet's number banned by WhatsApp · { $outlet }
forward-device = { $error }
forward-title-blast = Broadcast finished
forward-blast = "{ $blast }": { $sent } sent, { $failed } failed.
forward-title-hand-over = A customer is waiting for a person · { $outlet }
forward-hand-over = { $number } is yours to answer now; the chatbot keeps quiet.
forward-title-test = kewhats test
forward-test = This integration works: kewhats can send here.
forward-reply-refused = Not sent to the customer: { $reason }
