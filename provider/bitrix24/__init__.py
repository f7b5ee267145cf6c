"""The Bitrix24 client: everything that talks to a portal, and nothing that knows Pulumi.

`lines` is the telephony.externalLine API (a cached list, add, update, delete, typed
errors); `rest` is the HTTP client under it (auth, pacing, retries, batching,
classification of replies, redaction); `auth`, `oauth` and `tokenstore` are where
credentials come from and where rotated ones are kept. `rules` says what a line's
values may be as the portal stores them, and `errors` roots the product's errors.

Imports nothing else of ours: every other layer builds on this one, never the reverse.
"""
