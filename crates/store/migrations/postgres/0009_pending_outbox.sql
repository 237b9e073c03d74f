-- The outlets with messages waiting to be sent, found without reading the whole table: the
-- session manager asks every reconcile round (messages written by another process).
CREATE INDEX messages_pending_out ON messages (outlet_id) WHERE direction = 'out' AND status = 'pending';
