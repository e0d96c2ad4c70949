-- A request whose answer file was refused (it named the request, but its checksum or rows did not fit): its people
-- are sent again at once, in a new request, instead of waiting for the resend delay (a week by default) for an
-- answer the registry believes it gave. The state says so; the request keeps its history.
ALTER TABLE exchange_request
  DROP CONSTRAINT exchange_request_state_check,
  ADD CONSTRAINT exchange_request_state_check CHECK (state IN ('outstanding', 'answered', 'refused'));
