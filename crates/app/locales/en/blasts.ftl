# Blasts (broadcasts): the refusals of the blast API.

field-blast-name = blast name
error-blast-not-found = blast not found
error-blast-schedule-not-found = recurring blast not found
error-blast-time-of-day = must be a time of day like 08:00
error-blast-time = must be an RFC 3339 time like 2026-12-01T09:00:00+07:00
error-blast-gap = the gap between two sends must be between { $min } and { $max } seconds, the largest not below the smallest
error-blast-daily-cap = the daily cap must be between 1 and { $max } messages per device
error-blast-outlets-one-owner = all outlets of a blast must belong to one owner
error-blast-no-healthy-outlet = none of your outlets has a connected device; connect one or choose outlets
error-blast-content = give either a template or a text, not both
error-blast-no-recipients = the blast has no recipients: choose tags, contacts or numbers
error-blast-too-many = a blast may have at most { $max } recipients
error-blast-recurrence = a recurring blast needs a valid rule (daily, weekly with days 1–7, or monthly with a day 1–31), a time, and an end after its first run
error-blast-state = this blast is { $status }: it cannot do that now
error-blast-no-failed = no recipient of this blast failed

# A blast's media and its recipients file.
error-blast-caption-too-long = with the media sent as its caption, the text may be at most { $max } characters: shorten it, or send the media as a separate message
error-blast-caption-mode = caption mode '{ $mode }' is unknown: use caption or separate
error-blast-media-draft = media can only be changed while the blast is a draft; this one is { $status }
error-blast-no-media = this blast has no image or document
error-blast-file-recurring = a recurring blast cannot take its recipients from a file (every run would need the file again): choose tags, contacts or numbers, or make a one-off blast
error-blast-form-unknown-field = unknown form field '{ $field }': use request (the blast as JSON) and recipients_file
error-blast-form-no-request = send the blast as JSON in the form part request
error-blast-media-unknown-field = unknown form field '{ $field }': use file, kind and caption_mode
