# Chatbot flows: the refusals of a flow, its conversations and the simulator.

field-chatbot-name = chatbot name
error-chatbot-not-found = chatbot not found
error-taken-chatbot-name = you already have a chatbot with this name
error-chatbot-no-steps = a chatbot needs at least one step
error-chatbot-too-many-steps = a chatbot has at most { $max } steps
error-chatbot-step-invalid = step '{ $step }': { $reason }
error-chatbot-duplicate-step = the step id '{ $step }' is used twice
error-chatbot-missing-step = step '{ $step }' goes to '{ $target }', which does not exist
error-chatbot-unreachable = step '{ $step }' cannot be reached from the first step
error-chatbot-cycle = step '{ $step }' is in a loop that never waits for the customer: add an ask step to it
error-chatbot-keywords-required = give at least one keyword that starts the chatbot
error-chatbot-keyword = a keyword is not valid: { $reason }
error-chatbot-step-template = step '{ $step }': { $reason }
error-chatbot-session-minutes = must be between 1 and { $max } minutes
error-chatbot-hand-over-minutes = must be between 1 and { $max } minutes
error-chatbot-end-keyword = the end keyword must be 1 to 50 characters
error-chatbot-session-status = the status is active, handed_over or closed
error-chatbot-session-not-found = conversation not found
error-chatbot-simulate-one = give either chatbot_id or flow
error-chatbot-simulate-many = at most { $max } messages in one simulation
