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
