# The API keys page: create a key (its secret shown once), see its traffic, revoke it.

api-keys-title = API keys
api-keys-create-heading = Create a key
api-keys-name = Name
api-keys-name-example = POS integration
api-keys-create = Create key
api-keys-copy-now = Copy this key now.
api-keys-shown-once = It is shown only once; kewhats keeps only a hash of it.
api-keys-help-send = Send the key as
api-keys-help-or = or
api-keys-help-role = A key acts as you, with your role.
api-keys-help-in = counts API requests made with the key;
api-keys-help-out = counts WhatsApp messages sent on behalf of those requests.
api-keys-help-docs = Every endpoint is described in the
api-keys-api-reference = API reference
api-keys-openapi-document = OpenAPI document
api-keys-col-name = Name
api-keys-col-key = Key
api-keys-col-in = In
api-keys-col-out = Out
api-keys-col-last-used = Last used
api-keys-col-created = Created
api-keys-col-actions = Actions
api-keys-empty = No API keys yet.

js-api-keys-revoke-confirm = Revoke "{ $name }"? Systems using it stop working at once.
js-api-keys-revoked-flash = Revoked "{ $name }".
js-api-keys-revoked = revoked
js-api-keys-revoke = Revoke
js-api-keys-revoke-label = Revoke "{ $name }"
