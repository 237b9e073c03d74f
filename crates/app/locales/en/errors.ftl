# API error messages: what went wrong and what to fix. The error codes stay English.

error-foreign = { $detail }
error-field = { $field }: { $message }
error-internal = something went wrong on our side; it has been logged
error-not-found = not found
error-required = is required
error-too-long = must be at most { $max } characters
error-no-endpoint = no such API endpoint
error-log-in-first = log in first, or send an API key (Authorization: Bearer …)
error-browser-session-needed = this endpoint needs a logged-in browser session, not an API key
error-csrf = missing or wrong X-CSRF-Token header: send the csrf_token from GET /api/me or the login response
error-json-content-type = send the body as JSON with the header Content-Type: application/json
error-json-syntax = the body is not valid JSON: { $detail }
error-body-too-large = the request body is too large; see max_body_kib in the README
error-query = invalid query string: { $detail }
error-path = invalid path: { $detail }
error-form-unreadable = the form could not be read: { $detail }
error-form-unknown-field = unknown form field '{ $field }': use outlet_id, to, type, text, caption, media_url, file_name, file
error-must-be-number = must be a number

field-name = name
field-outlet-name = outlet name
field-city = city
field-key-name = key name
error-label-required = { $field } is required
error-label-too-long = { $field } must be at most { $max } characters
error-label-control = { $field } must not contain control characters

error-bad-login = wrong e-mail or password
error-too-many-logins = too many failed logins; try again in { $seconds } seconds
error-account-disabled = this account is disabled; contact your administrator
error-session-ended = your session has expired or was ended; log in again
error-registration-closed = registration is closed; ask an administrator for an account
error-api-key-invalid = the API key is not valid: it is unknown, revoked, or its user is disabled
error-api-key-not-found = API key not found
error-email-required = e-mail is required
error-email-too-long = e-mail is longer than 254 characters
error-email-malformed = e-mail must look like name@example.com
error-password-empty = password is empty
error-password-too-short = password must be at least { $min } characters (got { $got })
error-password-too-long = password must be at most { $max } characters
error-password-common = password is too common; choose one that is not on lists of leaked passwords
error-password-contains-email = password must not contain your e-mail name
error-password-repetitive = password needs more variety: use at least { $min } different characters
error-password-not-current = is not your current password
error-password-unchanged = must differ from the current password
error-user-not-found = user not found
error-no-such-user = no user has this id
error-user-nothing-to-change = nothing to change: send at least one of role, plan, disabled
error-preferences-nothing-to-change = nothing to change: send language or time_zone
error-time-zone = unknown time zone '{ $zone }': expected one of { $zones }
error-taken-email = a user with this e-mail already exists
error-last-superadmin = this is the last active superadmin; promote another superadmin first
error-disable-self = you cannot disable your own account
error-role-no-whatsapp = your role may not use WhatsApp features
error-role-no-aggregates = only monitoring and admin roles may view platform numbers
error-role-no-users = only admins may manage users
error-role-no-staff = only a superadmin may create, promote, demote or disable admins
error-role-no-profile = your role may not edit its profile

error-phone-empty = WhatsApp number is required
error-phone-invalid-character = WhatsApp number may contain only digits, spaces, dashes, dots, brackets and a leading +; found '{ $character }'
error-phone-country-code = WhatsApp number needs a country code: start with + (e.g. +62 812…) or, for Indonesia, with 0 (0812…)
error-phone-too-short = WhatsApp number is too short: E.164 numbers have 8 to 15 digits, got { $digits }
error-phone-too-long = WhatsApp number is too long: E.164 numbers have at most 15 digits, got { $digits }
error-phone-zero-country-code = country codes never start with 0; remove the extra 0 after the country code
error-phone-not-mobile = Indonesian WhatsApp numbers are mobile numbers: after +62 they start with 8 (e.g. 0812… or +62 812…)
error-phone-not-valid-for-country = this is not a valid number for its country code; check the digits after the +
error-phone-indonesian-length = Indonesian mobile numbers have 9 to 12 digits after +62, got { $digits }

