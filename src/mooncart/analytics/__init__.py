"""Clickstream analytics without a tracking script: the server notes page views, searches, adds
to bag, checkout steps and orders as events, under a random visitor id in a first-party cookie
(no personal data; nothing at all for a browser that sends Sec-GPC or Do Not Track), and writes
them in batches off the request path."""
