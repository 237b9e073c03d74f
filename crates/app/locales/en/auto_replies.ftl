# Auto-reply rules: the refusals of a rule and the tester's words.

field-auto-reply-name = rule name
error-auto-reply-not-found = auto-reply rule not found
error-taken-auto-reply-name = you already have an auto-reply rule with this name
error-auto-reply-triggers-required = give at least one word or phrase that triggers the reply
error-auto-reply-too-many-triggers = at most { $max } triggers per rule
error-auto-reply-trigger-empty = a trigger is empty
error-auto-reply-trigger-too-long = a trigger must be at most { $max } characters
error-auto-reply-bad-regex = '{ $pattern }' is not a valid regular expression: { $reason }
error-auto-reply-welcome-triggers = a welcome rule answers the first message from a number whatever it says: leave triggers empty
error-auto-reply-reply-required = write the reply, or choose a template_id
error-auto-reply-reply-and-template = send either reply or template_id, not both
error-auto-reply-outlet-unknown = outlet { $id } is not one of your outlets
error-auto-reply-too-many-outlets = at most { $max } outlets per rule
error-auto-reply-hours = business hours need days from 1 (Monday) to 7 (Sunday) and minutes from 0 to 1439
error-auto-reply-outside-without-hours = a reply outside business hours needs business_hours
error-auto-reply-priority = must be between 0 and { $max }
error-auto-reply-cooldown = must be between 0 and { $max } seconds
error-auto-reply-text-required = type the message to test