error-outlet-not-found = outlet not found
error-outlet-for-another-user = only admins may create outlets for another user
error-taken-wa-number = this WhatsApp number is already used by another outlet
error-renumber-paired = this outlet's device is paired with its current number; log the device out before changing the number

error-device-not-found = device not found
error-no-device = this outlet has no device yet; create one with POST /api/outlets/{"{"}id{"}"}/device/connect
error-taken-contact = a contact with this WhatsApp number already exists
error-taken-tag = a tag with this name already exists
error-taken-device = this outlet already has a device
error-device-other-engine = this outlet's device runs on the { $engine } engine; delete the device to switch engines
error-device-engine-off = the { $engine } engine is off on this server; delete the device to pair it on another engine
error-engine-off = the { $engine } engine is off on this server (the sim engine needs the setting sandbox = true)
error-no-qr = no QR code to show: the device is { $status }; connect it to get one
error-device-not-connected = the device is not connected; connect it first (POST …/device/connect)
error-device-already-paired = the device is already paired
error-device-not-running = the device has no running session; connect it first (POST …/device/connect)
error-sessions-standby = another kewhats process on this database runs the WhatsApp sessions; use that one (see /healthz)
error-status-changed = the device's status changed meanwhile; try again
error-sandbox-off = the sandbox is off on this server; it is on in `kewhats demo` or with the setting sandbox = true
error-sandbox-sim-only = sandbox actions work only on devices that run on the sim engine

error-message-not-found = message not found
error-message-type = '{ $type }' is not one of text, image, document
error-text-required = is required for a text message
error-text-control = must not contain control characters other than line breaks and tabs
error-text-with-media = media_url, file, file_name and caption go with image and document messages
error-media-with-text = an image or document carries a caption, not text
error-media-both = send a file or a media_url, not both
error-media-missing = an image or document needs a media_url or an uploaded file
error-media-too-large = the media is larger than this server accepts ({ $kib } KiB; setting media_max_kib)
error-media-fetch = could not be fetched: { $detail }
error-media-status = answered HTTP { $status }
error-media-download = download failed: { $detail }
error-file-empty = is empty
error-image-format = an image must be a JPEG, PNG or WebP file; send other files as a document
error-idempotency-key-length = Idempotency-Key must be 1 to { $max } characters
error-idempotency-key-text = Idempotency-Key must be plain text
error-idempotency-key-other-outlet = this Idempotency-Key was already used for a message from another outlet
error-taken-idempotency-key = the message was not written
error-time-format = { $field } must be an RFC 3339 time like 2026-11-21T10:00:00Z

error-webhook-not-found = webhook not found
error-delivery-not-found = delivery not found
error-event-unknown = '{ $event }' is not one of { $events }
error-events-none = choose at least one of { $events }
error-webhook-inactive = the webhook is inactive; turn it on to send a test event
error-delivery-queued = this delivery is still queued; it will be tried again by itself
error-url-required = url is required
error-url-too-long = url must be at most { $max } characters
error-url-invalid = url is not a valid URL: { $detail }
error-url-scheme = url must start with http:// or https://
error-url-credentials = url must not contain a user name or password
error-url-no-host = url needs a host
error-url-private = url points to a private, loopback or local address, which this server does not send to

error-metrics-off = metrics are off: set metrics_token to scrape them
error-metrics-token = send the metrics_token as Authorization: Bearer <token>

device-status-disconnected = disconnected
device-status-connecting = connecting
device-status-qr = waiting for a QR scan
device-status-connected = connected
device-status-logged_out = logged out
device-status-banned = banned

error-contact-not-found = contact not found
error-contact-outlet = must be one of your own outlets
error-tag-not-found = tag not found
error-tag-separator = a tag name cannot contain , or ; (they separate tags in a file)
error-contacts-none-chosen = choose at least one contact
error-contacts-too-many = at most { $max } contacts at once
error-bulk-tag-needed = choose the tag to add or remove
error-fields-too-many = at most { $max } custom fields
error-field-name = '{ $key }' cannot be a custom field: use lowercase letters, digits and _ (not name, phone, date or outlet)
error-field-too-long = the custom field '{ $key }' must be at most { $max } characters
