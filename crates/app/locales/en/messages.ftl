# The messages page: send a message, and the list of messages in and out.

messages-title = Messages
messages-send-heading = Send a message
messages-from-outlet = From outlet
messages-to = To
messages-to-placeholder = 0812… or +62 812…
messages-type = Type
messages-type-text = Text
messages-type-image = Image
messages-type-document = Document
messages-text = Text
messages-text-placeholder = Your order is ready for pickup
messages-file = File
messages-caption = Caption
messages-caption-placeholder = This week's promo
messages-send = Send
messages-help = The message is stored first and sent by the outlet's device when it is connected; its status moves pending → sent → delivered → read, or failed with the reason. Images: JPEG, PNG or WebP; documents: any file.
messages-direction = Direction
messages-direction-any = In and out
messages-status = Status
messages-status-any = Any status
messages-col-time = Time
messages-col-outlet = Outlet
messages-col-number = Number
messages-col-text = Text
messages-empty = No messages yet.

js-messages-direction-out = Sent
js-messages-direction-in = Received
js-messages-status-pending = pending
js-messages-status-sent = sent
js-messages-status-delivered = delivered
js-messages-status-read = read
js-messages-status-failed = failed
js-messages-status-received = received
js-messages-choose-file = Choose a file to send.
js-messages-queued = Message #{ $id } to { $peer } is { $status }.
